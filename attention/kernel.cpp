#include "attention/kernel.hpp"

#include <stdexcept>

namespace attnpde {

void apply_components(const AttentionKernel& kernel, const double* u, double* out, std::size_t total,
                      const double* weights) {
  const std::size_t n = kernel.size();
  const int ranks = row_ranks(kernel.row_comm());
  if (ranks == 1 && (n == 0 || total % n != 0))
    throw std::invalid_argument("values are not a whole number of components");
  // Distributed tokens: a rank without tokens still takes part in every component's
  // (collective) application.
  unsigned long components = n ? total / n : 0;
  if (ranks > 1) MPI_Allreduce(MPI_IN_PLACE, &components, 1, MPI_UNSIGNED_LONG, MPI_MAX, kernel.row_comm());
  for (std::size_t k = 0; k < components; ++k) kernel.apply(u + k * n, out + k * n, nullptr, weights);
}

RowSplitKernel::RowSplitKernel(std::unique_ptr<AttentionKernel> inner, MPI_Comm comm)
    : inner_(std::move(inner)), comm_(comm) {
  int size = 1;
  MPI_Comm_size(comm_, &size);
  MPI_Comm_rank(comm_, &rank_);
  const std::size_t n = inner_->size();
  if (n >= static_cast<std::size_t>(INT32_MAX)) throw std::invalid_argument("row split supports N < 2^31");
  counts_.resize(static_cast<std::size_t>(size));
  offsets_.resize(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    const std::size_t lo = n * static_cast<std::size_t>(r) / static_cast<std::size_t>(size);
    const std::size_t hi = n * static_cast<std::size_t>(r + 1) / static_cast<std::size_t>(size);
    offsets_[static_cast<std::size_t>(r)] = static_cast<int>(lo);
    counts_[static_cast<std::size_t>(r)] = static_cast<int>(hi - lo);
  }
}

void RowSplitKernel::apply(const double* u, double* out, double* degree, const double* w) const {
  const std::size_t lo = static_cast<std::size_t>(offsets_[static_cast<std::size_t>(rank_)]);
  const std::size_t hi = lo + static_cast<std::size_t>(counts_[static_cast<std::size_t>(rank_)]);
  inner_->apply_rows(u, out, degree, w, lo, hi);
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts_.data(), offsets_.data(), MPI_DOUBLE, comm_);
  if (degree)
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, degree, counts_.data(), offsets_.data(), MPI_DOUBLE, comm_);
}

}  // namespace attnpde
