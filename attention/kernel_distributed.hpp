#pragma once
// Tokens distributed over MPI ranks for the truncated kernel (attention/kernel_truncated.hpp):
// each rank keeps only the tokens of its box of the domain and, as a halo, the other ranks'
// tokens within the search radius of that box (on the torus through the periodic images),
// so memory per rank is O(N / P + halo) instead of O(N). An application exchanges only the
// halo's values (MPI_Alltoallv with the lists fixed at construction). Every row is summed in
// the order of its columns' token numbers, as in the kernel of all tokens on one rank, so the
// owned rows equal that kernel's rows bit for bit whatever the number of ranks.
//
// The halo criterion: a token is sent to rank r when its Euclidean distance to r's box is
// below the search radius cutoff sigma / sqrt(lambda_min(M)), which holds the d_M ball of
// every point of the box.
//
// The dense kernel (DistributedDenseKernel) needs every key for every row: an application
// gathers the keys block by block in the order of their token numbers (blocks of
// dense_key_block tokens, each from the ranks that own its tokens), so a rank holds its own
// tokens and one block, O(N / P + block), and adds the blocks' sums in the order
// apply_attention does on one rank: bit for bit the same rows.

#include <mpi.h>

#include <array>
#include <memory>
#include <vector>

#include "attention/kernel_truncated.hpp"

namespace attnpde {

/// Boxes of the domain, one per rank: rank r owns the points with lo[r][d] <= x_d < hi[r][d]
/// (the upper faces of the domain belong to the last box along each direction).
struct BoxPartition {
  int dim = 0;
  Domain domain;
  std::array<int, 3> grid{1, 1, 1};  ///< boxes per direction; rank r = (rx, ry, rz), x fastest
  int ranks() const { return grid[0] * grid[1] * grid[2]; }
  /// Box of rank r along direction d: [lo, hi).
  double lo(int r, int d) const;
  double hi(int r, int d) const;
  /// The rank whose box holds x.
  int owner(const std::array<double, 3>& x) const;
  /// Euclidean distance from x to rank r's box (minimum over periodic images on the torus).
  double distance(const std::array<double, 3>& x, int r) const;
};

/// The torus [0, 2 pi)^dim or the box [0, 1]^dim cut into `ranks` boxes on a process grid
/// whose boxes have the least surface (the halo is proportional to it), x split first on ties.
BoxPartition grid_partition(const Domain& domain, int dim, int ranks);

class DistributedTruncatedKernel {
 public:
  /// Collective over `comm` (one rank per box of `boxes`). `owned`: this rank's tokens, all
  /// inside its box; `ids`: their numbers in the whole token set (0 .. N - 1, each once over
  /// all ranks).
  DistributedTruncatedKernel(const Tokens& owned, std::vector<long> ids, const MetricScore& score, double cutoff,
                             const BoxPartition& boxes, MPI_Comm comm);

  std::size_t owned() const { return owned_; }
  std::size_t halo() const { return local_.size() - owned_; }
  long total() const { return part_.total; }
  /// The numbers of the owned tokens.
  const std::vector<long>& ids() const { return ids_; }
  /// Doubles this rank sends per application and field (its tokens in other ranks' halos).
  std::size_t sent_per_apply() const { return send_index_.size(); }
  const TruncatedKernel& local() const { return *kernel_; }

  /// out = A u at the owned tokens, from u (and column weights w, null: w = 1) at the owned
  /// tokens; degree (if not null) = the row sums. Collective.
  void apply(const double* u, double* out, double* degree = nullptr, const double* w = nullptr) const;

 private:
  // The owned values followed by the halo's, received from their ranks.
  void gather(const double* owned_values, std::vector<double>& local_values) const;

  MPI_Comm comm_;
  std::size_t owned_ = 0;
  std::vector<long> ids_;
  Tokens local_;  // owned tokens, then the halo in the order of the sending ranks
  TruncatedPart part_;
  std::unique_ptr<TruncatedKernel> kernel_;
  std::vector<int> send_index_;  // owned token of each value sent, grouped by rank
  std::vector<int> send_counts_, send_offsets_, recv_counts_, recv_offsets_;
};

class DistributedDenseKernel {
 public:
  /// Collective. `owned`: this rank's tokens (any split of the set over the ranks); `ids`:
  /// their numbers in the whole token set (0 .. N - 1, each once over all ranks).
  DistributedDenseKernel(const Tokens& owned, const std::vector<long>& ids, MetricScore score, MPI_Comm comm);

  std::size_t owned() const { return ids_.size(); }
  long total() const { return total_; }
  /// out = A u at the owned tokens (in the order they were given), from u and w (null: 1)
  /// at the owned tokens; degree (if not null) = the row sums. Collective, with w null on
  /// every rank or on none.
  void apply(const double* u, double* out, double* degree = nullptr, const double* w = nullptr) const;

 private:
  MPI_Comm comm_;
  MetricScore score_;
  Tokens owned_;                   // sorted by token number
  std::vector<long> ids_;          // the sorted numbers
  std::vector<std::size_t> from_;  // sorted position -> position given
  long total_ = 0;
};

}  // namespace attnpde
