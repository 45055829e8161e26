#pragma once
// Helpers of the end-to-end tests: run the attnpde program as a user would (from the
// source directory, stdout and stderr captured) in a per-process scratch folder that is
// removed when the test program ends.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace attnpde_test {

namespace fs = std::filesystem;

/// The scratch folder of this test process: TMPDIR/attnpde_cli_test_<pid>.
inline fs::path scratch_root() {
  return fs::temp_directory_path() / ("attnpde_cli_test_" + std::to_string(::getpid()));
}

inline const std::string source_dir = ATTNPDE_SOURCE_DIR;
inline const std::string binary = ATTNPDE_BINARY;

struct Result {
  int rc;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline fs::path scratch(const std::string& name) {
  const fs::path dir = scratch_root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

// Runs `attnpde ARGS` in the source directory; `launcher` (e.g. "mpirun -n 2") goes first.
inline Result run(const std::string& args, const std::string& launcher = "") {
  const fs::path base = scratch("cmd");
  fs::create_directories(base);
  const std::string cmd = "cd '" + source_dir + "' && " + launcher + " '" + binary + "' " + args + " >'" +
                          (base / "out").string() + "' 2>'" + (base / "err").string() + "'";
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(base / "out"), slurp(base / "err")};
}

/// Writes `text` to `p` (a test's own case file).
inline void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

inline std::vector<std::vector<std::string>> csv_cells(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines(slurp(path))) {
    std::vector<std::string> row;
    std::istringstream in(line);
    for (std::string x; std::getline(in, x, ',');) row.push_back(x);
    rows.push_back(row);
  }
  return rows;
}

/// The number in row r (1 = the first data row) of the column named `column` of
/// csv_cells() rows (a test failure when there is no such column).
inline double csv_cell(const std::vector<std::vector<std::string>>& rows, std::size_t r, const std::string& column) {
  const auto& head = rows.at(0);
  for (std::size_t k = 0; k < head.size(); ++k)
    if (head[k] == column) return std::stod(rows.at(r).at(k));
  ADD_FAILURE() << "no column " << column;
  return 0;
}

/// Removes the scratch folder when the test program ends.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(scratch_root(), ec);
  }
};
inline ::testing::Environment* const scratch_cleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

}  // namespace attnpde_test
