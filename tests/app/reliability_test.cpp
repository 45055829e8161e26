// Reliability of the attnpde program: every run finishes right or fails clearly, and never
// loses or fakes a result. Each test reproduces a failure a user met (the numbers in the
// names refer to the items of the reliability issue): results lost or faked while the
// command exits 0, inputs that passed validation and failed late, work without bounds,
// crashes and messages.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

const std::string small_run =
    "run cases/torus2d_metric.toml --quiet --set tokens.n=600 --set attention.layers=6 --set 'pde.grid=[32, 32]' ";

// One line on stderr, as every failure must print.
void expect_one_line(const Result& r, const std::string& contains) {
  const auto err = lines(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  EXPECT_NE(err[0].find(contains), std::string::npos) << err[0];
}

// Every file below dir with its contents, to compare folders byte for byte.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = slurp(e.path());
  return files;
}

// Hidden staging folders and locks left beside an output folder.
std::vector<std::string> leftovers(const fs::path& parent) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(parent))
    if (e.path().filename().string().find(".attnpde-") != std::string::npos) v.push_back(e.path().string());
  return v;
}

// A small file system that fills up (tmpfs; root only, skipped elsewhere).
class FullDisk {
 public:
  explicit FullDisk(const std::string& size) : dir_(scratch("full_disk")) {
    fs::create_directories(dir_);
    ok_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~FullDisk() {
    if (ok_) ::umount(dir_.c_str());
  }
  bool ok() const { return ok_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  bool ok_ = false;
};

// 1, 2: a full file system fails the run and the study with exit 1 and one line naming the
// file, and leaves no output folder (neither empty CSVs nor .pvd files pointing nowhere).
TEST(Reliability, FullDiskFailsRunAndStudyAndLeavesNoOutputs) {
  const FullDisk disk("160k");
  if (!disk.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  const fs::path out = disk.dir() / "res";
  // --force: past the disk-space estimate, which would refuse this run up front.
  const Result r =
      run("run cases/torus2d_metric.toml --quiet --force --set tokens.n=3000 --set attention.layers=8 "
          "--out '" +
          out.string() + "'");
  EXPECT_EQ(r.rc, 1) << r.out << r.err;
  expect_one_line(r, "cannot write ");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(leftovers(disk.dir()).empty());
  EXPECT_EQ(r.out, "");  // no "outputs:" line for outputs that do not exist
  // Fill the disk, then a study: its tables cannot be written.
  {
    std::ofstream filler(disk.dir() / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    for (int k = 0; k < 1000 && filler; ++k) filler << block << std::flush;
  }
  const fs::path study = disk.dir() / "study";
  const Result s =
      run("study cases/torus2d_variance.toml --quiet --force --set 'study.n=[2000, 4000]' --set study.seeds=2 "
          "--out '" +
          study.string() + "'");
  EXPECT_EQ(s.rc, 1) << s.err;
  EXPECT_NE(s.err.find("cannot write"), std::string::npos) << s.err;
  EXPECT_FALSE(fs::exists(study / "study.csv"));
  EXPECT_EQ(s.out.find("outputs:"), std::string::npos);
}

// 3: non-finite inputs are refused (exit 2), and a value that turns NaN at the tokens only
// stops the run (exit 1) naming what and where, with no outputs.
TEST(Reliability, NonFiniteValuesNeverReachTheOutputs) {
  const fs::path out = scratch("nonfinite");
  for (const char* set : {"attention.sigma=1e-320", "density.expr=1e308*10"}) {
    const Result r = run(small_run + "--set '" + set + "' --out '" + out.string() + "'");
    EXPECT_EQ(r.rc, 2) << set << ": " << r.err;
    expect_one_line(r, "error:");
  }
  // NaN on a band of tokens between the grid points the validation evaluates.
  const Result r =
      run("run cases/torus2d_metric.toml --quiet --set 'initial.u0=(x > 0.001 && x < 0.015) ? 0/0 : sin(x)' --out '" +
          out.string() + "'");
  EXPECT_EQ(r.rc, 1) << r.err;
  expect_one_line(r, "initial.u0 at the tokens is NaN at token");
  EXPECT_FALSE(fs::exists(out));
}

// 4: an interrupted run leaves the earlier result byte for byte and no partial folder; a
// rerun leaves exactly its own outputs (no stale frames) and keeps the user's files.
TEST(Reliability, InterruptedRunLeavesTheEarlierResultAndRerunsReplaceIt) {
  const fs::path parent = scratch("stage");
  fs::create_directories(parent);
  const fs::path out = parent / "res";
  ASSERT_EQ(run(small_run + "--set attention.layers=20 --set output.every=1 --out '" + out.string() + "'").rc, 0);
  std::ofstream(out / "notes.txt") << "my notes\n";
  const auto before = snapshot(out);
  EXPECT_EQ(before.count("vtk/tokens_000020.vtu"), 1u);
  for (int sig : {SIGINT, SIGTERM}) {
    const std::string cmd = "cd '" + source_dir + "' && exec '" + binary +
                            "' run cases/torus2d_metric.toml --quiet --set attention.layers=400 --set output.every=1 "
                            "--out '" +
                            out.string() + "' >/dev/null 2>&1";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until the run writes into its staging folder, then interrupt it.
    for (int k = 0; k < 200 && leftovers(parent).size() < 2; ++k)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "signal " << sig;
    EXPECT_EQ(snapshot(out), before) << "signal " << sig;
    EXPECT_TRUE(leftovers(parent).empty()) << leftovers(parent).front();
  }
  // Rerun with fewer layers: exactly its frames, the notes kept.
  ASSERT_EQ(run(small_run + "--set attention.layers=2 --set output.every=1 --out '" + out.string() + "'").rc, 0);
  auto after = snapshot(out);
  EXPECT_EQ(after.count("notes.txt"), 1u);
  int frames = 0;
  for (const auto& [name, text] : after) frames += name.rfind("vtk/", 0) == 0 ? 1 : 0;
  EXPECT_EQ(frames, 6);  // tokens and fields at layers 0, 1, 2
  // Without VTK output no .pvd and no frame remains.
  ASSERT_EQ(run(small_run + "--set output.vtk=false --out '" + out.string() + "'").rc, 0);
  after = snapshot(out);
  EXPECT_EQ(after.count("tokens.pvd") + after.count("fields.pvd"), 0u);
  EXPECT_FALSE(fs::exists(out / "vtk"));
  EXPECT_EQ(after.count("notes.txt"), 1u);
}

// 1: a path of the earlier result that blocks a frame (a folder where
// vtk/tokens_000004.vtu goes) no longer loses that frame: the new outputs are written
// aside and every frame of the .pvd files exists and is not empty.
TEST(Reliability, BlockedFramePathLosesNoFrame) {
  const fs::path out = scratch("blocked");
  fs::create_directories(out / "vtk" / "tokens_000004.vtu");
  const Result r = run(small_run + "--set output.every=1 --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* pvd : {"tokens.pvd", "fields.pvd"}) {
    const std::regex entry(R"re(file="([^"]+)")re");
    const std::string text = slurp(out / pvd);
    int frames = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator();
         ++it, ++frames) {
      const fs::path frame = out / (*it)[1].str();
      EXPECT_TRUE(fs::is_regular_file(frame)) << frame;
      EXPECT_GT(fs::file_size(frame), 0u) << frame;
    }
    EXPECT_EQ(frames, 7) << pvd;  // layers 0..6
  }
}

// 4: a second run into a folder that another run is writing refuses before computing.
TEST(Reliability, SecondRunIntoTheSameFolderRefuses) {
  const fs::path parent = scratch("lock");
  fs::create_directories(parent);
  const std::string lock = (parent / ".res.attnpde-lock").string();
  const int fd = ::open(lock.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running attnpde holds it
  const Result r = run(small_run + "--out '" + (parent / "res").string() + "'");
  ::close(fd);
  EXPECT_EQ(r.rc, 2);
  expect_one_line(r, "another attnpde run is writing this folder");
  EXPECT_FALSE(fs::exists(parent / "res"));
}

// 4: a killed study keeps its finished points; --resume runs only the missing ones and
// gives the same table as an uninterrupted study.
TEST(Reliability, KilledStudyResumes) {
  const fs::path parent = scratch("resume");
  fs::create_directories(parent);
  const std::string study = "study cases/torus2d_variance.toml --quiet --set 'study.n=[4000, 8000, 16000]' ";
  ASSERT_EQ(run(study + "--out '" + (parent / "full").string() + "'").rc, 0);
  const std::string cmd = "cd '" + source_dir + "' && exec '" + binary + "' " + study + "--out '" +
                          (parent / "st").string() + "' >/dev/null 2>&1";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path journal = parent / ".st.attnpde-study-journal.csv";
  for (int k = 0; k < 400 && lines(slurp(journal)).size() < 4; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const std::size_t kept = lines(slurp(journal)).size() - 1;
  ASSERT_GE(kept, 3u);
  const Result r = run(study + "--resume --out '" + (parent / "st").string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("resuming: " + std::to_string(kept) + " finished points"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(journal));
  const auto a = csv_cells(parent / "full" / "summary.csv"), b = csv_cells(parent / "st" / "summary.csv");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    for (std::size_t q = 0; q + 1 < a[k].size(); ++q) EXPECT_EQ(a[k][q], b[k][q]) << "row " << k;  // all but seconds
}

// 5-8: inputs that passed `check` and failed late are input errors now, with the key.
TEST(Reliability, InputsThatFailedLateAreRefusedWithTheirKey) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"initial.u0=sqrt(-1)", "initial.u0: expression \"sqrt(-1)\" is"},
      {"initial.u0=1/0", "initial.u0: expression \"1/0\" is inf"},
      {"initial.u0=log(x)", "initial.u0: expression \"log(x)\" is -inf"},
      {"density.expr=1+cos(x)", "density.expr: density must be positive everywhere"},
      {"density.expr=1+t", "density.expr: expression \"1+t\" uses the time t"},
      {"attention.sigma=inf", "attention.sigma: value inf is not a finite number"},
      {"attention.sigma=1e300", "attention.sigma: sigma = 1e+300 gives the temperature"},
      {"attention.beta=1e-300", "attention.beta: beta = 1e-300 gives the constant c(beta, n)"},
      {"pde.dt=1e-300", "pde.dt: the PDE would take"},
      {"pde.grid=[4096, 4096, 4096]", "pde.grid: expected 2 entries"},
  };
  for (const auto& [set, message] : bad) {
    const Result r = run("check cases/torus2d_metric.toml --set '" + set + "'");
    EXPECT_EQ(r.rc, 2) << set;
    expect_one_line(r, message);
  }
  const Result layers = run("check cases/torus2d_study.toml --set 'study.sigma=[1e-5]'");
  EXPECT_EQ(layers.rc, 2);
  expect_one_line(layers, "study.time: t = 0.15 at sigma = 1e-05 needs");
  const Result grid = run("check cases/torus3d_metric.toml --set 'pde.grid=[4096, 4096, 4096]'");
  EXPECT_EQ(grid.rc, 2);
  expect_one_line(grid, "more than PETSc's 32-bit index range");
}

// 9: work that cannot finish in reasonable time is refused with the estimate and a
// suggestion (exit 2, nothing written), before anything is allocated.
TEST(Reliability, UnboundedWorkIsRefusedWithAnEstimate) {
  const fs::path out = scratch("bounds");
  const Result dense = run("run cases/torus2d_metric.toml --set tokens.n=1000000 --set attention.kernel=dense --out '" +
                           out.string() + "'");
  EXPECT_EQ(dense.rc, 2);
  expect_one_line(dense, "refused: the estimated run time is");
  EXPECT_NE(dense.err.find("attention.kernel = \"truncated\""), std::string::npos);
  const Result pde = run("run cases/torus2d_metric.toml --set 'pde.grid=[16384, 16384]' --out '" + out.string() + "'");
  EXPECT_EQ(pde.rc, 2);
  expect_one_line(pde, "mostly the PDE");
  const Result metric =
      run("run cases/torus2d_metric.toml --set 'attention.metric=[[1, 0], [0, 1e-8]]' --out '" + out.string() + "'");
  EXPECT_EQ(metric.rc, 2);
  expect_one_line(metric, "steps");
  EXPECT_FALSE(fs::exists(out));
}

// 10: degenerate regimes run, with a warning that says why the numbers mean little.
TEST(Reliability, DegenerateRegimesWarn) {
  const Result r = run(small_run + "--set attention.sigma=0.05 --out '" + scratch("degenerate").string() + "'");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: sigma = 0.05 is below half the mean token spacing"), std::string::npos) << r.err;
  const Result z = run(small_run + "--set 'density.expr=2+sin(z)' --out '" + scratch("degenerate").string() + "'");
  EXPECT_EQ(z.rc, 0) << z.err;
  EXPECT_NE(z.err.find("uses z, which a 2D case does not have"), std::string::npos) << z.err;
}

// 11: deep nesting in a file or an override is an input error, not a stack overflow.
TEST(Reliability, DeepNestingIsAnInputError) {
  const fs::path dir = scratch("deep");
  fs::create_directories(dir);
  std::ofstream(dir / "arrays.toml") << "[domain]\ndim = 2\nx = " << std::string(10000, '[') << std::string(10000, ']')
                                     << "\n";
  std::string tables = "[domain]\ndim = 2\nx = ";
  for (int k = 0; k < 5000; ++k) tables += "{a = ";
  tables += "1" + std::string(5000, '}') + "\n";
  std::ofstream(dir / "tables.toml") << tables;
  for (const char* f : {"arrays.toml", "tables.toml"}) {
    const Result r = run("check '" + (dir / f).string() + "'");
    EXPECT_EQ(r.rc, 2) << f;
    expect_one_line(r, ":3:");
  }
  const Result set =
      run("check cases/torus2d_metric.toml --set 'initial.u0=" + std::string(5000, '[') + std::string(5000, ']') + "'");
  EXPECT_EQ(set.rc, 2);
  expect_one_line(set, "--set: error: initial.u0: value nests");
}

// 12: every failure is one line: command-line errors, a directory as the case file, a PETSc
// failure (the full report only with --verbose).
TEST(Reliability, EveryFailureIsOneLine) {
  expect_one_line(run("run"), "attnpde: error:");
  expect_one_line(run("run cases/torus2d_metric.toml --bogus"), "attnpde: error:");
  expect_one_line(run("frob"), "attnpde: error:");
  const Result dir = run("run cases");
  EXPECT_EQ(dir.rc, 2);
  expect_one_line(dir, "cases: error: is a directory");
  const Result petsc = run(small_run + "--out '" + scratch("petsc").string() + "' -- -ksp_type foo");
  EXPECT_EQ(petsc.rc, 1);
  expect_one_line(petsc, "Unable to find requested KSP type foo");
  const Result verbose = run(small_run + "--verbose --out '" + scratch("petsc").string() + "' -- -ksp_type foo");
  EXPECT_EQ(verbose.rc, 1);
  EXPECT_NE(verbose.err.find("PETSC ERROR"), std::string::npos);
}

// 13: a study whose output folder cannot be created stops before computing anything.
TEST(Reliability, StudyChecksItsOutputFolderFirst) {
  const fs::path file = scratch("not_a_folder");
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "a file\n";
  const auto start = std::chrono::steady_clock::now();
  const Result r = run("study cases/torus2d_study.toml --out '" + (file / "res").string() + "'");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.rc, 2);
  expect_one_line(r, "output folder: cannot create");
  EXPECT_LT(seconds, 10.0);  // the study itself takes about a minute
}

// 14: a misspelled PETSc option is reported instead of silently ignored.
TEST(Reliability, UnusedPetscOptionsWarn) {
  const Result r = run(small_run + "--out '" + scratch("typo").string() + "' -- -ts_typo bdf");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: PETSc option -ts_typo bdf was not used"), std::string::npos) << r.err;
}

}  // namespace
