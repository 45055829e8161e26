#include "attention/expression.hpp"

#include <muParser.h>

namespace attnpde {

namespace {
const double pi_value = 3.141592653589793238462643383279502884;
}

Expression::Expression(const std::string& text)
    : text_(text), vars_(std::make_unique<std::array<double, 4>>()), parser_(std::make_unique<mu::Parser>()) {
  vars_->fill(0.0);
  try {
    parser_->DefineVar("x", &(*vars_)[0]);
    parser_->DefineVar("y", &(*vars_)[1]);
    parser_->DefineVar("z", &(*vars_)[2]);
    parser_->DefineVar("t", &(*vars_)[3]);
    parser_->DefineConst("pi", pi_value);
    parser_->SetExpr(text);
    // muparser parses lazily: evaluate once so that syntax errors surface here.
    const double probe = parser_->Eval();
    (void)probe;
  } catch (const mu::Parser::exception_type& e) {
    throw ExpressionError(e.GetMsg(), static_cast<int>(e.GetPos()));
  }
}

Expression::~Expression() = default;

Expression::Expression(const Expression& other) : Expression(other.text_) {}

double Expression::operator()(double x, double y, double z, double t) const {
  (*vars_)[0] = x;
  (*vars_)[1] = y;
  (*vars_)[2] = z;
  (*vars_)[3] = t;
  try {
    return parser_->Eval();
  } catch (const mu::Parser::exception_type& e) {
    throw ExpressionError(e.GetMsg(), static_cast<int>(e.GetPos()));
  }
}

double Expression::at(const double* point, int dim, double t) const {
  return (*this)(dim > 0 ? point[0] : 0.0, dim > 1 ? point[1] : 0.0, dim > 2 ? point[2] : 0.0, t);
}

bool Expression::is_constant() const {
  return parser_->GetUsedVar().empty();
}

}  // namespace attnpde

namespace attnpde {

std::vector<std::string> Expression::variables() const {
  std::vector<std::string> out;
  for (const auto& [name, ptr] : parser_->GetUsedVar()) out.push_back(name);
  return out;
}

}  // namespace attnpde
