#include "postprocess/tables.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "postprocess/json.hpp"

namespace attnpde {

void close_checked(std::ofstream& out, const std::string& path) {
  errno = 0;
  out.flush();
  const bool flushed = static_cast<bool>(out);
  out.close();
  if (!flushed || !out)
    throw std::runtime_error("cannot write " + path + (errno ? std::string(": ") + std::strerror(errno) : ""));
}

void check_written(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) throw std::runtime_error("cannot write " + path + (ec ? ": " + ec.message() : ": empty file"));
}

std::string component_name(const std::string& base, int k, int m) {
  return m == 1 ? base : base + "_" + std::to_string(k);
}

CsvWriter::CsvWriter(const std::string& path, const std::vector<std::string>& columns)
    : out_(path), columns_(columns.size()), path_(path) {
  if (!out_) throw std::runtime_error("cannot write " + path + (errno ? std::string(": ") + std::strerror(errno) : ""));
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
  if (!out_)
    throw std::runtime_error("cannot write " + path_ + (errno ? std::string(": ") + std::strerror(errno) : ""));
}

void CsvWriter::close() {
  close_checked(out_, path_);
}

}  // namespace attnpde
