// End-to-end tests of the attnpde command line: the default case writes every output and
// they read back with VTK's own readers without warnings; every bad input exits 2 with
// FILE:LINE:COL and writes nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <vtkCallbackCommand.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLImageDataReader.h>
#include <vtkXMLPImageDataReader.h>
#include <vtkXMLUnstructuredGridReader.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

TEST(CliBadInput, EachBadCaseExitsTwoWithLocationAndWritesNothing) {
  const auto expected = lines(slurp(source_dir + "/tests/data/bad/expected.txt"));
  int checked = 0;
  for (const auto& line : expected) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find('|');
    const std::string file = "tests/data/bad/" + line.substr(0, bar);
    const std::string message = file + line.substr(bar + 1);
    const fs::path out = scratch("bad_out");
    const Result r = run("run " + file + " --out '" + out.string() + "'");
    EXPECT_EQ(r.rc, 2) << file;
    const auto err = lines(r.err);
    ASSERT_EQ(err.size(), 1u) << file << ": " << r.err;
    EXPECT_EQ(err[0].rfind(message, 0), 0u) << "got:      " << err[0] << "\nexpected: " << message;
    EXPECT_FALSE(fs::exists(out)) << file;
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST(CliBadInput, MissingFileAndBadOverridesExitTwo) {
  Result r = run("run cases/no_such_case.toml");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("cases/no_such_case.toml: error: cannot open case file"), std::string::npos) << r.err;

  const fs::path out = scratch("bad_set");
  r = run("run cases/torus2d_metric.toml --set attention.sigma=-1 --out '" + out.string() + "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "--set: error: attention.sigma: value -1 is outside (0, inf)\n");
  r = run("run cases/torus2d_metric.toml --set attention.sigmaa=1 --out '" + out.string() + "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "--set: error: attention.sigmaa: unknown key\n");
  r = run("study cases/torus2d_metric.toml --out '" + out.string() + "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("study.n: a study needs a non-empty list"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// Counts VTK errors and warnings raised while reading.
struct VtkComplaints {
  int count = 0;
  static void on_event(vtkObject*, unsigned long, void* self, void*) { ++static_cast<VtkComplaints*>(self)->count; }
};

template <class Reader>
vtkDataSet* read_vtk(Reader& reader, const std::string& path, VtkComplaints& complaints) {
  vtkNew<vtkCallbackCommand> cb;
  cb->SetCallback(&VtkComplaints::on_event);
  cb->SetClientData(&complaints);
  reader->AddObserver(vtkCommand::ErrorEvent, cb);
  reader->AddObserver(vtkCommand::WarningEvent, cb);
  reader->SetFileName(path.c_str());
  reader->Update();
  return reader->GetOutput();
}

void expect_finite_array(vtkDataSet* data, const char* name, vtkIdType points) {
  vtkDataArray* a = data->GetPointData()->GetArray(name);
  ASSERT_NE(a, nullptr) << name;
  ASSERT_EQ(a->GetNumberOfTuples(), points) << name;
  for (vtkIdType k = 0; k < points; ++k) ASSERT_TRUE(std::isfinite(a->GetTuple1(k))) << name;
}

// Files and times listed in a .pvd collection.
std::vector<std::pair<double, std::string>> pvd_entries(const fs::path& pvd) {
  const std::string text = slurp(pvd);
  const std::regex entry(R"re(timestep="([^"]+)"[^>]*file="([^"]+)")re");
  std::vector<std::pair<double, std::string>> v;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry); it != std::sregex_iterator(); ++it)
    v.emplace_back(std::stod((*it)[1]), (*it)[2]);
  return v;
}

TEST(CliRun, DefaultCaseWritesEveryOutputAndVtkReadsBack) {
  const fs::path out = scratch("default");
  const Result r = run("run cases/torus2d_metric.toml --quiet --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // --quiet: no progress lines
  for (const char* f : {"tokens.csv", "summary.csv", "manifest.json", "tokens.pvd", "fields.pvd"})
    EXPECT_TRUE(fs::exists(out / f)) << f;

  const auto csv = lines(slurp(out / "tokens.csv"));
  ASSERT_GE(csv.size(), 2u);
  EXPECT_EQ(csv[0], "x0,x1,u0,u_attn,u_pde");
  EXPECT_EQ(csv.size(), 8001u);  // header + N tokens
  const auto summary = lines(slurp(out / "summary.csv"));
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0], "n,sigma,tau,layers,t,seed,gen_err_l2,gen_err_max,err_l2,err_max,seconds");
  // Full precision: 17 significant digits somewhere in the row.
  EXPECT_TRUE(std::regex_search(summary[1], std::regex(R"(\d\.\d{16})"))) << summary[1];

  const std::string manifest = slurp(out / "manifest.json");
  for (const char* key : {"\"version\"", "\"git_commit\"", "\"seed\"", "\"timings_seconds\"", "\"err_l2\"",
                          "\"gen_err_l2\"", "\"case\"", "\"threads\"", "\"ksp_iterations\""})
    EXPECT_NE(manifest.find(key), std::string::npos) << key;
  // Result fields as numbers: a scalar field has one component; t = K tau c sigma^2.
  EXPECT_NE(manifest.find("\"components\": 1,"), std::string::npos);
  EXPECT_NE(manifest.find("\"t\": 0.3125,"), std::string::npos);
  EXPECT_NE(manifest.find("\"generator_constant_c\": 0.25,"), std::string::npos);
  EXPECT_NE(manifest.find("\"gamma\": 2,"), std::string::npos);
  EXPECT_NE(manifest.find("\"outputs\": ["), std::string::npos);

  // Token frames: every layer written (every = 4, layers = 40: 11 frames) at t = k tau c sigma^2.
  const auto tokens = pvd_entries(out / "tokens.pvd");
  const auto fields = pvd_entries(out / "fields.pvd");
  ASSERT_EQ(tokens.size(), 11u);
  ASSERT_EQ(fields.size(), 11u);
  const double dt_frame = 4 * 0.5 * 0.25 * 0.25 * 0.25;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    EXPECT_NEAR(tokens[k].first, static_cast<double>(k) * dt_frame, 1e-15);
    VtkComplaints complaints;
    vtkNew<vtkXMLUnstructuredGridReader> tr;
    vtkDataSet* cloud = read_vtk(tr, (out / tokens[k].second).string(), complaints);
    ASSERT_EQ(cloud->GetNumberOfPoints(), 8000);
    EXPECT_EQ(cloud->GetNumberOfCells(), 8000);
    for (const char* a : {"u_attn", "u_pde", "error", "p"}) expect_finite_array(cloud, a, 8000);
    vtkNew<vtkXMLImageDataReader> fr;
    vtkDataSet* image = read_vtk(fr, (out / fields[k].second).string(), complaints);
    ASSERT_EQ(image->GetNumberOfPoints(), 97 * 97);
    expect_finite_array(image, "u_pde", 97 * 97);
    EXPECT_EQ(complaints.count, 0);
  }
}

