#include "solver/app/progress.hpp"

#include <cstdio>

namespace attnpde {

Progress::Progress(std::string label, long total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(long done) {
  if (quiet_ || total_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double interval = 1.0;
  if (done < total_ && std::chrono::duration<double>(now - last_).count() < interval) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : 0.0;
  std::fprintf(stderr, "attnpde: %s %ld/%ld (%3.0f%%), elapsed %.1f s, ETA %.1f s\n", label_.c_str(), done, total_,
               100.0 * static_cast<double>(done) / static_cast<double>(total_), elapsed, eta);
}

Phase::Phase(std::string label, bool quiet)
    : label_(std::move(label)), quiet_(quiet), start_(std::chrono::steady_clock::now()) {
  if (!quiet_) std::fprintf(stderr, "attnpde: %s ...\n", label_.c_str());
}

Phase::~Phase() {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (!quiet_ && seconds > 1.0) std::fprintf(stderr, "attnpde: %s done in %.1f s\n", label_.c_str(), seconds);
}

}  // namespace attnpde
