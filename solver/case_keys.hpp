#pragma once
// The case-file schema: one entry per key, the single source of validation and of the
// README key reference.

#include <limits>
#include <string>
#include <vector>

namespace attnpde {

enum class KeyType {
  integer,
  real,
  string,
  boolean,
  expression,
  integer_array,
  real_array,
  real_matrix,
  expression_array,
  expression_matrix
};

struct KeySpec {
  std::string section;
  std::string key;
  KeyType type;
  bool required = false;
  std::string default_toml;  ///< TOML text of the default; empty: required or computed
  std::string default_doc;   ///< default as shown in the docs
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  ///< range (min, ...] instead of [min, ...]
  bool max_open = false;
  std::vector<std::string> choices;  ///< allowed strings (enum keys)
  std::string doc;

  std::string name() const { return section + "." + key; }
  std::string range_doc() const;
};

const std::vector<KeySpec>& case_keys();
const KeySpec* find_key(const std::string& section, const std::string& key);
std::string type_name(KeyType t);
/// Markdown table of all keys (README "Case-file reference").
std::string case_keys_markdown();

}  // namespace attnpde
