#pragma once
// CSV tables: a header line, then rows; float64 with 17 significant digits.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace attnpde {

/// Closes an output stream and throws "cannot write PATH: reason" unless every byte
/// reached the file (flush and close included: a full disk shows only there).
void close_checked(std::ofstream& out, const std::string& path);
/// Throws "cannot write PATH" unless the file exists and is not empty (writers that do not
/// report their failures, such as a library writer on a full disk).
void check_written(const std::string& path);

/// printf into a string (tables and summaries printed by the commands); lines longer than
/// 511 characters are cut.
template <class... Args>
void appendf(std::string& out, const char* format, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  out += buf;
}

/// Output name of component k of m: `base` for a scalar field, base_k for a vector (CSV
/// columns and VTK arrays).
std::string component_name(const std::string& base, int k, int m);

class CsvWriter {
 public:
  CsvWriter(const std::string& path, const std::vector<std::string>& columns);
  /// One row; numbers are formatted with format_double, strings written as given.
  void row(const std::vector<double>& values);
  void row_text(const std::vector<std::string>& cells);
  /// Flushes and closes the file, throwing on any failure. Call it: the destructor cannot
  /// report a failure.
  void close();

 private:
  std::ofstream out_;
  std::size_t columns_;
  std::string path_;
};

}  // namespace attnpde
