#pragma once
// The spectral side of a case (docs/theory.md section 8, target T6): the reference
// spectrum of the limit operator -L_gamma and the measurement of one (N, sigma, seed)
// point, shared by `attnpde spectrum` and spectrum studies.
//
// Reference: exact where a closed form exists, else the FD operator's eigenpairs.
//   - torus, p uniform or gamma = 0: eigenvalues k^T G k (k in Z^n), eigenfunctions
//     cos(k.x) and sin(k.x) (the pair +-k twice); with beta = 2 also the finite-sigma
//     values (1 - exp(-sigma^2 k^T G k / 4)) / (c sigma^2) of the Gaussian kernel;
//   - box, p uniform or gamma = 0, diagonal G: pi^2 sum_d G_dd k_d^2 (k_d >= 0), products
//     of cos(pi k_d x_d);
//   - otherwise the FD generalized problem (solver/spectrum.hpp) on pde.grid.
// Eigenvalues equal to 1e-8 relative form a cluster; the eigenvector error of an attention
// eigenvector is its distance, in l^2(c) at the tokens, to the span of its cluster's
// reference eigenfunctions, so degenerate pairs count correctly whatever basis the
// eigensolver returns.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "solver/app/problem.hpp"
#include "solver/spectrum.hpp"

namespace attnpde {

struct SpectrumReference {
  std::string kind;            ///< "exact" or "finite differences"
  std::vector<double> values;  ///< ascending, at least `count`, the last cluster whole
  std::vector<int> cluster;    ///< cluster of each value (0: the constants)
  Eigenpairs fd;               ///< the FD eigenpairs (always computed; grid vectors)
  bool finite_sigma = false;   ///< exact finite-sigma values exist (uniform torus, beta = 2)
  double beta_constant = 0.25;
  /// Reference eigenfunction k at x.
  std::function<double(std::size_t, const double*)> basis;
  /// The finite-sigma reference values (empty when none exists).
  std::vector<double> sigma_values(double sigma) const;
};

/// The reference of a case for its spectrum.count eigenpairs (SLEPc tolerance
/// spectrum.tol); the FD part on `grid`. Collective.
SpectrumReference make_spectrum_reference(const Problem& prob, const Grid& grid);

struct SpectrumPoint {
  Eigenpairs attention;
  Tokens tokens;
  std::string kernel;
  std::vector<int> cluster;          ///< reference cluster of each index
  std::vector<double> value_error;   ///< |lambda - lambda_ref| / lambda_ref (absolute for 0)
  std::vector<double> sigma_error;   ///< the same against the finite-sigma values (if any)
  std::vector<double> vector_error;  ///< distance to the cluster's eigenspace
  /// Per cluster q >= 1 lying wholly within the first `count` indices: the largest error
  /// over its indices (index q - 1).
  std::vector<double> cluster_value, cluster_sigma, cluster_vector;
  double seconds = 0;
};

/// The case's spectrum.count eigenpairs at one (N, sigma, seed) against the reference.
SpectrumPoint spectrum_point(const Problem& prob, const SpectrumReference& ref, long n, double sigma,
                             std::uint64_t seed);

}  // namespace attnpde
