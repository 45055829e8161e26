#pragma once
// The journal of a study: every finished point is appended (and flushed) to a CSV beside
// the output folder, keyed by a hash of everything that determines its numbers, so that a
// killed study loses no finished point: `attnpde study CASE --resume` reads the journal
// and runs only the points it lacks. The journal is removed when the study's outputs are
// in place.

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

#include "solver/app/case.hpp"
#include "solver/app/point.hpp"

namespace attnpde {

/// Hash (FNV-1a, 64 bits) of the resolved point: the case values that change its numbers
/// and (N, sigma, seed, layers), floats with 17 digits.
std::uint64_t point_key(const Case& c, const PointSpec& spec);

class StudyJournal {
 public:
  /// Opens `path`; with `resume`, first reads the points it holds (a missing journal holds
  /// none), else starts it afresh. An empty path: no journal.
  StudyJournal(std::string path, bool resume, bool boundary_layer);
  /// The stored result of the point with this key, if the journal has it.
  const PointResult* find(std::uint64_t key) const;
  /// Appends a finished point (flushed at once).
  void add(std::uint64_t key, const PointResult& r);
  std::size_t resumed() const { return stored_.size(); }
  const std::string& path() const { return path_; }

 private:
  void write_line(std::uint64_t key, const PointResult& r);
  std::string path_;
  bool boundary_;
  std::map<std::uint64_t, PointResult> stored_;
  std::ofstream out_;
};

}  // namespace attnpde
