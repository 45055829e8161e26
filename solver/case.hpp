#pragma once
// A validated case: everything a run or a study needs, read once from a TOML case file
// (plus --set overrides) at the edge of the program. Numerics never see TOML.
//
// Every key is declared once in solver/case_keys.cpp (type, default, range, doc); the
// README key reference is generated from the same table (`attnpde keys`).

#include <Eigen/Dense>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "postprocess/json.hpp"

namespace attnpde {

/// Bad input: reported as one line "FILE:LINE:COL: error: KEY: MESSAGE" (line and
/// column when the input has them), exit code 2.
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, int line, int column, std::string key, std::string message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_, column_;
  std::string key_;
};

struct Case {
  std::string file;  ///< path of the case file
  std::string name;  ///< file stem

  // [domain]
  std::string domain_kind;  ///< "torus" | "box"
  int dim = 2;
  // [density]
  std::string density_expr;
  std::string sampler;             ///< "random" | "quasi"
  std::vector<double> gauss_mean;  ///< domain "space": mean of the Gaussian tokens
  Eigen::MatrixXd gauss_cov;       ///< domain "space": covariance
  // [tokens]
  long n = 0;
  std::uint64_t seed = 0;
  // [attention]
  std::string score;      ///< "metric" | "dot"
  Eigen::MatrixXd dot_B;  ///< dot score: rho = -x^T B y
  double dot_eps = 1.0;
  Eigen::MatrixXd metric;
  double beta = 2.0;
  double sigma = 0.0;
  std::string normalization;  ///< "softmax" | "alpha" | "sinkhorn"
  double alpha = 1.0;
  double sinkhorn_tol = 1e-12;
  int sinkhorn_max_iter = 2000;
  double tau = 0.5;
  int layers = 0;
  std::string depth;  ///< "layers" | "continuous"
  bool transport = false;
  std::string precision;  ///< "float64" | "float32"
  std::string kernel;     ///< "auto" | "dense" | "truncated"
  double cutoff = 5.0;    ///< truncated kernel: neighbours within d_M <= cutoff sigma
  double ode_rtol = 1e-8, ode_atol = 1e-10;
  // [initial]
  std::vector<std::string> u0;  ///< one expression per component (scalar u: one)
  // [pde]
  std::vector<int> grid;
  double dt = 0.0;
  double rtol = 1e-10;
  double atol = 1e-14;
  double pde_t_end = 0.0;
  std::vector<std::string> metric_field;  ///< G(x) as dim x dim expressions (row-major); empty: G = M^-1
  std::vector<std::string> drift;         ///< b(x), dim expressions; empty: b = 0 (`attnpde pde` only)
  int pde_frames = 10;
  // [study]
  std::vector<long> study_n;
  std::vector<double> study_sigma;
  std::string study_path;  ///< "none" | "optimal"
  double study_path_scale = 1.0;
  int study_seeds = 1;
  double study_time = 0.0;  ///< > 0: fixed horizon, layers = round(time / (tau c sigma^2))
  // [probe]
  std::vector<int> probe_grid;
  // [output]
  std::string out_dir;
  bool vtk = true;
  int every = 0;  ///< write fields every k layers; resolved (> 0) after loading

  Json resolved;  ///< the case as resolved (all keys, defaults filled), for the manifest
};

/// One --set override: "section.key=value" (value in TOML syntax; a bare word is taken
/// as a string for string keys).
struct Override {
  std::string text;
};

/// Reads, validates and resolves a case. Throws InputError on any bad input.
/// What the case is loaded for: a study also requires the [study] keys; pde.metric_field
/// is accepted by `attnpde pde` only (the attention metric is constant).
enum class Purpose { run, study, pde, probe };

Case load_case(const std::string& path, const std::vector<Override>& overrides, Purpose purpose);

/// Exponent of the balanced kernel width sigma* = C N^(-1/(dim+6)) (THEORY.md section 2).
double optimal_sigma(long n, int dim, double scale);

}  // namespace attnpde
