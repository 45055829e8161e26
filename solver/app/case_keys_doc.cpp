// The documentation side of the key table (solver/app/case_keys.cpp): command names, type
// names, ranges as text and the README's case-file reference (`attnpde keys`).
#include <cmath>
#include <sstream>

#include "solver/app/case_keys.hpp"

namespace attnpde {

namespace {

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

const char* purpose_name(Purpose p) {
  switch (p) {
    case Purpose::run:
      return "run";
    case Purpose::study:
      return "study";
    case Purpose::pde:
      return "pde";
    case Purpose::probe:
      return "probe";
    case Purpose::spectrum:
      return "spectrum";
    case Purpose::learn:
      return "learn";
  }
  return "?";
}

std::string KeySpec::commands_doc(Commands set) const {
  if (set == all_commands) return "all";
  std::string out;
  for (int k = 0; k < purpose_count; ++k)
    if (has(set, static_cast<Purpose>(k)))
      out += (out.empty() ? "" : ", ") + std::string(purpose_name(static_cast<Purpose>(k)));
  return out;
}

std::string type_name(KeyType t) {
  switch (t) {
    case KeyType::integer:
      return "integer";
    case KeyType::real:
      return "real";
    case KeyType::string:
      return "string";
    case KeyType::boolean:
      return "boolean";
    case KeyType::expression:
      return "expression";
    case KeyType::integer_array:
      return "integer array";
    case KeyType::real_array:
      return "real array";
    case KeyType::real_matrix:
      return "real matrix";
    case KeyType::expression_array:
      return "expression array";
    case KeyType::expression_matrix:
      return "expression matrix";
    case KeyType::string_array:
      return "string array";
  }
  return "?";
}

std::string KeySpec::range_doc() const {
  if (!choices.empty()) {
    std::string s;
    for (const auto& c : choices) {
      if (!s.empty()) s += ", ";
      s += "`" + c + "`";
    }
    return s;
  }
  if (type == KeyType::string || type == KeyType::string_array || type == KeyType::boolean ||
      type == KeyType::expression || type == KeyType::expression_array || type == KeyType::expression_matrix)
    return "";
  if (std::isinf(min) && std::isinf(max)) return "";
  std::ostringstream os;
  os << (min_open ? '(' : '[') << number_text(min) << ", " << number_text(max)
     << (max_open || std::isinf(max) ? ')' : ']');
  return os.str();
}

std::string case_keys_markdown() {
  std::ostringstream os;
  os << "| key | type | default | range | unit | used by | meaning |\n|---|---|---|---|---|---|---|\n";
  for (const auto& k : case_keys())
    os << "| `" << k.name() << "` | " << type_name(k.type) << " | " << k.default_doc << " | " << k.range_doc() << " | "
       << k.unit << " | " << k.commands_doc(k.used_by) << (k.exclusive ? " only" : "") << " | " << k.doc << " |\n";
  return os.str();
}

}  // namespace attnpde
