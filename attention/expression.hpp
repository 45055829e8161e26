#pragma once
// Scalar fields given as muparser expressions in the coordinates x, y, z (and t where a
// time is meaningful). Used for the token density, the initial values and manufactured
// solutions. The constant `pi` is defined besides muparser's `_pi`.

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mu {
class Parser;
}

namespace attnpde {

/// Thrown when an expression does not parse or does not evaluate; `position` is the
/// 0-based character offset into the expression text where the parser stopped (or -1).
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(const std::string& message, int position) : std::runtime_error(message), position_(position) {}
  int position() const { return position_; }

 private:
  int position_;
};

/// One compiled expression. Evaluation is not thread-safe (muparser keeps its variables
/// in the object); use one Expression per thread.
class Expression {
 public:
  /// Parses `text` (throws ExpressionError with the offending position).
  explicit Expression(const std::string& text);
  ~Expression();
  Expression(const Expression& other);
  Expression& operator=(const Expression&) = delete;

  /// Value at point (x, y, z) and time t; missing coordinates are 0.
  double operator()(double x, double y = 0.0, double z = 0.0, double t = 0.0) const;
  /// Value at a point with `dim` coordinates.
  double at(const double* point, int dim, double t = 0.0) const;

  const std::string& text() const { return text_; }
  /// True when the expression does not depend on any variable.
  bool is_constant() const;
  /// The variables the expression uses, a subset of {x, y, z, t}.
  std::vector<std::string> variables() const;

 private:
  std::string text_;
  std::unique_ptr<std::array<double, 4>> vars_;
  std::unique_ptr<mu::Parser> parser_;
};

}  // namespace attnpde
