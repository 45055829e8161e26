#include "solver/app/output_stage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>

namespace fs = std::filesystem;

namespace attnpde {

namespace {

// --- What the signal handler needs, in plain memory (async-signal-safe access only). ---
volatile std::sig_atomic_t staging_active = 0;
char staging_path[4096];
char lock_path[4096];
const std::array<int, 3> handled_signals = {SIGINT, SIGTERM, SIGHUP};

struct Dirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

bool dot_or_dotdot(const char* n) {
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

// Removes parent/name recursively with system calls only (safe inside a signal handler).
void remove_tree_at(int parent, const char* name) {
  const int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    unlinkat(parent, name, 0);
    return;
  }
  alignas(8) char buf[8192];
  for (bool removed = true; removed;) {
    removed = false;
    lseek(fd, 0, SEEK_SET);
    for (;;) {
      const long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        const auto* d = reinterpret_cast<const Dirent64*>(buf + off);
        off += d->d_reclen;
        if (dot_or_dotdot(d->d_name)) continue;
        if (d->d_type == DT_DIR)
          remove_tree_at(fd, d->d_name);
        else
          unlinkat(fd, d->d_name, 0);
        removed = true;
      }
    }
  }
  close(fd);
  unlinkat(parent, name, AT_REMOVEDIR);
}

extern "C" void on_signal(int sig) {
  if (staging_active) {
    remove_tree_at(AT_FDCWD, staging_path);
    unlink(lock_path);
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void copy_path(char* dst, const std::string& src) {
  std::snprintf(dst, sizeof staging_path, "%s", src.c_str());
}

// Signals blocked for the lifetime of this object (the commit is not interrupted).
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : handled_signals) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, &old_);
  }
  ~SignalBlock() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

// Files attnpde writes at the top of an output folder.
const std::set<std::string>& top_level_outputs() {
  static const std::set<std::string> names = {"manifest.json", "tokens.csv",     "summary.csv", "study.csv",
                                              "rates.json",    "clustering.csv", "probe.csv",   "probe.vti",
                                              "tokens.pvd",    "fields.pvd",     "report.md"};
  return names;
}

// Every regular file below dir, as paths relative to it.
std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (!e.is_directory()) out.push_back(fs::relative(e.path(), dir).string());
  return out;
}

std::string text_of(const std::error_code& ec) {
  return ec ? ec.message() : std::string("unknown error");
}

}  // namespace

bool is_attnpde_output(const std::string& relative) {
  // Outputs of a command, at the top or in the per-target folders of `attnpde verify`.
  static const std::regex frame(R"((.+/)?vtk/(tokens|fields)_[0-9]{6}(_[0-9]+)?\.(vtu|vti|pvti))");
  static const std::regex plot(R"((.+/)?(generator|dynamics)_vs_[a-z_]+\.png)");
  const std::string name = fs::path(relative).filename().string();
  return top_level_outputs().count(name) > 0 || std::regex_match(relative, frame) || std::regex_match(relative, plot);
}

OutputStage::OutputStage(const std::string& target, MPI_Comm comm) : comm_(comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  root_ = rank == 0;
  std::string error;
  if (root_) {
    fs::path t = fs::absolute(target).lexically_normal();
    if (t.filename().empty()) t = t.parent_path();
    target_ = t.string();
    const fs::path parent = t.parent_path();
    const std::string name = t.filename().string();
    std::error_code ec;
    if (name.empty() || name == "." || name == "..") {
      error = "not a usable output folder name";
    } else if (fs::exists(t, ec) && !fs::is_directory(t, ec)) {
      error = "exists and is not a folder";
    } else if (fs::create_directories(parent, ec); ec && !fs::is_directory(parent)) {
      error = "cannot create " + parent.string() + ": " + text_of(ec);
    } else {
      lock_ = (parent / ("." + name + ".attnpde-lock")).string();
      lock_fd_ = open(lock_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
      if (lock_fd_ < 0) {
        error = "cannot create " + lock_ + ": " + std::strerror(errno);
      } else if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        error = "another attnpde run is writing this folder (lock " + lock_ + ")";
        close(lock_fd_);
        lock_fd_ = -1;
      } else {
        // Under the lock, partial folders of killed runs into the same target are stale.
        const std::string prefix = "." + name + ".attnpde-partial-";
        for (const auto& e : fs::directory_iterator(parent, ec))
          if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(e.path(), ec);
        staging_ = (parent / (prefix + std::to_string(getpid()))).string();
        if (!fs::create_directory(staging_, ec)) error = "cannot create " + staging_ + ": " + text_of(ec);
      }
    }
  }
  // Every rank learns the staging path, or the error.
  std::array<char, 4096> buf{};
  std::snprintf(buf.data(), buf.size(), "%s", error.empty() ? staging_.c_str() : error.c_str());
  int failed = error.empty() ? 0 : 1;
  MPI_Bcast(&failed, 1, MPI_INT, 0, comm);
  MPI_Bcast(buf.data(), static_cast<int>(buf.size()), MPI_CHAR, 0, comm);
  if (failed) {
    abort();
    throw OutputFolderError(target + ": error: output folder: " + buf.data());
  }
  staging_ = buf.data();
  if (root_) {
    copy_path(staging_path, staging_);
    copy_path(lock_path, lock_);
    staging_active = 1;
    for (int s : handled_signals) std::signal(s, on_signal);
  }
}

