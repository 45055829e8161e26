#include "postprocess/tables.hpp"

#include <stdexcept>

#include "postprocess/json.hpp"

namespace attnpde {

std::string component_name(const std::string& base, int k, int m) {
  return m == 1 ? base : base + "_" + std::to_string(k);
}

CsvWriter::CsvWriter(const std::string& path, const std::vector<std::string>& columns)
    : out_(path), columns_(columns.size()), path_(path) {
  if (!out_) throw std::runtime_error("cannot write " + path);
  row_text(columns);
}

void CsvWriter::row(const std::vector<double>& values) {
  std::vector<std::string> cells;
  cells.reserve(values.size());
  for (double v : values) cells.push_back(format_double(v));
  row_text(cells);
}

void CsvWriter::row_text(const std::vector<std::string>& cells) {
  if (cells.size() != columns_) throw std::logic_error("CSV row width mismatch in " + path_);
  for (std::size_t k = 0; k < cells.size(); ++k) out_ << (k ? "," : "") << cells[k];
  out_ << '\n';
  if (!out_) throw std::runtime_error("write failed: " + path_);
}

}  // namespace attnpde