TEST(CliRun, ThreadCountAndOverridesBehave) {
  // Same numbers with 1 and 2 threads (rows are summed in a fixed order per thread).
  const std::string small =
      "run cases/torus2d_metric.toml --quiet --set tokens.n=1500 --set attention.layers=6 "
      "--set 'pde.grid=[32, 32]' --set output.vtk=false ";
  const fs::path a = scratch("t1"), b = scratch("t2");
  ASSERT_EQ(run(small + "--threads 1 --out '" + a.string() + "'").rc, 0);
  ASSERT_EQ(run(small + "--threads 2 --out '" + b.string() + "'").rc, 0);
  auto strip_seconds = [](const std::string& row) { return row.substr(0, row.rfind(',')); };
  EXPECT_EQ(strip_seconds(lines(slurp(a / "summary.csv"))[1]), strip_seconds(lines(slurp(b / "summary.csv"))[1]));
  EXPECT_EQ(slurp(a / "tokens.csv"), slurp(b / "tokens.csv"));
  EXPECT_FALSE(fs::exists(a / "tokens.pvd"));
  // An integer where a real is expected is accepted (sigma = 1).
  EXPECT_EQ(run(small + "--set attention.sigma=1 --out '" + a.string() + "'").rc, 0);
}

TEST(CliRun, PetscOptionsPassThrough) {
  const fs::path out = scratch("petsc");
  const Result r =
      run("run cases/torus2d_metric.toml --quiet --set tokens.n=500 --set attention.layers=2 "
          "--set output.vtk=false --out '" +
          out.string() + "' -- -ts_type bdf -ksp_type cg");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string manifest = slurp(out / "manifest.json");
  EXPECT_NE(manifest.find("\"ts_type\": \"bdf\""), std::string::npos);
}

TEST(CliKeys, ReadmeReferenceIsCurrent) {
  const Result r = run("keys");
  ASSERT_EQ(r.rc, 0);
  const std::string readme = slurp(source_dir + "/README.md");
  EXPECT_NE(readme.find(r.out), std::string::npos)
      << "README.md's case-file reference differs from `attnpde keys`; paste its output into README.md";
}

// run and study share one measurement of a point (solver/app/point.hpp): a study of one
// point and `run` of the same (N, sigma, seed, layers) write the same summary row, digit
// for digit (all but the seconds), on the torus and in the box, for layers and continuous
// depth.
TEST(CliRun, StudyPointEqualsTheSameRunToTheLastDigit) {
  struct Variant {
    const char* file;
    const char* extra;
  };
  for (const Variant v : {Variant{"torus2d_metric.toml", ""}, Variant{"box2d_neumann.toml", ""},
                          Variant{"torus1d_laplace.toml", "--set attention.depth=continuous "}}) {
    const std::string base = std::string("cases/") + v.file + " --quiet --set tokens.n=1200 --set 'pde.grid=" +
                             (std::string(v.file).find("1d") != std::string::npos ? "[64]" : "[32, 32]") + "' " +
                             v.extra;
    const fs::path st = scratch("point_study"), ru = scratch("point_run");
    const Result a = run("study " + base +
                         "--set 'study.n=[1200]' --set 'study.sigma=[0.3]' --set study.seeds=1 "
                         "--set study.time=0.05 --set study.path=none --out '" +
                         st.string() + "'");
    ASSERT_EQ(a.rc, 0) << v.file << ": " << a.err;
    const auto study_rows = csv_cells(st / "summary.csv");
    ASSERT_EQ(study_rows.size(), 2u);
    const std::string layers = study_rows[1][3];
    const Result b = run("run " + base + "--set attention.sigma=0.3 --set attention.layers=" + layers +
                         " --set output.vtk=false --out '" + ru.string() + "'");
    ASSERT_EQ(b.rc, 0) << v.file << ": " << b.err;
    const auto run_rows = csv_cells(ru / "summary.csv");
    ASSERT_EQ(run_rows.size(), 2u);
    ASSERT_EQ(run_rows[0], study_rows[0]);
    for (std::size_t k = 0; k < run_rows[0].size(); ++k) {
      if (run_rows[0][k] == "seconds") continue;
      EXPECT_EQ(run_rows[1][k], study_rows[1][k]) << v.file << ": " << run_rows[0][k];
    }
  }
}

