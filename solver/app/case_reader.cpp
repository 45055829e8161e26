#include "solver/app/case_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "attention/expression.hpp"
#include "solver/app/case_checks.hpp"

namespace attnpde::case_input {

Where where(const TValue& v, const std::string& file) {
  const toml::source_location loc = v.location();
  if (loc.file_name() == override_origin) return {override_origin, 0, 0};
  if (loc.file_name() == "unknown file") return {file, 0, 0};
  return {file, static_cast<int>(loc.line()), static_cast<int>(loc.column())};
}

[[noreturn]] void fail(const TValue& v, const std::string& file, const std::string& key, const std::string& msg) {
  const Where w = where(v, file);
  throw InputError(w.file, w.line, w.column, key, msg);
}

static std::string kind_of(const TValue& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a real";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    default:
      return "a date/time";
  }
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

double Reader::real(const TValue& v, const KeySpec& s) const {
  double x = 0;
  if (v.is_integer())
    x = static_cast<double>(v.as_integer());
  else if (v.is_floating())
    x = v.as_floating();
  else
    fail(v, file_, s.name(), "expected a real number, got " + kind_of(v));
  check_range(v, s, x);
  return x;
}

long Reader::integer(const TValue& v, const KeySpec& s) const {
  double x = 0;
  if (v.is_integer()) {
    x = static_cast<double>(v.as_integer());
  } else if (v.is_floating() && std::isfinite(v.as_floating()) && v.as_floating() == std::floor(v.as_floating()) &&
             std::abs(v.as_floating()) < 9e15) {
    x = v.as_floating();  // 1e4 is accepted where an integer is expected
  } else {
    fail(v, file_, s.name(), "expected an integer, got " + kind_of(v));
  }
  check_range(v, s, x);
  return v.is_integer() ? static_cast<long>(v.as_integer()) : static_cast<long>(x);
}

std::string Reader::string(const TValue& v, const KeySpec& s) const {
  if (!v.is_string()) fail(v, file_, s.name(), "expected a string, got " + kind_of(v));
  std::string text = v.as_string().str;
  if (!s.choices.empty()) {
    bool ok = false;
    std::string list;
    for (const auto& c : s.choices) {
      ok = ok || c == text;
      list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
    }
    if (!ok) fail(v, file_, s.name(), "\"" + text + "\" is not one of " + list);
  }
  return text;
}

bool Reader::boolean(const TValue& v, const KeySpec& s) const {
  if (!v.is_boolean()) fail(v, file_, s.name(), "expected true or false, got " + kind_of(v));
  return v.as_boolean();
}

std::string Reader::expression(const TValue& v, const KeySpec& s) const {
  const std::string text = string(v, s);
  try {
    Expression e(text);
  } catch (const ExpressionError& err) {
    Where w = where(v, file_);
    // Point at the offending character: after the opening quote of a one-line string.
    if (w.line > 0 && err.position() >= 0) w.column += 1 + err.position();
    throw InputError(w.file, w.line, w.column, s.name(), "expression \"" + text + "\": " + err.what());
  }
  return text;
}

std::vector<double> Reader::real_array(const TValue& v, const KeySpec& s) const {
  if (!v.is_array()) fail(v, file_, s.name(), "expected an array of reals, got " + kind_of(v));
  std::vector<double> out;
  for (const auto& e : v.as_array()) out.push_back(real(e, s));
  return out;
}

std::vector<long> Reader::integer_array(const TValue& v, const KeySpec& s) const {
  if (!v.is_array()) fail(v, file_, s.name(), "expected an array of integers, got " + kind_of(v));
  std::vector<long> out;
  for (const auto& e : v.as_array()) out.push_back(integer(e, s));
  return out;
}

Eigen::MatrixXd Reader::matrix(const TValue& v, const KeySpec& s, int dim) const {
  Eigen::MatrixXd m(dim, dim);
  if (dim == 1 && (v.is_integer() || v.is_floating())) {
    m(0, 0) = real(v, s);
    return m;
  }
  const std::string shape = "expected a " + std::to_string(dim) + " x " + std::to_string(dim) + " array of arrays";
  if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim) fail(v, file_, s.name(), shape);
  for (int a = 0; a < dim; ++a) {
    const TValue& row = v.as_array()[a];
    if (!row.is_array() || static_cast<int>(row.as_array().size()) != dim) fail(row, file_, s.name(), shape);
    for (int b = 0; b < dim; ++b) m(a, b) = real(row.as_array()[b], s);
  }
  return m;
}

