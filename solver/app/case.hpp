#pragma once
// A validated case: everything a run or a study needs, read once from a TOML case file
// (plus --set overrides) at the edge of the program. Numerics never see TOML.
//
// Every key is declared once in solver/app/case_keys.cpp (type, default, range, doc); the
// README key reference is generated from the same table (`attnpde keys`).

#include <Eigen/Dense>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "attention/domain.hpp"
#include "attention/kernel_dense.hpp"
#include "attention/normalization.hpp"
#include "attention/optimizer.hpp"
#include "attention/tokens.hpp"
#include "postprocess/json.hpp"
#include "solver/app/case_keys.hpp"

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

/// Choices of the case file, as enums (the order of each is the order of its key's
/// `choices` in solver/app/case_keys.cpp; the numerics never compare strings).
enum class Score { metric, dot };
enum class KernelChoice { automatic, dense, truncated };
enum class Depth { layers, continuous };
enum class StudyPath { none, optimal };
/// Token transport: none, attract (x <- x + tau (A x - x): clustering), repel (the opposite
/// sign: the token density follows the heat equation, docs/theory.md section 6).
enum class Transport { none, attract, repel };
/// The exact reference of token transport a case has (docs/theory.md section 6): the
/// Gaussian covariance map (`space`, softmax, beta = 2), the heat equation of the token
/// density (`repel` on the torus), or none.
enum class TransportReference { none, gaussian, heat };

/// An error planted on purpose by `attnpde verify --plant` to show that the matching
/// target fails: a wrong c(beta, n), a wrong gamma, a PDE with half the diffusion.
enum class PlantedError { none, constant, gamma, pde_half_diffusion };

/// [learn] of `attnpde learn` (solver/app/learn_command.hpp).
struct LearnSettings {
  int fields = 0, heldout = 0, snapshots = 0, modes = 0, seeds = 0, dot_rank = 0;
  std::vector<double> noise;
  bool metric_model = true, dot_model = true;
  OptimizerOptions optimizer;
  Eigen::MatrixXd initial;  ///< starting metric
};

/// A validated case. Every value comes from the file, an override or the key table's
/// default (solver/app/case_keys.cpp); the initializers below are only placeholders.
struct Case {
  std::string file;  ///< path of the case file
  std::string name;  ///< file stem
  Purpose purpose = Purpose::run;

  // [domain]
  Domain domain;
  int dim = 0;
  // [density]
  std::string density_expr;
  Sampler sampler = Sampler::random;
  bool distributed = false;        ///< tokens.distribution = "distributed": each rank holds its box's tokens
  std::vector<double> gauss_mean;  ///< domain "space": mean of the Gaussian tokens
  Eigen::MatrixXd gauss_cov;       ///< domain "space": covariance
  // [tokens]
  long n = 0;  ///< 0 when the command does not use tokens (pde)
  std::uint64_t seed = 0;
  // [attention]
  Score score = Score::metric;
  Eigen::MatrixXd dot_B;  ///< dot score: rho = -x^T B y
  double dot_eps = 0;
  Eigen::MatrixXd metric;
  double beta = 0;
  double sigma = 0;  ///< 0 when the command does not use it (pde with pde.t_end > 0, study)
  NormalizationSpec normalization;
  double tau = 0;
  int layers = 0;
  Depth depth = Depth::layers;
  Transport transport = Transport::none;
  Precision precision = Precision::float64;
  KernelChoice kernel = KernelChoice::automatic;
  double cutoff = 0;      ///< truncated kernel: neighbours within d_M <= cutoff sigma
  bool geodesic = false;  ///< sphere: arc length instead of the chordal distance
  double ode_rtol = 0, ode_atol = 0;
  // [initial]
  std::vector<std::string> u0;  ///< one expression per component (scalar u: one)
  // [pde]
  std::vector<int> grid;
  double dt = 0;
  double rtol = 0;
  double atol = 0;
  double pde_t_end = 0;
  std::vector<std::string> metric_field;  ///< G(x) as dim x dim expressions (row-major); empty: G = M^-1
  std::vector<std::string> drift;         ///< b(x), dim expressions; empty: b = 0 (`attnpde pde` only)
  int pde_frames = 0;
  // [study]
  std::vector<long> study_n;
  std::vector<double> study_sigma;
  StudyPath study_path = StudyPath::none;
  double study_path_scale = 0;
  int study_seeds = 0;
  double study_time = 0;                          ///< > 0: fixed horizon, layers = round(time / (tau c sigma^2))
  bool study_spectrum = false;                    ///< study.measure = "spectrum": eigenpair errors (T6)
  bool study_circle_law = false;                  ///< study.measure = "circle_law": mode growth on S^1 (T7)
  bool study_clusters = false;                    ///< study.measure = "clusters": clustering phase diagram
  std::vector<double> study_inverse_temperature;  ///< circle law: the betas = 1 / eps
  // [spectrum]
  int spectrum_count = 0;
  double spectrum_tol = 0;
  // [probe]
  std::vector<int> probe_grid;
  // [learn]
  LearnSettings learn;
  // [verify] (attnpde verify)
  std::string verify_target, verify_title;
  Purpose verify_command = Purpose::study;
  std::vector<std::string> verify_fits;
  double verify_max_error = 0;
  bool verify_full = false;
  bool verify_conformal = false;
  bool verify_gamma = false;  ///< T3: gamma fitted from the generator (verify.command = "gamma")  ///< T1 reference p^4
                              ///< Delta_gbar u (T5) instead of L_gamma u
  // [output]
  std::string out_dir;
  bool vtk = false;
  int every = 0;  ///< write fields every k layers; resolved (> 0) after loading

  PlantedError plant = PlantedError::none;  ///< never from a case file
  Json resolved;                            ///< the case as resolved (all keys, defaults filled), for the manifest
};

/// One --set override: "section.key=value" (value in TOML syntax; a bare word is taken
/// as a string for string keys).
struct Override {
  std::string text;
};

/// Reads, validates and resolves a case for `purpose`: the keys that purpose requires
/// must be present, keys only another command accepts are refused. Throws InputError on
/// any bad input.
Case load_case(const std::string& path, const std::vector<Override>& overrides, Purpose purpose);

/// The exact transport reference of a case (TransportReference::none without transport).
TransportReference transport_reference(const Case& c);

/// The balanced kernel width sigma* = C N^(-1/(dim+6)) (docs/theory.md section 2).
double optimal_sigma(long n, int dim, double scale);

/// What a case file is for when `attnpde check` is not told: a [learn] table means learn, a [study] table with token
/// counts means study, a [spectrum] table spectrum, the dot score off the sphere with a
/// [probe] table or without initial values probe, a case without tokens.n (or with
/// pde-only keys) pde, anything else run. `reason` says which rule applied.
Purpose infer_purpose(const std::string& path, std::string& reason);

/// The command a case under cases/verify is run with (its verify.command; study if unset).
Purpose verify_command_of(const std::string& path);

}  // namespace attnpde