// `attnpde check` infers what a case is for, and a PDE-only case without [tokens] passes.
TEST(CliCheck, InfersThePurposeAndAcceptsPdeOnlyCases) {
  const Result pde = run("check cases/box2d_pde.toml");
  EXPECT_EQ(pde.rc, 0) << pde.err;
  EXPECT_NE(pde.err.find("valid for `attnpde pde`"), std::string::npos) << pde.err;
  EXPECT_EQ(run("check cases/box2d_pde.toml --for pde").rc, 0);
  const Result as_run = run("check cases/box2d_pde.toml --for run");
  EXPECT_EQ(as_run.rc, 2);
  EXPECT_NE(as_run.err.find("tokens.n: missing required key"), std::string::npos) << as_run.err;
  const Result study = run("check cases/torus2d_study.toml");
  EXPECT_NE(study.err.find("valid for `attnpde study`"), std::string::npos) << study.err;
  const Result dir = run("check cases");
  EXPECT_EQ(dir.rc, 2);
  EXPECT_NE(dir.err.find("cases: error: is a directory"), std::string::npos) << dir.err;
}

// README's layout table names every folder of the tree (top level and solver/app/) and no
// folder that does not exist.
TEST(Readme, LayoutTableMatchesTheTree) {
  const std::string readme = slurp(source_dir + "/README.md");
  const auto start = readme.find("## Layout");
  ASSERT_NE(start, std::string::npos);
  std::set<std::string> listed;
  const std::regex row(R"re(\n\| `([a-z/]+)/` \|)re");
  for (auto it = std::sregex_iterator(readme.begin() + static_cast<std::ptrdiff_t>(start), readme.end(), row);
       it != std::sregex_iterator(); ++it)
    listed.insert((*it)[1]);
  std::set<std::string> tree;
  for (const auto& e : fs::directory_iterator(source_dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && name[0] != '.' && name.rfind("build", 0) != 0 && name != "results") tree.insert(name);
  }
  tree.insert("solver/app");
  EXPECT_EQ(listed, tree);
}

TEST(CliCheck, EveryShippedCaseValidates) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(source_dir + "/cases")) {
    if (e.path().extension() != ".toml") continue;
    const std::string name = e.path().filename().string();
    const bool study_table = slurp(e.path()).find("\n[study]") != std::string::npos;
    const std::string purpose = name.find("learn") != std::string::npos      ? "learn"
                                : study_table                                ? "study"
                                : name.find("pde") != std::string::npos      ? "pde"
                                : name.find("probe") != std::string::npos    ? "probe"
                                : name.find("spectrum") != std::string::npos ? "spectrum"
                                                                             : "run";
    const Result r = run("check cases/" + name + " --for " + purpose);
    EXPECT_EQ(r.rc, 0) << e.path() << ": " << r.err;
    // Without --for, check infers the same command (the dot score: probe only off the
    // sphere with a [probe] table or without values).
    const Result inferred = run("check cases/" + name);
    EXPECT_EQ(inferred.rc, 0) << e.path() << ": " << inferred.err;
    EXPECT_NE(inferred.err.find("valid for `attnpde " + purpose + "`"), std::string::npos)
        << name << ": " << inferred.err;
    ++n;
  }
  EXPECT_GE(n, 2);
}

}  // namespace

