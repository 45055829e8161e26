#pragma once
// Progress lines on stderr for long work: "attnpde: LABEL i/M (p%), elapsed, ETA".
// At most one line per second plus the final one; silent when quiet.

#include <chrono>
#include <string>

namespace attnpde {

class Progress {
 public:
  Progress(std::string label, long total, bool quiet);
  /// Reports that `done` of `total` items are complete.
  void update(long done);

 private:
  std::string label_;
  long total_;
  bool quiet_;
  std::chrono::steady_clock::time_point start_, last_;
};

/// A phase without inner progress (sampling, neighbour lists and weights, the generator
/// reference, PDE set-up): "attnpde: LABEL ..." when it starts and, when it took more
/// than a second, "attnpde: LABEL done in T s". Silent when quiet.
class Phase {
 public:
  Phase(std::string label, bool quiet);
  ~Phase();
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

 private:
  std::string label_;
  bool quiet_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace attnpde
