#pragma once
// Reading a TOML case file (toml11): parsing with locations, --set overrides, unknown
// keys, and typed values checked against their KeySpec. Every failure is an InputError
// that names FILE:LINE:COL and the key. Used by load_case (solver/app/case.cpp) only.

#include <Eigen/Dense>
#include <map>
#include <string>
#include <toml.hpp>
#include <vector>

#include "postprocess/json.hpp"
#include "solver/app/case.hpp"
#include "solver/app/case_keys.hpp"

namespace attnpde::case_input {

using TValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;
/// The origin recorded for values that come from --set.
inline constexpr const char* override_origin = "--set";

/// Where a value came from: file:line:col of the value, or the --set option.
struct Where {
  std::string file;
  int line = 0;
  int column = 0;
};
Where where(const TValue& v, const std::string& file);

/// Throws the InputError of value v of key `key`.
[[noreturn]] void fail(const TValue& v, const std::string& file, const std::string& key, const std::string& msg);

/// A number as the messages print it.
std::string num(double v);

/// Reads one value and checks it against its spec (type, range, choices, expression
/// syntax); the dimension-dependent shapes take the dimension.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  double real(const TValue& v, const KeySpec& s) const;
  long integer(const TValue& v, const KeySpec& s) const;
  std::string string(const TValue& v, const KeySpec& s) const;
  bool boolean(const TValue& v, const KeySpec& s) const;
  std::string expression(const TValue& v, const KeySpec& s) const;
  std::vector<double> real_array(const TValue& v, const KeySpec& s) const;
  std::vector<long> integer_array(const TValue& v, const KeySpec& s) const;
  Eigen::MatrixXd matrix(const TValue& v, const KeySpec& s, int dim) const;
  std::vector<std::string> expression_array(const TValue& v, const KeySpec& s, int dim) const;
  std::vector<std::string> expression_matrix(const TValue& v, const KeySpec& s, int dim) const;
  void check_range(const TValue& v, const KeySpec& s, double x) const;
  /// An enum key: the index of its string among the spec's choices, as the enum E.
  template <class E>
  E choice(const TValue& v, const KeySpec& s) const {
    return static_cast<E>(choice_index(s, string(v, s)));
  }

 private:
  std::string file_;
};

/// The resolved values of a case: from the file (or --set), else the key table's default.
struct Resolved {
  const TValue& root;
  const std::string& path;
  std::map<std::string, TValue> values;

  /// The value in the file (or --set), or null.
  const TValue* present(const KeySpec& s) const;
  /// Location of a missing key: its section's header, else line 1 of the file.
  Where section_where(const std::string& section) const;
  [[noreturn]] void missing(const KeySpec& s, const std::string& why) const;
};

/// The spec of key "section.key" (which must exist).
const KeySpec& key(const std::string& name);

/// The [verify] table of a case under cases/verify (`attnpde verify`) into c.
void read_verify(Case& c, const Resolved& r, const Reader& rd);
/// The [learn] table (`attnpde learn`) into c (c.dim already set).
void read_learn(Case& c, const Resolved& r, const Reader& rd);

/// The parsed file (InputError for a missing file, a directory or a syntax error).
TValue parse_file(const std::string& path);
/// Applies one --set override (the key must exist in the key table).
void apply_override(TValue& root, const Override& o);
/// Throws for the first unknown section or key, in file order.
void reject_unknown(const TValue& root, const std::string& file);
/// The JSON form of a value, for the manifest.
Json to_json(const TValue& v);
/// A key's default, parsed from its TOML text.
TValue parse_default(const std::string& toml_text);

}  // namespace attnpde::case_input
