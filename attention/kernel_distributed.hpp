#pragma once
// Tokens distributed over MPI ranks for the truncated kernel (attention/kernel_truncated.hpp):
// each rank keeps only the tokens of its box of the domain and, as a halo, the other ranks'
// tokens within the search radius of that box (on the torus through the periodic images),
// so memory per rank is O(N / P + halo) instead of O(N). An application exchanges only the
// halo's values, with the adjacent ranks only (MPI_Neighbor_alltoallv over a graph fixed at
// construction). Every row is summed in the order of its columns' token numbers, as in the
// kernel of all tokens on one rank, so the owned rows equal that kernel's rows bit for bit
// whatever the number of ranks.
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

#include "attention/kernel.hpp"
#include "attention/kernel_truncated.hpp"

namespace attnpde {

/// Boxes of the domain, one per rank: rank r owns the points with lo[r][d] <= x_d < hi[r][d]
/// (the upper faces of the domain belong to the last box along each direction).
struct BoxPartition {
  int dim = 0;
  Domain domain;
  std::array<int, 3> grid{1, 1, 1};  ///< boxes per direction; rank r = (rx, ry, rz), x fastest
  /// Faces of the slabs along each direction: slab c of direction d is [cuts[d][c],
  /// cuts[d][c + 1]), grid[d] + 1 increasing values from 0 to the domain's length.
  std::array<std::vector<double>, 3> cuts;
  int ranks() const { return grid[0] * grid[1] * grid[2]; }
  /// Box of rank r along direction d: [lo, hi).
  double lo(int r, int d) const;
  double hi(int r, int d) const;
  /// The rank whose box holds x.
  int owner(const std::array<double, 3>& x) const;
  /// Euclidean distance from x to rank r's box (minimum over periodic images on the torus).
  double distance(const std::array<double, 3>& x, int r) const;
  /// Euclidean distance between the boxes of ranks r and s (0 when they touch), a lower
  /// bound of distance(x, s) for every x in r's box.
  double box_gap(int r, int s) const;
};

/// The torus [0, 2 pi)^dim or the box [0, 1]^dim cut into `ranks` boxes on a process grid
/// whose boxes have the least surface (the halo is proportional to it), x split first on ties.
BoxPartition grid_partition(const Domain& domain, int dim, int ranks);

/// The same process grid with slab faces of one's own (`cuts[d]`: grid[d] + 1 increasing
/// values from 0 to the length, e.g. the first nodes of the PDE grid's rank ranges); throws
/// std::invalid_argument unless the faces fit the domain and the process grid.
BoxPartition box_partition(const Domain& domain, int dim, const std::array<int, 3>& grid,
                           std::array<std::vector<double>, 3> cuts);

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
  /// TruncatedKernel::neglected_bound over every rank's rows, with the column weights w (null:
  /// 1) at the owned tokens. Collective.
  double neglected_bound(const double* w = nullptr) const;
  MPI_Comm comm() const { return comm_; }

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
  std::vector<int> send_counts_, send_offsets_, recv_counts_, recv_offsets_;  // per rank
  // The same for the ranks of the neighbourhood graph only (ranks sent to / received from).
  std::shared_ptr<MPI_Comm> graph_;
  std::vector<int> graph_send_counts_, graph_send_offsets_, graph_recv_counts_, graph_recv_offsets_;
};

class DistributedDenseKernel {
 public:
  /// Collective. `owned`: this rank's tokens (any split of the set over the ranks); `ids`:
  /// their numbers in the whole token set (0 .. N - 1, each once over all ranks).
  DistributedDenseKernel(const Tokens& owned, const std::vector<long>& ids, MetricScore score, MPI_Comm comm);

  std::size_t owned() const { return ids_.size(); }
  long total() const { return total_; }
  MPI_Comm comm() const { return comm_; }
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

/// Either distributed kernel behind the AttentionKernel interface, for the layers, the
/// normalizations and the errors of a run: its rows are this rank's tokens, size() is their
/// number, apply() is collective over row_comm(), and values and weights are given and
/// returned at the owned tokens only.
class DistributedKernel : public AttentionKernel {
 public:
  explicit DistributedKernel(std::unique_ptr<DistributedTruncatedKernel> kernel);
  explicit DistributedKernel(std::unique_ptr<DistributedDenseKernel> kernel);
  std::size_t size() const override;
  void apply(const double* u, double* out, double* degree, const double* w) const override;
  /// All rows at once only (lo = 0, hi = size()): a part of the rows is not a collective call.
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override;
  std::string name() const override { return truncated_ ? "truncated" : "dense"; }
  MPI_Comm row_comm() const override { return comm_; }
  /// The truncated kernel, or null for the dense one.
  const DistributedTruncatedKernel* truncated() const { return truncated_.get(); }

 private:
  std::unique_ptr<DistributedTruncatedKernel> truncated_;
  std::unique_ptr<DistributedDenseKernel> dense_;
  MPI_Comm comm_;
};

}  // namespace attnpde