// dim expressions; each checked like an expression key.
std::vector<std::string> Reader::expression_array(const TValue& v, const KeySpec& s, int dim) const {
  if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim)
    fail(v, file_, s.name(), "expected an array of " + std::to_string(dim) + " expression strings");
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.push_back(expression(e, s));
  return out;
}

// dim x dim expressions, row-major; each checked like an expression key.
std::vector<std::string> Reader::expression_matrix(const TValue& v, const KeySpec& s, int dim) const {
  const std::string shape =
      "expected a " + std::to_string(dim) + " x " + std::to_string(dim) + " array of arrays of expression strings";
  if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim) fail(v, file_, s.name(), shape);
  std::vector<std::string> out;
  for (const auto& row : v.as_array()) {
    if (!row.is_array() || static_cast<int>(row.as_array().size()) != dim) fail(row, file_, s.name(), shape);
    for (const auto& e : row.as_array()) out.push_back(expression(e, s));
  }
  return out;
}

void Reader::check_range(const TValue& v, const KeySpec& s, double x) const {
  if (!std::isfinite(x)) fail(v, file_, s.name(), "value " + num(x) + " is not a finite number");
  const bool below = s.min_open ? !(x > s.min) : !(x >= s.min);
  const bool above = s.max_open ? !(x < s.max) : !(x <= s.max);
  if (below || above) fail(v, file_, s.name(), "value " + num(x) + " is outside " + s.range_doc());
}

// First line of a toml11 message, without its "[error] " prefix.
static std::string first_line(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  const std::string prefix = "[error] ";
  if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
  return line;
}

TValue parse_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, 0, 0, "", "is a directory, not a case file (give the path of a .toml file)");
  if (!std::filesystem::exists(path, ec)) throw InputError(path, 0, 0, "", "cannot open case file (no such file)");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, 0, "", "cannot open case file (not a regular file)");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError(path, 0, 0, "", "cannot open case file");
  std::ostringstream content;
  content << file.rdbuf();
  const std::string text = content.str();
  // The TOML parser recurses into nested arrays and tables: bound the depth first.
  check_nesting(text, path);
  try {
    std::istringstream in(text);
    return toml::parse<toml::discard_comments, std::map, std::vector>(in, path);
  } catch (const toml::syntax_error& e) {
    const auto& loc = e.location();
    throw InputError(path, static_cast<int>(loc.line()), static_cast<int>(loc.column()), "",
                     "TOML syntax: " + first_line(e.what()));
  } catch (const std::exception& e) {
    throw InputError(path, 0, 0, "", std::string("cannot read case file: ") + first_line(e.what()));
  }
}

const TValue* Resolved::present(const KeySpec& s) const {
  const auto& table = root.as_table();
  auto sec = table.find(s.section);
  if (sec == table.end()) return nullptr;
  auto it = sec->second.as_table().find(s.key);
  return it == sec->second.as_table().end() ? nullptr : &it->second;
}

Where Resolved::section_where(const std::string& section) const {
  auto sec = root.as_table().find(section);
  return sec == root.as_table().end() ? Where{path, 1, 1} : where(sec->second, path);
}

void Resolved::missing(const KeySpec& s, const std::string& why) const {
  const Where w = section_where(s.section);
  throw InputError(w.file, w.line, w.column, s.name(),
                   "missing required key '" + s.key + "' in [" + s.section + "]" + why);
}

const KeySpec& key(const std::string& name) {
  const auto dot = name.find('.');
  const KeySpec* s = find_key(name.substr(0, dot), name.substr(dot + 1));
  if (!s) throw std::logic_error("no key " + name);
  return *s;
}

