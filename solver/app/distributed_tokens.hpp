#pragma once
// Tokens distributed over the ranks in `attnpde run` (tokens.distribution = "distributed"):
// each rank samples the whole token sequence chunk by chunk and keeps the tokens of its box,
// a box aligned with its part of the PDE grid (DMDA ownership ranges), so that the grid
// values a token interpolates from lie on its rank or its ghost layer; the attention kernel
// is the distributed truncated or dense kernel (attention/kernel_distributed.hpp), whose rows
// equal the one-rank kernel's bit for bit; outputs are written piece by piece.

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "attention/kernel_distributed.hpp"
#include "discretization/grid.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

/// A rank's tokens and their numbers in the whole sequence (increasing).
struct OwnedTokens {
  Tokens tokens;
  std::vector<long> ids;
};

/// The ranks' boxes along the grid's decomposition: along each direction, a rank's slab
/// starts at the coordinate of its first node (torus) or the lower face of its first cell
/// (box), and ends where the next rank's starts.
BoxPartition grid_aligned_partition(const Grid& grid);

/// The tokens of problem.sample(n, seed) that lie in this rank's box (O(N / P + chunk)
/// memory; every rank draws the whole sequence).
OwnedTokens sample_owned(const Problem& problem, long n, std::uint64_t seed, const BoxPartition& boxes, MPI_Comm comm);

/// The case's kernel (attention.kernel, or the choice of `auto` for all N tokens) on the
/// owned tokens, behind the AttentionKernel interface. Collective.
std::unique_ptr<AttentionKernel> make_distributed_kernel(const Problem& problem, const OwnedTokens& owned, double sigma,
                                                         int layers, const BoxPartition& boxes, MPI_Comm comm);

/// The manifest section of a distributed kernel: kind, ranks, owned and halo tokens per rank
/// (smallest and largest), and for the truncated kernel the sizes and neglected-weight bound
/// over all ranks. Collective.
Json distributed_kernel_json(const DistributedKernel& kernel, const std::vector<double>& weights);

/// Each rank writes its tokens, their numbers (array "token") and `arrays` to dir/base_r<rank>.vtu;
/// rank 0 writes dir/base.pvtu, which ParaView opens as one cloud. Returns "base.pvtu". Collective.
std::string write_token_pieces(const std::string& dir, const std::string& base, const Tokens& tokens,
                               const std::vector<long>& ids, const std::vector<NamedArray>& arrays, MPI_Comm comm);

/// Rank 0 writes `columns` to path: the rows of every rank (one vector of columns.size()
/// values per owned token, stored row after row, the first value the token's number, in
/// increasing order on each rank) merged into increasing token order, each rank's rows asked
/// for block by block (rank 0 holds a block per rank). Collective.
void write_rows_in_token_order(const std::string& path, const std::vector<std::string>& columns,
                               const std::vector<double>& rows, MPI_Comm comm);

}  // namespace attnpde
