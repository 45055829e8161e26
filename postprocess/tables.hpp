#pragma once
// CSV tables: a header line, then rows; float64 with 17 significant digits.

#include <fstream>
#include <string>
#include <vector>

namespace attnpde {

/// Output name of component k of m: `base` for a scalar field, base_k for a vector (CSV
/// columns and VTK arrays).
std::string component_name(const std::string& base, int k, int m);

class CsvWriter {
 public:
  CsvWriter(const std::string& path, const std::vector<std::string>& columns);
  /// One row; numbers are formatted with format_double, strings written as given.
  void row(const std::vector<double>& values);
  void row_text(const std::vector<std::string>& cells);

 private:
  std::ofstream out_;
  std::size_t columns_;
  std::string path_;
};

}  // namespace attnpde
