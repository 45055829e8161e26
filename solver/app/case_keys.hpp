#pragma once
// The case-file schema: one entry per key, the single source of validation and of the
// README key reference.

#include <limits>
#include <string>
#include <vector>

namespace attnpde {

/// What a case is loaded for: the commands that read a case. The key table says which of
/// them use and which require each key.
enum class Purpose { run, study, pde, probe, spectrum, learn };
inline constexpr int purpose_count = 6;
/// "run", "study", "pde", "probe", "spectrum" or "learn".
const char* purpose_name(Purpose p);

/// A set of commands (bit k: Purpose k).
using Commands = unsigned;
constexpr Commands command_bit(Purpose p) {
  return 1u << static_cast<unsigned>(p);
}
inline constexpr Commands no_command = 0u;
inline constexpr Commands all_commands = (1u << purpose_count) - 1u;
constexpr bool has(Commands set, Purpose p) {
  return (set & command_bit(p)) != 0u;
}

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
  expression_matrix,
  string_array
};

struct KeySpec {
  std::string section;
  std::string key;
  KeyType type;
  Commands used_by = all_commands;    ///< commands that read the key
  Commands required_by = no_command;  ///< commands that need it in the file (no default)
  bool exclusive = false;             ///< refused by the commands outside used_by
  std::string unit;                   ///< physical unit, where the key has one
  std::string default_toml;           ///< TOML text of the default; empty: required or computed
  std::string default_doc;            ///< default as shown in the docs
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  ///< range (min, ...] instead of [min, ...]
  bool max_open = false;
  std::vector<std::string> choices;  ///< allowed strings (enum keys)
  std::string doc;

  std::string name() const { return section + "." + key; }
  /// "run, study" etc.
  std::string commands_doc(Commands set) const;
  std::string range_doc() const;
};

const std::vector<KeySpec>& case_keys();
const KeySpec* find_key(const std::string& section, const std::string& key);
std::string type_name(KeyType t);
/// The position of `text` in the choices of an enum key (its enum value), or -1.
int choice_index(const KeySpec& spec, const std::string& text);
/// Markdown table of all keys (README "Case-file reference").
std::string case_keys_markdown();

}  // namespace attnpde
