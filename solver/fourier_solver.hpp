#pragma once
// Exact implicit solves for constant coefficients on the torus (and in the box), at the cost of
// an FFT solve. With G constant, w constant (uniform p, or gamma = 0)
// and no drift, the finite-difference operator of discretization/operator.hpp is a
// convolution, diagonal in the discrete Fourier basis with the real symbol
//
//   lambda(k) = sum_d G_dd (2 cos theta_d - 2) / h_d^2
//               - sum_{d < e} 2 G_de sin theta_d sin theta_e / (h_d h_e),   theta_d = k_d h_d,
//
// so (a I - b L)^-1 r is two real FFTs (FFTW, OpenMP threads) and a division. In the box
// the cell-centred zero-flux differences are diagonal in the cosine basis (DCT-II/III):
//
//   lambda(k) = sum_d G_dd (2 cos(pi k_d / n_d) - 2) / h_d^2,
//
// without the mixed terms, so there the inverse is exact only for a diagonal G. Used as the
// preconditioner of the time-step KSP (a PETSc PCSHELL; with KSPPREONLY one application is
// the exact solve), on one MPI rank.

#include <fftw3.h>

#include <Eigen/Dense>
#include <vector>

#include "discretization/grid.hpp"

namespace attnpde {

class FourierInverse {
 public:
  FourierInverse(const Grid& grid, const Eigen::MatrixXd& G);
  ~FourierInverse();
  FourierInverse(const FourierInverse&) = delete;
  FourierInverse& operator=(const FourierInverse&) = delete;

  /// The matrix inverted by apply(): a I - b L.
  void set_coefficients(double a, double b) {
    a_ = a;
    b_ = b;
  }
  /// out = (a I - b L)^-1 in (natural order, one rank).
  void apply(const double* in, double* out);
  /// out = L in through the symbol (for tests; in the box without the mixed terms).
  void apply_operator(const double* in, double* out);

 private:
  void transform(const double* in, double* out, bool invert);
  bool periodic_ = true;
  double scale_ = 1.0;  ///< normalization of forward + backward transforms
  std::size_t real_size_ = 0;
  std::vector<double> symbol_;  ///< lambda(k) per complex coefficient
  double* real_ = nullptr;
  fftw_complex* spectrum_ = nullptr;  ///< torus only
  fftw_plan forward_ = nullptr, backward_ = nullptr;
  double a_ = 1.0, b_ = 1.0;
};

/// Sets the KSP to KSPPREONLY with a PCSHELL applying `inverse`; its owner keeps the
/// coefficients a, b equal to the KSP's operator a I - b L.
void configure_fourier_solver(KSP ksp, FourierInverse* inverse);

}  // namespace attnpde