void apply_override(TValue& root, const Override& o) {
  const auto eq = o.text.find('=');
  const auto dot = o.text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw InputError(override_origin, 0, 0, o.text, "expected --set section.key=value");
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  const std::string section = trim(o.text.substr(0, dot));
  const std::string key = trim(o.text.substr(dot + 1, eq - dot - 1));
  const std::string value = trim(o.text.substr(eq + 1));
  const KeySpec* spec = find_key(section, key);
  if (!spec) throw InputError(override_origin, 0, 0, section + "." + key, "unknown key");
  try {
    check_nesting(value, override_origin);
  } catch (const InputError& e) {
    throw InputError(override_origin, 0, 0, spec->name(), "value nests arrays or inline tables too deeply");
  }
  TValue parsed;
  try {
    std::istringstream in("v = " + value);
    parsed = toml::parse<toml::discard_comments, std::map, std::vector>(in, override_origin).as_table().at("v");
  } catch (const std::exception& e) {
    const bool stringy = spec->type == KeyType::string || spec->type == KeyType::expression;
    if (!stringy) throw InputError(override_origin, 0, 0, spec->name(), "value '" + value + "' is not valid TOML");
    // A bare word for a string key: quote it, so the value still carries its origin.
    std::string quoted = "v = \"";
    for (char ch : value) {
      if (ch == '"' || ch == '\\') quoted += '\\';
      quoted += ch;
    }
    std::istringstream in(quoted + "\"");
    parsed = toml::parse<toml::discard_comments, std::map, std::vector>(in, override_origin).as_table().at("v");
  }
  auto& table = root.as_table();
  if (!table.count(section) || !table.at(section).is_table()) table[section] = TValue(toml::table{});
  table.at(section).as_table()[key] = parsed;
}

// Column of `key` on the line of a value (the key itself is not located by toml11).
static int key_column(const TValue& v, const std::string& key) {
  const std::string line = v.location().line_str();  // location() returns a temporary
  const auto pos = line.find(key);
  return pos == std::string::npos ? static_cast<int>(v.location().column()) : static_cast<int>(pos) + 1;
}

void reject_unknown(const TValue& root, const std::string& file) {
  struct Unknown {
    int line, column;
    std::string key;
    std::string message;
  };
  std::vector<Unknown> unknown;
  for (const auto& [section, table] : root.as_table()) {
    bool known_section = false;
    for (const auto& k : case_keys()) known_section = known_section || k.section == section;
    if (!known_section || !table.is_table()) {
      const Where w = where(table, file);
      unknown.push_back({w.line, w.column, section,
                         known_section ? "expected a table [" + section + "]" : "unknown section [" + section + "]"});
      continue;
    }
    for (const auto& [key, value] : table.as_table()) {
      if (find_key(section, key)) continue;
      const Where w = where(value, file);
      unknown.push_back({w.line, w.line > 0 ? key_column(value, key) : 0, section + "." + key, "unknown key"});
    }
  }
  if (unknown.empty()) return;
  std::sort(unknown.begin(), unknown.end(),
            [](const Unknown& a, const Unknown& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
  const auto& u = unknown.front();
  throw InputError(file, u.line, u.column, u.key, u.message);
}

// The JSON form of a resolved value, for the manifest.
Json to_json(const TValue& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return Json(v.as_boolean());
    case toml::value_t::integer:
      return Json(static_cast<long>(v.as_integer()));
    case toml::value_t::floating:
      return Json(v.as_floating());
    case toml::value_t::string:
      return Json(v.as_string().str);
    case toml::value_t::array: {
      Json a = Json::array();
      for (const auto& e : v.as_array()) a.push(to_json(e));
      return a;
    }
    default:
      return Json(toml::format(v));
  }
}

TValue parse_default(const std::string& toml_text) {
  std::istringstream in("v = " + toml_text);
  return toml::parse<toml::discard_comments, std::map, std::vector>(in, "default").as_table().at("v");
}

}  // namespace attnpde::case_input
