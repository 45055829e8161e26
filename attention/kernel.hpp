#pragma once
// The attention operator of fixed tokens, behind one interface so that layers, continuous
// depth, normalizations and the generator error run on either kernel:
//   dense      O(N^2) per application, exact (attention/kernel_dense.hpp);
//   truncated  neighbours within d_M <= cutoff sigma only, assembled once into a sparse
//              matrix and reused by every application (attention/kernel_truncated.hpp).
// Both apply A_ij = K_ij w_j / sum_k K_ik w_k with column weights w (null: w = 1).
// RowSplitKernel distributes the rows of either over MPI ranks: every rank computes its
// block of rows and the blocks are gathered, so each row is summed by the same code in the
// same order whatever the rank count (results independent of the ranks, bit for bit).

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "attention/kernel_dense.hpp"

namespace attnpde {

/// Reductions over the ranks that hold the rows (AttentionKernel::row_comm): no MPI call at
/// all for MPI_COMM_SELF, where this rank holds every row (benchmarks run such kernels
/// without MPI_Init).
inline int row_ranks(MPI_Comm comm) {
  int ranks = 1;
  if (comm != MPI_COMM_SELF) MPI_Comm_size(comm, &ranks);
  return ranks;
}
/// MPI_Allreduce in place over comm, skipped for MPI_COMM_SELF.
inline void reduce_over_rows(void* data, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  if (comm != MPI_COMM_SELF) MPI_Allreduce(MPI_IN_PLACE, data, count, type, op, comm);
}

class AttentionKernel {
 public:
  virtual ~AttentionKernel() = default;
  virtual std::size_t size() const = 0;
  /// out = A u; if `degree` is not null, degree[i] = sum_k K_ik w_k.
  virtual void apply(const double* u, double* out, double* degree, const double* w) const {
    apply_rows(u, out, degree, w, 0, size());
  }
  /// The same for rows lo .. hi - 1 only (u has all entries; out and degree are written at
  /// those rows).
  virtual void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                          std::size_t hi) const = 0;
  virtual std::string name() const = 0;
  /// The ranks that hold the other rows (distributed tokens), over which sums and maxima
  /// over rows are reduced; MPI_COMM_SELF when this rank has every row.
  virtual MPI_Comm row_comm() const { return MPI_COMM_SELF; }
};

class DenseKernel : public AttentionKernel {
 public:
  DenseKernel(const Tokens& tokens, MetricScore score) : tokens_(tokens), score_(std::move(score)) {}
  std::size_t size() const override { return tokens_.size(); }
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override {
    apply_attention_rows(tokens_, score_, u, out, degree, w, lo, hi);
  }
  std::string name() const override { return "dense"; }

 private:
  const Tokens& tokens_;
  MetricScore score_;
};

/// out = A u for every component of a vector field stored component by component (`total`
/// = m N entries, component k at [k N, (k+1) N)).
void apply_components(const AttentionKernel& kernel, const double* u, double* out, std::size_t total,
                      const double* weights);

/// Rows split in contiguous blocks over the ranks of `comm` (block r holds rows
/// [r N / P, (r + 1) N / P)); apply() computes the own block and gathers all blocks on every
/// rank (MPI_Allgatherv). Collective: every rank must call apply() together.
class RowSplitKernel : public AttentionKernel {
 public:
  RowSplitKernel(std::unique_ptr<AttentionKernel> inner, MPI_Comm comm);
  std::size_t size() const override { return inner_->size(); }
  void apply(const double* u, double* out, double* degree, const double* w) const override;
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override {
    inner_->apply_rows(u, out, degree, w, lo, hi);
  }
  std::string name() const override { return inner_->name(); }
  const AttentionKernel& inner() const { return *inner_; }
  int ranks() const { return static_cast<int>(counts_.size()); }

 private:
  std::unique_ptr<AttentionKernel> inner_;
  MPI_Comm comm_;
  int rank_ = 0;
  std::vector<int> counts_, offsets_;
};

}  // namespace attnpde
