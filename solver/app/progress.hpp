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

}  // namespace attnpde
