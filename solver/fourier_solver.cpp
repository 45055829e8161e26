#include "solver/fourier_solver.hpp"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace attnpde {

namespace {
bool fftw_threads_ready = false;
}

FourierInverse::FourierInverse(const Grid& grid, const Eigen::MatrixXd& G) : periodic_(grid.domain().periodic()) {
  const int dim = grid.dim();
  const auto& n = grid.nodes();
  const auto& h = grid.spacing();
  if (!fftw_threads_ready) {
    fftw_init_threads();
    fftw_threads_ready = true;
  }
  // Threads pay for FFTW only on large grids; below the threshold a busy core would make
  // every transform wait for it (measured: a 96^2 step 60x slower under contention).
  const long threaded_from = 1L << 18;  // 512^2 or 64^3 nodes
  fftw_plan_with_nthreads(grid.total_nodes() >= threaded_from ? omp_get_max_threads() : 1);
  // FFTW is row-major (last index fastest); our natural order has x fastest.
  int dims[3];
  for (int d = 0; d < dim; ++d) dims[d] = n[dim - 1 - d];
  real_size_ = static_cast<std::size_t>(grid.total_nodes());
  real_ = fftw_alloc_real(real_size_);
  if (!periodic_) {
    // Box: cosine transforms (DCT-II forward, DCT-III back; their product is 2 n_d per
    // direction), which diagonalize the cell-centred zero-flux differences. Only the
    // diagonal of G enters the symbol.
    fftw_r2r_kind fwd[3] = {FFTW_REDFT10, FFTW_REDFT10, FFTW_REDFT10};
    fftw_r2r_kind bwd[3] = {FFTW_REDFT01, FFTW_REDFT01, FFTW_REDFT01};
    forward_ = fftw_plan_r2r(dim, dims, real_, real_, fwd, FFTW_ESTIMATE);
    backward_ = fftw_plan_r2r(dim, dims, real_, real_, bwd, FFTW_ESTIMATE);
    symbol_.resize(real_size_);
    const int ny = dim > 1 ? n[1] : 1, nz = dim > 2 ? n[2] : 1;
    for (int kz = 0; kz < nz; ++kz)
      for (int ky = 0; ky < ny; ++ky)
        for (int kx = 0; kx < n[0]; ++kx) {
          const int k[3] = {kx, ky, kz};
          double lambda = 0;
          for (int d = 0; d < dim; ++d) lambda += G(d, d) * (2.0 * std::cos(M_PI * k[d] / n[d]) - 2.0) / (h[d] * h[d]);
          symbol_[(static_cast<std::size_t>(kz) * ny + ky) * n[0] + kx] = lambda;
        }
    scale_ = 1.0 / (static_cast<double>(real_size_) * std::pow(2.0, dim));
    return;
  }
  scale_ = 1.0 / static_cast<double>(real_size_);
  const int half = n[0] / 2 + 1;  // the halved (last FFTW) dimension is x
  const std::size_t complex_size = real_size_ / static_cast<std::size_t>(n[0]) * static_cast<std::size_t>(half);
  spectrum_ = fftw_alloc_complex(complex_size);
  forward_ = fftw_plan_dft_r2c(dim, dims, real_, spectrum_, FFTW_ESTIMATE);
  backward_ = fftw_plan_dft_c2r(dim, dims, spectrum_, real_, FFTW_ESTIMATE);
  symbol_.resize(complex_size);
  const int ny = dim > 1 ? n[1] : 1, nz = dim > 2 ? n[2] : 1;
  for (int kz = 0; kz < nz; ++kz)
    for (int ky = 0; ky < ny; ++ky)
      for (int kx = 0; kx < half; ++kx) {
        const int k[3] = {kx, ky, kz};
        double theta[3] = {0, 0, 0};
        for (int d = 0; d < dim; ++d) theta[d] = 2.0 * M_PI * k[d] / n[d];
        double lambda = 0;
        for (int d = 0; d < dim; ++d) {
          lambda += G(d, d) * (2.0 * std::cos(theta[d]) - 2.0) / (h[d] * h[d]);
          for (int e = d + 1; e < dim; ++e)
            lambda -= 2.0 * G(d, e) * std::sin(theta[d]) * std::sin(theta[e]) / (h[d] * h[e]);
        }
        symbol_[(static_cast<std::size_t>(kz) * ny + ky) * half + kx] = lambda;
      }
}

FourierInverse::~FourierInverse() {
  fftw_destroy_plan(forward_);
  fftw_destroy_plan(backward_);
  fftw_free(real_);
  if (spectrum_) fftw_free(spectrum_);
}

void FourierInverse::transform(const double* in, double* out, bool invert) {
  std::memcpy(real_, in, real_size_ * sizeof(double));
  fftw_execute(forward_);
  const double scale = scale_;
  const std::ptrdiff_t m = static_cast<std::ptrdiff_t>(symbol_.size());
  if (periodic_) {
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t q = 0; q < m; ++q) {
      const double f = scale * (invert ? 1.0 / (a_ - b_ * symbol_[q]) : symbol_[q]);
      spectrum_[q][0] *= f;
      spectrum_[q][1] *= f;
    }
  } else {
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t q = 0; q < m; ++q) real_[q] *= scale * (invert ? 1.0 / (a_ - b_ * symbol_[q]) : symbol_[q]);
  }
  fftw_execute(backward_);
  std::memcpy(out, real_, real_size_ * sizeof(double));
}

void FourierInverse::apply(const double* in, double* out) {
  transform(in, out, true);
}

void FourierInverse::apply_operator(const double* in, double* out) {
  transform(in, out, false);
}

namespace {

PetscErrorCode fourier_apply(PC pc, Vec in, Vec out) {
  PetscFunctionBeginUser;
  FourierInverse* inv = nullptr;
  PetscCall(PCShellGetContext(pc, &inv));
  const PetscScalar* a = nullptr;
  PetscScalar* b = nullptr;
  PetscCall(VecGetArrayRead(in, &a));
  PetscCall(VecGetArray(out, &b));
  inv->apply(a, b);
  PetscCall(VecRestoreArray(out, &b));
  PetscCall(VecRestoreArrayRead(in, &a));
  PetscFunctionReturn(0);
}

}  // namespace

void configure_fourier_solver(KSP ksp, FourierInverse* inverse) {
  PC pc;
  ATTNPDE_PETSC(KSPSetType(ksp, KSPPREONLY));
  ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
  ATTNPDE_PETSC(PCSetType(pc, PCSHELL));
  ATTNPDE_PETSC(PCShellSetContext(pc, inverse));
  ATTNPDE_PETSC(PCShellSetApply(pc, fourier_apply));
  ATTNPDE_PETSC(PCShellSetName(pc, "fourier"));
}

}  // namespace attnpde
