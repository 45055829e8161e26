#pragma once
// Leading eigenpairs of the attention operator and of the finite-difference limit operator
// with SLEPc (docs/theory.md section 8).
//
// Attention: A = D^-1 K W (column weights w of the normalization, degrees d = K w) is
// self-adjoint in l^2(c), c_i = w_i d_i, because diag(c) A = W K W. Its symmetric conjugate
// S = C^(1/2) A C^(-1/2) (D^(1/2) A D^(-1/2) for softmax, A itself for Sinkhorn) is applied
// matrix-free through the attention kernel (dense or truncated, rows split over the ranks)
// and Krylov-Schur finds its largest eigenvalues mu; the eigenvalues of
// -(A - I)/(c sigma^2) are (1 - mu)/(c sigma^2), the eigenvectors of A are C^(-1/2) v.
//
// Finite differences: diag(w) L is symmetric (discretization/operator.hpp), so the smallest
// eigenpairs of -L are those of the symmetric generalized problem -W L v = lambda W v with
// the weighted mass matrix W = diag(w h^dim), found by shift-and-invert Krylov-Schur.

#include <vector>

#include "attention/kernel.hpp"
#include "attention/normalization.hpp"
#include "discretization/grid.hpp"

namespace attnpde {

struct SpectrumOptions {
  int count = 10;      ///< eigenpairs wanted
  double tol = 1e-10;  ///< SLEPc relative residual tolerance
  int max_it = 0;      ///< 0: SLEPc's default
};

struct Eigenpairs {
  std::vector<double> values;                ///< ascending
  std::vector<std::vector<double>> vectors;  ///< full vectors on every rank, same order
  /// Attention: the inner-product weights c_i = w_i (K w)_i of the eigenvectors.
  std::vector<double> inner_weights;
  int iterations = 0;
  long matvecs = 0;  ///< operator applications (attention) or linear solves (FD)
  double seconds = 0;
};

/// The `count` smallest eigenvalues of -(A - I) / scale (scale = c sigma^2) and the
/// eigenvectors of A at the tokens, normalized in l^2(c / sum c) with c the conserved
/// weights of the normalization (attention/normalization.hpp). Collective over the
/// kernel's communicator when it is a RowSplitKernel (`comm`).
Eigenpairs attention_spectrum(const AttentionKernel& kernel, const ColumnWeights& weights, double scale,
                              const SpectrumOptions& opt, MPI_Comm comm);

/// The `count` smallest eigenpairs of -L v = lambda v, L from assemble_operator without
/// drift; eigenvectors in natural order, normalized in the mass inner product (sum w v^2
/// h^dim / sum w h^dim = 1).
Eigenpairs fd_spectrum(const Grid& grid, Mat L, Vec mass, const SpectrumOptions& opt);

}  // namespace attnpde