namespace {

// postprocess/plot_run.py draws the run's picture (where Debian's Python with matplotlib is
// installed, as ./run.sh does).
void expect_picture(const fs::path& out) {
  if (!fs::exists("/usr/bin/python3")) return;
  const std::string cmd = "/usr/bin/python3 '" + source_dir + "/postprocess/plot_run.py' '" + out.string() + "' '" +
                          (out / "fields.png").string() + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << out;
  EXPECT_TRUE(fs::exists(out / "fields.png")) << out;
}

// Short summary of a run, rounded to 3 significant digits (no timings), for golden files.
std::string rounded_summary(const fs::path& summary_csv) {
  const auto rows = lines(slurp(summary_csv));
  std::istringstream head(rows.at(0)), vals(rows.at(1));
  std::string out, name, value;
  while (std::getline(head, name, ',') && std::getline(vals, value, ',')) {
    if (name == "seconds") continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g", std::stod(value));
    out += name + " " + buf + "\n";
  }
  return out;
}

// Case regression: every shipped case that is not a study runs as a user would run it
// and its rounded summary equals tests/data/golden/<case>.txt. Catches silent changes of
// the numbers (set ATTNPDE_UPDATE_GOLDEN=1 to rewrite the files after an intended change).
TEST(CaseRegression, EveryRunCaseMatchesItsGoldenSummary) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(source_dir + "/cases")) {
    const std::string name = e.path().stem().string();
    // Studies run in StudyCase (tests/solver/study_test.cpp), learning in CliLearn.*, transport in
    // CliRun.TransportCase..., PDE-only cases in CliPde.*, probe-only cases in CliProbe.*, spectra in CliSpectrum.*
    if (e.path().extension() != ".toml" || name.find("study") != std::string::npos ||
        name.find("transport") != std::string::npos || name.find("pde") != std::string::npos ||
        name.find("probe") != std::string::npos || name.find("spectrum") != std::string::npos ||
        name.find("learn") != std::string::npos)
      continue;
    const fs::path out = scratch("case_" + name);
    const Result r = run("run cases/" + name + ".toml --quiet --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << name << ": " << r.err;
    for (const char* f : {"tokens.csv", "summary.csv", "manifest.json", "tokens.pvd"})
      EXPECT_TRUE(fs::exists(out / f)) << name << ": " << f;
    // fields.pvd where there is a grid (not on S^2, not for the dot score in the whole space),
    // and then listed in the manifest.
    const bool grid = slurp(out / "manifest.json").find("\"fields.pvd\"") != std::string::npos;
    EXPECT_EQ(fs::exists(out / "fields.pvd"), grid) << name;
    EXPECT_EQ(grid, name.rfind("sphere2", 0) != 0 && name.rfind("space", 0) != 0) << name;
    const std::string got = rounded_summary(out / "summary.csv");
    const fs::path golden = fs::path(source_dir) / "tests/data/golden" / (name + ".txt");
    if (std::getenv("ATTNPDE_UPDATE_GOLDEN")) std::ofstream(golden) << got;
    EXPECT_EQ(got, slurp(golden)) << name;
    expect_picture(out);
    ++n;
  }
  EXPECT_GE(n, 3);
}

}  // namespace

namespace {

// `attnpde probe`: T4 through the command line; the VTK image carries b as a vector and
// D as a 3 x 3 tensor.
TEST(CliProbe, WritesMomentsBesideThePrediction) {
  const fs::path out = scratch("probe");
  const Result r =
      run("probe cases/torus2d_metric.toml --quiet --set 'probe.grid=[8, 6]' --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto csv = lines(slurp(out / "probe.csv"));
  ASSERT_EQ(csv.size(), 1u + 8 * 6);
  EXPECT_EQ(csv[0], "x0,x1,b0,b1,b_pred0,b_pred1,D00,D01,D10,D11,D_pred00,D_pred01,D_pred10,D_pred11");
  VtkComplaints complaints;
  vtkNew<vtkXMLImageDataReader> reader;
  vtkDataSet* image = read_vtk(reader, (out / "probe.vti").string(), complaints);
  EXPECT_EQ(complaints.count, 0);
  ASSERT_EQ(image->GetNumberOfPoints(), 9 * 7);
  ASSERT_NE(image->GetPointData()->GetArray("b"), nullptr);
  EXPECT_EQ(image->GetPointData()->GetArray("b")->GetNumberOfComponents(), 3);
  EXPECT_EQ(image->GetPointData()->GetArray("D_pred")->GetNumberOfComponents(), 9);
  // The printed errors are the section-4 agreement at sigma = 0.25 (a few percent).
  const std::regex err(R"(max relative error ([0-9.e+-]+))");
  int seen = 0;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), err); it != std::sregex_iterator(); ++it, ++seen)
    EXPECT_LT(std::stod((*it)[1]), 0.1);
  EXPECT_EQ(seen, 2);
}

}  // namespace