std::string OutputStage::beside(const std::string& kind) const {
  const fs::path t(target_.empty() ? staging_ : target_);
  return (t.parent_path() / ("." + t.filename().string() + ".attnpde-" + kind)).string();
}

OutputStage::~OutputStage() {
  if (!committed_) abort();
}

void OutputStage::abort() noexcept {
  if (!root_) return;
  staging_active = 0;
  std::error_code ec;
  if (!staging_.empty()) fs::remove_all(staging_, ec);
  if (lock_fd_ >= 0) {
    unlink(lock_.c_str());
    close(lock_fd_);
    lock_fd_ = -1;
  }
}

void OutputStage::commit() {
  MPI_Barrier(comm_);  // every rank has written its pieces
  std::string error;
  if (root_) {
    const SignalBlock block;
    std::error_code ec;
    // A full disk can leave files empty without any writer noticing: refuse them.
    for (const auto& rel : files_below(staging_))
      if (fs::file_size(fs::path(staging_) / rel, ec) == 0 || ec) {
        error = "cannot write " + (fs::path(target_) / rel).string() + ": empty file";
        break;
      }
    if (error.empty() && !fs::exists(target_)) {
      fs::rename(staging_, target_, ec);
      if (ec) error = "cannot move the outputs into " + target_ + ": " + ec.message();
    } else if (error.empty()) {
      // Exchange the folders atomically: the new outputs take the target's place, the
      // earlier result moves to the staging path.
      std::string old = staging_;
      if (renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
        old = staging_ + ".old";  // a file system without exchange: two renames
        fs::rename(target_, old, ec);
        if (!ec) {
          fs::rename(staging_, target_, ec);
          std::error_code back;
          if (ec) fs::rename(old, target_, back);  // put the earlier result back
        }
        if (ec) error = "cannot move the outputs into " + target_ + ": " + ec.message();
      }
      if (error.empty()) {
        // Keep what attnpde did not write; drop the earlier outputs. A file that cannot
        // be moved (its path is taken by a new output) keeps the earlier folder alive.
        bool all_moved = true;
        for (const auto& rel : files_below(old)) {
          if (is_attnpde_output(rel)) continue;
          const fs::path dst = fs::path(target_) / rel;
          std::error_code move;
          fs::create_directories(dst.parent_path(), move);
          if (fs::exists(dst)) continue;  // a new output of the same name supersedes it
          if (!move) fs::rename(fs::path(old) / rel, dst, move);
          if (move || fs::exists(fs::path(old) / rel)) all_moved = false;
        }
        if (all_moved) {
          fs::remove_all(old, ec);
        } else {
          const std::string kept = target_ + ".attnpde-earlier-" + std::to_string(getpid());
          fs::rename(old, kept, ec);
          std::fprintf(stderr,
                       "attnpde: warning: files of the earlier folder could not be moved into %s; it is kept as %s\n",
                       target_.c_str(), (ec ? old : kept).c_str());
        }
      }
    }
    if (error.empty()) {
      committed_ = true;
      staging_active = 0;
      unlink(lock_.c_str());
      close(lock_fd_);
      lock_fd_ = -1;
    }
  }
  int failed = error.empty() ? 0 : 1;
  MPI_Bcast(&failed, 1, MPI_INT, 0, comm_);
  if (failed) throw std::runtime_error(error.empty() ? "cannot write the outputs" : error);
  committed_ = true;
}

}  // namespace attnpde