namespace {

// Continuous depth writes the frames of the layers at the same times and records the
// ODE work; its dynamics error differs from the layers' by the finite-tau error.
TEST(CliRun, ContinuousDepthWritesTheSameFrames) {
  const fs::path a = scratch("depth_layers"), b = scratch("depth_ode");
  const std::string base = "run cases/torus2d_metric.toml --quiet --set tokens.n=2000 --set attention.layers=12 ";
  ASSERT_EQ(run(base + "--out '" + a.string() + "'").rc, 0);
  const Result r = run(base + "--set attention.depth=continuous --out '" + b.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto fa = pvd_entries(a / "tokens.pvd"), fb = pvd_entries(b / "tokens.pvd");
  ASSERT_EQ(fa.size(), fb.size());
  for (std::size_t k = 0; k < fa.size(); ++k) EXPECT_EQ(fa[k].first, fb[k].first);
  const std::string manifest = slurp(b / "manifest.json");
  EXPECT_NE(manifest.find("\"kind\": \"continuous\""), std::string::npos);
  EXPECT_NE(manifest.find("\"rhs_evaluations\""), std::string::npos);
  EXPECT_NE(slurp(a / "tokens.csv"), slurp(b / "tokens.csv"));
}

}  // namespace

namespace {

// The shipped transport case: tokens collapse into clusters (fewer clusters, nearest
// neighbours closer at every written layer), frames readable by VTK.
TEST(CliRun, TransportCaseClusters) {
  const fs::path out = scratch("transport");
  const Result r = run("run cases/torus2d_transport.toml --quiet --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  expect_picture(out);
  const auto rows = lines(slurp(out / "clustering.csv"));
  ASSERT_EQ(rows[0], "layer,t,clusters,mean_nearest_neighbour,min_distance");
  ASSERT_EQ(rows.size(), 1u + 9);  // layers 0, 5, ..., 40
  double prev_clusters = 1e300, prev_nn = 1e300;
  for (std::size_t k = 1; k < rows.size(); ++k) {
    std::istringstream in(rows[k]);
    std::string cell;
    std::vector<double> v;
    while (std::getline(in, cell, ',')) v.push_back(std::stod(cell));
    EXPECT_LE(v[2], prev_clusters) << rows[k];
    EXPECT_LT(v[3], prev_nn) << rows[k];
    prev_clusters = v[2];
    prev_nn = v[3];
  }
  EXPECT_LT(prev_clusters, 100);
  const auto frames = pvd_entries(out / "tokens.pvd");
  ASSERT_EQ(frames.size(), 9u);
  VtkComplaints complaints;
  vtkNew<vtkXMLUnstructuredGridReader> reader;
  vtkDataSet* cloud = read_vtk(reader, (out / frames.back().second).string(), complaints);
  EXPECT_EQ(cloud->GetNumberOfPoints(), 1500);
  EXPECT_EQ(complaints.count, 0);
  // Attraction on the torus has no exact reference (the backward heat equation): no study.
  const Result st = run("study cases/torus2d_transport.toml --set 'study.n=[100]' --set 'study.sigma=[0.3]'");
  EXPECT_EQ(st.rc, 2);
  EXPECT_NE(st.err.find("exact reference"), std::string::npos) << st.err;
}

// docs/theory.md section 6: repelled lattice tokens of 1 + 0.3 cos x on the 1D torus
// (N = 3000, sigma = 0.15, tau = 0.5, 40 layers): the first Fourier moment falls to 0.79905
// of its value against exp(-2 s) = 0.79852 (softmax), 0.89374 against 0.89360 (Sinkhorn).
TEST(CliRun, RepelledTokensFollowTheHeatEquation) {
  const fs::path dir = scratch("repel");
  fs::create_directories(dir);
  write_file(dir / "repel.toml",
             "[domain]\nkind = \"torus\"\ndim = 1\n[density]\nexpr = \"1 + 0.3*cos(x)\"\nsampler = \"quasi\"\n"
             "[tokens]\nn = 3000\n[attention]\nsigma = 0.15\ntau = 0.5\nlayers = 40\ntransport = \"repel\"\n"
             "[output]\nvtk = false\nevery = 40\n");
  for (const auto& [norm, measured, predicted] :
       {std::tuple{"softmax", 0.79905, 0.79852}, std::tuple{"sinkhorn", 0.89374, 0.89360}}) {
    const fs::path out = dir / norm;
    const Result r = run("run '" + (dir / "repel.toml").string() + "' --quiet --set 'attention.normalization=\"" +
                         norm + "\"' --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << r.err;
    const auto rows = lines(slurp(out / "reference.csv"));
    ASSERT_EQ(rows[0], "layer,t,reference_error,moment_ratio,moment_ratio_ref");
    ASSERT_EQ(rows.size(), 3u);  // layers 0 and 40
    std::istringstream in(rows[2]);
    std::string cell;
    std::vector<double> v;
    while (std::getline(in, cell, ',')) v.push_back(std::stod(cell));
    EXPECT_NEAR(v[3], measured, 1e-5) << norm;
    EXPECT_NEAR(v[4], predicted, 1e-5) << norm;
    EXPECT_LT(v[2], 1e-3) << norm;
  }
}

// docs/theory.md section 6: Gaussian tokens keep a Gaussian law under softmax transport; the
// token covariance after 4 layers agrees with the map S -> (I - tau B) S (I - tau B)^T to the
// finite-N error, and a wrong sign (repulsion) is far from the attracting map.
TEST(CliRun, GaussianTokensFollowTheCovarianceMap) {
  const fs::path dir = scratch("gauss_transport");
  fs::create_directories(dir);
  write_file(dir / "gauss.toml",
             "[domain]\nkind = \"space\"\ndim = 2\n[density]\nmean = [0.5, -0.25]\n"
             "cov = [[1.0, 0.3], [0.3, 0.5]]\n[tokens]\nn = 8000\nseed = 2\n[attention]\n"
             "metric = [[2, 0.6], [0.6, 1]]\nsigma = 1\ntau = 0.5\nlayers = 4\ntransport = \"attract\"\n"
             "[output]\nvtk = false\n");
  const Result r = run("run '" + (dir / "gauss.toml").string() + "' --quiet --out '" + (dir / "out").string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto rows = lines(slurp(dir / "out" / "reference.csv"));
  ASSERT_EQ(rows[0], "layer,t,reference_error,cov_00,cov_01,cov_11,cov_ref_00,cov_ref_01,cov_ref_11");
  ASSERT_EQ(rows.size(), 6u);
  std::istringstream in(rows.back());
  std::string cell;
  std::vector<double> v;
  while (std::getline(in, cell, ',')) v.push_back(std::stod(cell));
  EXPECT_LT(v[2], 0.03);       // finite-N error at N = 8000
  EXPECT_LT(v[6], 0.6 * 1.0);  // the map shrinks S: attraction
  // The velocity at layer 0 against B (m - x): the manifest's finite-N error.
  EXPECT_NE(slurp(dir / "out" / "manifest.json").find("\"velocity_error_l2\""), std::string::npos);
}

}  // namespace

namespace {

// `attnpde pde`: the solver alone writes pde.frames + 1 readable frames and conserves the
// weighted mass sum w u h^n to round-off (docs/theory.md section 3).
TEST(CliPde, SolverAloneConservesWeightedMass) {
  const fs::path out = scratch("pde");
  const Result r =
      run("pde cases/torus2d_metric.toml --quiet --set 'initial.u0=2 + sin(x)*cos(y)' --set pde.frames=4 "
          "--set pde.t_end=0.5 --out '" +
          out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::regex mass(R"(weighted mass sum w u h\^n: ([0-9.e+-]+) -> ([0-9.e+-]+))");
  std::smatch mm;
  ASSERT_TRUE(std::regex_search(r.out, mm, mass)) << r.out;
  const double m0 = std::stod(mm[1]), m1 = std::stod(mm[2]);
  EXPECT_NEAR(m1, m0, 1e-12 * std::abs(m0));
  const auto frames = pvd_entries(out / "fields.pvd");
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_DOUBLE_EQ(frames.back().first, 0.5);
  VtkComplaints complaints;
  vtkNew<vtkXMLImageDataReader> reader;
  vtkDataSet* image = read_vtk(reader, (out / frames.back().second).string(), complaints);
  expect_finite_array(image, "u", 97 * 97);
  EXPECT_EQ(complaints.count, 0);
}

}  // namespace

namespace {

// Box domain (docs/theory.md section 2): in the interior the generator approaches the
// zero-flux limit at O(sigma^2); in the boundary layer (3 sigma from the walls) it does
// not (u0 violates the conormal condition there, so the layer error grows as sigma falls).
TEST(CliRun, BoxShowsTheZeroFluxLimitInTheInterior) {
  std::vector<std::vector<double>> rows;
  for (const char* sigma : {"0.08", "0.04"}) {
    const fs::path out = scratch(std::string("box_") + sigma);
    const Result r =
        run("run cases/box2d_neumann.toml --quiet --set tokens.n=12000 --set attention.layers=20 "
            "--set output.vtk=false --set attention.sigma=" +
            std::string(sigma) + " --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << r.err;
    const auto csv = lines(slurp(out / "summary.csv"));
    ASSERT_EQ(csv.size(), 2u);
    EXPECT_NE(csv[0].find("gen_err_l2_boundary"), std::string::npos);
    std::vector<double> row;
    std::istringstream in(csv[1]);
    for (std::string v; std::getline(in, v, ',');) row.push_back(std::stod(v));
    rows.push_back(row);
    EXPECT_NE(slurp(out / "manifest.json").find("\"boundary_layer\""), std::string::npos);
  }
  // Columns: 6 gen_err_l2, 8 err_l2, 11 boundary_tokens, 12 gen_err_l2_boundary.
  const double order = std::log2(rows[0][6] / rows[1][6]);
  std::printf("interior generator error %.3e -> %.3e (order %.2f); boundary layer %.3e -> %.3e\n", rows[0][6],
              rows[1][6], order, rows[0][12], rows[1][12]);
  EXPECT_GT(order, 1.75);
  EXPECT_LT(order, 2.25);
  EXPECT_GT(rows[1][12], 50 * rows[1][6]);
  EXPECT_LT(rows[1][8], rows[0][8]);
  EXPECT_LT(rows[1][8], 3e-3);
  EXPECT_GT(rows[1][11], 1000);
}

// `attnpde pde` in the box with G(x) and a drift; without the drift the weighted mass is
// conserved to round-off.
TEST(CliPde, BoxCaseWithMetricFieldAndDrift) {
  const fs::path out = scratch("pde_box");
  Result r =
      run("pde cases/box2d_pde.toml --quiet --set 'pde.grid=[64, 48]' --set pde.frames=4 --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto frames = pvd_entries(out / "fields.pvd");
  ASSERT_EQ(frames.size(), 5u);
  VtkComplaints complaints;
  vtkNew<vtkXMLImageDataReader> reader;
  vtkDataSet* image = read_vtk(reader, (out / frames.back().second).string(), complaints);
  EXPECT_EQ(complaints.count, 0);
  ASSERT_EQ(image->GetNumberOfPoints(), 64 * 48);  // cell centres, no periodic closure
  double bounds[6];
  image->GetBounds(bounds);
  EXPECT_NEAR(bounds[0], 0.5 / 64, 1e-12);
  EXPECT_NEAR(bounds[1], 1 - 0.5 / 64, 1e-12);
  const std::string manifest = slurp(out / "manifest.json");
  EXPECT_NE(manifest.find("\"pc_type\": \"stencil-mg\""), std::string::npos);

  const fs::path still = scratch("pde_box_nodrift");
  r = run(
      "pde cases/box2d_pde.toml --quiet --set 'pde.grid=[64, 48]' --set pde.frames=2 --set 'pde.drift=[\"0\", \"0\"]' "
      "--set pde.rtol=1e-14 --set output.vtk=false --out '" +
      still.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string m = slurp(still / "manifest.json");
  const std::regex mass(R"re("weighted_mass_(initial|final)": ([0-9.e+-]+))re");
  std::vector<double> masses;
  for (auto it = std::sregex_iterator(m.begin(), m.end(), mass); it != std::sregex_iterator(); ++it)
    masses.push_back(std::stod((*it)[2]));
  ASSERT_EQ(masses.size(), 2u);
  EXPECT_NEAR(masses[1], masses[0], 1e-12 * masses[0]);
}

#ifdef ATTNPDE_MPIRUN
// Two ranks write one .vti piece each and a .pvti header; ParaView's reader (VTK's
// vtkXMLPImageDataReader) assembles the same field as the one-rank .vti, to the solver
// tolerance.
TEST(CliPde, TwoRanksWriteAParallelImageEqualToTheSerialOne) {
  const fs::path one = scratch("pde_one"), two = scratch("pde_two");
  const std::string args = "pde cases/box2d_pde.toml --quiet --threads 1 --set 'pde.grid=[40, 36]' --set pde.frames=2 ";
  const Result first = run(args + "--out '" + one.string() + "'");
  ASSERT_EQ(first.rc, 0) << first.err;
  // This test process is itself an MPI singleton: its OMPI_/PMIX_ variables would make
  // the child mpirun believe it runs inside a job, so they are removed.
  const Result r =
      run(args + "--out '" + two.string() + "'",
          "env $(env | grep -o '^\\(OMPI\\|PMIX\\)_[A-Za-z0-9_]*' | sed 's/^/-u /') "
          "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 '" +
              std::string(ATTNPDE_MPIRUN) + "' -n 2");
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  const auto f1 = pvd_entries(one / "fields.pvd"), f2 = pvd_entries(two / "fields.pvd");
  ASSERT_EQ(f2.size(), 3u);
  EXPECT_NE(f2.back().second.find(".pvti"), std::string::npos);
  VtkComplaints complaints;
  vtkNew<vtkXMLImageDataReader> serial;
  vtkNew<vtkXMLPImageDataReader> parallel;
  vtkDataSet* a = read_vtk(serial, (one / f1.back().second).string(), complaints);
  vtkDataSet* b = read_vtk(parallel, (two / f2.back().second).string(), complaints);
  EXPECT_EQ(complaints.count, 0);
  ASSERT_EQ(a->GetNumberOfPoints(), b->GetNumberOfPoints());
  vtkDataArray* ua = a->GetPointData()->GetArray("u");
  vtkDataArray* ub = b->GetPointData()->GetArray("u");
  ASSERT_NE(ub, nullptr);
  double diff = 0, scale = 0;
  for (vtkIdType k = 0; k < a->GetNumberOfPoints(); ++k) {
    double pa[3], pb[3];
    a->GetPoint(k, pa);
    b->GetPoint(k, pb);
    ASSERT_NEAR(pa[0], pb[0], 1e-12);
    ASSERT_NEAR(pa[1], pb[1], 1e-12);
    diff = std::max(diff, std::abs(ua->GetTuple1(k) - ub->GetTuple1(k)));
    scale = std::max(scale, std::abs(ua->GetTuple1(k)));
  }
  EXPECT_LT(diff, 1e-8 * scale);
}
#endif

}  // namespace

namespace {

// Dot-product attention on the Gaussian cloud (docs/theory.md section 5, T4): the measured
// moments match b = mu + Sigma B^T x / eps - x and D = Sigma + b b^T to the sampling error
// of 200000 tokens; `run` evolves values without a PDE (no diffusion limit), `study` and a
// torus refuse the dot score.
TEST(CliProbe, DotProductMatchesTheExponentialTilt) {
  const fs::path out = scratch("probe_dot");
  Result r = run("probe cases/space2d_dot_probe.toml --quiet --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::regex err(R"(max relative error ([0-9.e+-]+))");
  int seen = 0;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), err); it != std::sregex_iterator(); ++it, ++seen)
    EXPECT_LT(std::stod((*it)[1]), 0.02);
  EXPECT_EQ(seen, 2);
  const auto csv = lines(slurp(out / "probe.csv"));
  EXPECT_EQ(csv.size(), 1u + 12 * 12);

  // `run` evolves values by the dot layers without a PDE (no u_pde columns); `study` has
  // nothing to fit.
  const fs::path run_out = scratch("dot_run");
  r = run("run cases/space2d_dot_probe.toml --quiet --set tokens.n=500 --set 'initial.u0=\"x*y\"' --out '" +
          run_out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("no PDE beside the layers"), std::string::npos) << r.out;
  EXPECT_EQ(lines(slurp(run_out / "tokens.csv")).at(0), "x0,x1,u0,u_attn");
  r = run("study cases/space2d_dot_probe.toml --quiet --set 'study.n=[100]' --set 'study.sigma=[0.3]' --out '" +
          scratch("dot_study").string() + "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("attention.score"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("attnpde probe"), std::string::npos) << r.err;
  r = run("probe cases/torus2d_metric.toml --quiet --set attention.score=dot --out '" + scratch("dot_torus").string() +
          "'");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("domain.kind = \"space\""), std::string::npos) << r.err;
}

}  // namespace

namespace {

// The truncated kernel through the command line: the default case gives the dense errors
// to far below their size, and the manifest reports the kernel and its neglected weight.
TEST(CliRun, TruncatedKernelMatchesDense) {
  const std::string base =
      "run cases/torus2d_metric.toml --quiet --set tokens.n=3000 --set attention.layers=8 "
      "--set output.vtk=false ";
  const fs::path a = scratch("kernel_dense"), b = scratch("kernel_truncated");
  ASSERT_EQ(run(base + "--set attention.kernel=dense --out '" + a.string() + "'").rc, 0);
  const Result r = run(base + "--set attention.kernel=truncated --out '" + b.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  auto row = [](const fs::path& csv) {
    std::vector<double> v;
    std::istringstream in(lines(slurp(csv)).at(1));
    for (std::string x; std::getline(in, x, ',');) v.push_back(std::stod(x));
    return v;
  };
  const auto da = row(a / "summary.csv"), db = row(b / "summary.csv");
  for (int col : {6, 7, 8, 9}) EXPECT_NEAR(da[col], db[col], 1e-6 * da[col]) << "column " << col;
  const std::string m = slurp(b / "manifest.json");
  EXPECT_NE(m.find("\"kind\": \"truncated\""), std::string::npos);
  EXPECT_NE(m.find("\"neglected_weight_bound\""), std::string::npos);
  EXPECT_NE(slurp(a / "manifest.json").find("\"kind\": \"dense\""), std::string::npos);
  // A cutoff whose search radius reaches half the period is bad input.
  const Result bad = run(base + "--set attention.kernel=truncated --set attention.cutoff=20 --out '" +
                         scratch("kernel_bad").string() + "'");
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("attention.cutoff"), std::string::npos) << bad.err;
}

}  // namespace

namespace {

// A vector field u (initial.u0 as an array): every component evolves exactly as the same
// expression would alone, on the attention side and on the PDE side.
TEST(CliRun, VectorValuesEvolveComponentByComponent) {
  const std::string base =
      "run cases/torus2d_metric.toml --quiet --set tokens.n=1500 --set attention.layers=6 "
      "--set 'pde.grid=[48, 48]' ";
  const char* comps[] = {"sin(x)", "cos(y) + 0.5*sin(x + y)"};
  const fs::path vec = scratch("vector_u");
  const Result r =
      run(base + "--set 'initial.u0=[\"" + comps[0] + "\", \"" + comps[1] + "\"]' --out '" + vec.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto v = csv_cells(vec / "tokens.csv");
  ASSERT_EQ(v[0], (std::vector<std::string>{"x0", "x1", "u0_0", "u0_1", "u_attn_0", "u_attn_1", "u_pde_0", "u_pde_1"}));
  for (int q = 0; q < 2; ++q) {
    const fs::path one = scratch("scalar_u" + std::to_string(q));
    ASSERT_EQ(run(base + "--set 'initial.u0=" + comps[q] + "' --out '" + one.string() + "'").rc, 0);
    const auto s = csv_cells(one / "tokens.csv");
    ASSERT_EQ(s.size(), v.size());
    for (std::size_t j = 1; j < s.size(); ++j) {
      EXPECT_EQ(s[j][2], v[j][2 + q]) << "u0, token " << j;
      EXPECT_EQ(s[j][3], v[j][4 + q]) << "u_attn, token " << j;
      EXPECT_EQ(s[j][4], v[j][6 + q]) << "u_pde, token " << j;
    }
  }
  VtkComplaints complaints;
  vtkNew<vtkXMLUnstructuredGridReader> reader;
  const auto frames = pvd_entries(vec / "tokens.pvd");
  vtkDataSet* cloud = read_vtk(reader, (vec / frames.back().second).string(), complaints);
  EXPECT_EQ(complaints.count, 0);
  EXPECT_NE(cloud->GetPointData()->GetArray("u_attn_1"), nullptr);
  expect_picture(vec);
  // The manifest counts the components (a number, not a copy of the manifest).
  EXPECT_NE(slurp(vec / "manifest.json").find("\"components\": 2,"), std::string::npos);
  const Result bad = run(base + "--set 'initial.u0=[]' --out '" + scratch("vector_bad").string() + "'");
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("initial.u0"), std::string::npos) << bad.err;
}

}  // namespace
