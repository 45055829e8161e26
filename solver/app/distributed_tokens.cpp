#include "solver/app/distributed_tokens.hpp"

#include <petscdmda.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <queue>
#include <stdexcept>
#include <utility>

#include "postprocess/tables.hpp"
#include "solver/app/manifest.hpp"

namespace attnpde {

BoxPartition grid_aligned_partition(const Grid& grid) {
  PetscInt procs[3] = {1, 1, 1};
  ATTNPDE_PETSC(DMDAGetInfo(grid.dm(), nullptr, nullptr, nullptr, nullptr, &procs[0], &procs[1], &procs[2], nullptr,
                            nullptr, nullptr, nullptr, nullptr, nullptr));
  const PetscInt* ranges[3] = {nullptr, nullptr, nullptr};
  ATTNPDE_PETSC(DMDAGetOwnershipRanges(grid.dm(), &ranges[0], &ranges[1], &ranges[2]));
  std::array<int, 3> process_grid{1, 1, 1};
  std::array<std::vector<double>, 3> cuts;
  for (int d = 0; d < grid.dim(); ++d) {
    const auto du = static_cast<std::size_t>(d);
    process_grid[du] = static_cast<int>(procs[d]);
    // Node i sits at i h (torus) and cell i starts at i h (box): slab c starts at the first
    // node of process column c. The last face is the domain's end, not n h rounded.
    long first = 0;
    for (PetscInt c = 0; c < procs[d]; ++c) {
      cuts[du].push_back(static_cast<double>(first) * grid.spacing()[du]);
      first += ranges[d][c];
    }
    cuts[du].push_back(grid.domain().length());
  }
  return box_partition(grid.domain(), grid.dim(), process_grid, std::move(cuts));
}

namespace {

// Appends tokens[j] (number first + j) to o when this rank owns it.
void keep_own(const BoxPartition& boxes, int rank, std::size_t first, const Tokens& t, OwnedTokens& o) {
  for (std::size_t j = 0; j < t.size(); ++j) {
    if (boxes.owner(t.point(j)) != rank) continue;
    for (int d = 0; d < t.dim; ++d)
      o.tokens.coord[static_cast<std::size_t>(d)].push_back(t.coord[static_cast<std::size_t>(d)][j]);
    o.ids.push_back(static_cast<long>(first + j));
  }
}

// The quasi sampler's sequence mapped by all ranks together: of each block of the sequence
// rank r maps the r-th share and sends every token to its owner (number and coordinates);
// what a rank receives comes from the ranks in turn, so the numbers stay increasing.
void share_lattice(const Problem& problem, std::size_t n, std::uint64_t seed, const BoxPartition& boxes, MPI_Comm comm,
                   OwnedTokens& o) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const auto size = static_cast<std::size_t>(ranks), me = static_cast<std::size_t>(rank);
  const int dim = problem.config().dim, stride = dim + 1;
  const LatticeTokens lattice(problem.density(), n, seed);
  const std::size_t block = (std::size_t{1} << 16) * size;
  Tokens t;
  std::vector<std::vector<double>> to(size);
  std::vector<double> send, recv;
  std::vector<int> send_counts(size), send_offsets(size), recv_counts(size), recv_offsets(size);
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t m = std::min(block, n - first);
    const std::size_t lo = first + m * me / size, hi = first + m * (me + 1) / size;
    lattice.map(lo, hi, t);
    for (auto& v : to) v.clear();
    for (std::size_t j = 0; j < t.size(); ++j) {
      auto& v = to[static_cast<std::size_t>(boxes.owner(t.point(j)))];
      v.push_back(static_cast<double>(lo + j));
      for (int d = 0; d < dim; ++d) v.push_back(t.coord[static_cast<std::size_t>(d)][j]);
    }
    send.clear();
    for (std::size_t r = 0; r < size; ++r) {
      send_offsets[r] = static_cast<int>(send.size());
      send_counts[r] = static_cast<int>(to[r].size());
      send.insert(send.end(), to[r].begin(), to[r].end());
    }
    MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm);
    int received = 0;
    for (std::size_t r = 0; r < size; ++r) {
      recv_offsets[r] = received;
      received += recv_counts[r];
    }
    recv.resize(static_cast<std::size_t>(received));
    MPI_Alltoallv(send.data(), send_counts.data(), send_offsets.data(), MPI_DOUBLE, recv.data(), recv_counts.data(),
                  recv_offsets.data(), MPI_DOUBLE, comm);
    for (std::size_t k = 0; k < recv.size(); k += static_cast<std::size_t>(stride)) {
      o.ids.push_back(static_cast<long>(recv[k]));
      for (int d = 0; d < dim; ++d)
        o.tokens.coord[static_cast<std::size_t>(d)].push_back(recv[k + 1 + static_cast<std::size_t>(d)]);
    }
  }
}

}  // namespace

OwnedTokens sample_owned(const Problem& problem, long n, std::uint64_t seed, const BoxPartition& boxes, MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const Case& c = problem.config();
  OwnedTokens o;
  o.tokens.dim = c.dim;
  o.tokens.domain = problem.domain();
  const auto count = static_cast<std::size_t>(n);
  if (c.sampler == Sampler::quasi) {
    share_lattice(problem, count, seed, boxes, comm, o);
  } else {
    // Rejection sampling is one random stream: every rank draws it whole (cheap next to the
    // lattice's inverse Rosenblatt map) and keeps its own tokens.
    sample_token_chunks(problem.density(), count, seed, c.sampler, std::size_t{1} << 16,
                        [&](std::size_t first, Tokens& t) { keep_own(boxes, rank, first, t, o); });
  }
  for (auto& x : o.tokens.coord) x.shrink_to_fit();
  o.ids.shrink_to_fit();
  return o;
}

std::unique_ptr<AttentionKernel> make_distributed_kernel(const Problem& problem, const OwnedTokens& owned, double sigma,
                                                         int layers, const BoxPartition& boxes, MPI_Comm comm) {
  long total = static_cast<long>(owned.ids.size());
  MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_LONG, MPI_SUM, comm);
  if (problem.choose_kernel(total, sigma, layers) == KernelChoice::truncated)
    return std::make_unique<DistributedKernel>(std::make_unique<DistributedTruncatedKernel>(
        owned.tokens, owned.ids, problem.score(sigma), problem.config().cutoff, boxes, comm));
  return std::make_unique<DistributedKernel>(
      std::make_unique<DistributedDenseKernel>(owned.tokens, owned.ids, problem.score(sigma), comm));
}

Json distributed_kernel_json(const DistributedKernel& kernel, const std::vector<double>& weights) {
  const MPI_Comm comm = kernel.row_comm();
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const auto* tk = kernel.truncated();
  // Owned and halo tokens: smallest and largest over the ranks (as -min, max).
  double counts[4] = {-static_cast<double>(kernel.size()), static_cast<double>(kernel.size()),
                      tk ? -static_cast<double>(tk->halo()) : 0.0, tk ? static_cast<double>(tk->halo()) : 0.0};
  MPI_Allreduce(MPI_IN_PLACE, counts, 4, MPI_DOUBLE, MPI_MAX, comm);
  Json kern = Json::object()
                  .set("kind", kernel.name())
                  .set("tokens", "distributed")
                  .set("ranks", ranks)
                  .set("owned_tokens_min", -counts[0])
                  .set("owned_tokens_max", counts[1]);
  if (!tk) return kern;
  long nonzeros = tk->local().nonzeros();
  double build = tk->local().build_seconds();
  MPI_Allreduce(MPI_IN_PLACE, &nonzeros, 1, MPI_LONG, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &build, 1, MPI_DOUBLE, MPI_MAX, comm);
  const double bound = tk->neglected_bound(weights.empty() ? nullptr : weights.data());
  kern.set("halo_tokens_min", -counts[2]).set("halo_tokens_max", counts[3]);
  set_truncated_kernel(
      kern, {tk->local().cutoff(), nonzeros, static_cast<double>(nonzeros) / static_cast<double>(tk->total()), bound,
             tk->local().tail_fraction(), tk->local().float32_weights(), build});
  return kern;
}

std::string write_token_pieces(const std::string& dir, const std::string& base, const Tokens& tokens,
                               const std::vector<long>& ids, const std::vector<NamedArray>& arrays, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const std::vector<double> numbers(ids.begin(), ids.end());
  std::vector<NamedArray> all = {{"token", &numbers}};
  all.insert(all.end(), arrays.begin(), arrays.end());
  auto piece = [&](int r) { return base + "_r" + std::to_string(r) + ".vtu"; };
  // A failed piece is reported on every rank, so that no rank waits for the others.
  std::string error;
  try {
    write_tokens_vtu(dir + "/" + piece(rank), tokens, all);
  } catch (const std::exception& e) {
    error = e.what();
  }
  int failed = !error.empty();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm);
  if (failed) throw std::runtime_error(error.empty() ? "a token piece of another rank was not written" : error);
  if (rank == 0) {
    std::vector<std::string> names, files;
    for (const auto& a : all) names.push_back(a.first);
    for (int r = 0; r < ranks; ++r) files.push_back(piece(r));
    write_tokens_pvtu(dir + "/" + base + ".pvtu", names, files);
  }
  return base + ".pvtu";
}

void write_rows_in_token_order(const std::string& path, const std::vector<std::string>& columns,
                               const std::vector<double>& rows, MPI_Comm comm) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const int request_tag = 7, rows_tag = 8;
  const std::size_t width = columns.size(), block = 4096 * width;
  // The file is opened before any rank sends, and a failure to open it stops every rank.
  std::unique_ptr<CsvWriter> csv;
  std::string error;
  if (rank == 0) try {
      csv = std::make_unique<CsvWriter>(path, columns);
    } catch (const std::exception& e) {
      error = e.what();
    }
  bool increasing = true;
  for (std::size_t k = width; k + width <= rows.size() && increasing; k += width)
    increasing = rows[k] > rows[k - width];
  int failed = !error.empty() || !increasing;
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm);
  if (failed)
    throw std::runtime_error(!error.empty() ? error
                                            : "cannot write " + path + ": a rank's rows are not in token order");
  if (rank != 0) {
    // A block of rows each time rank 0 asks, an empty one at the end.
    for (std::size_t next = 0;;) {
      int ask = 0;
      MPI_Recv(&ask, 1, MPI_INT, 0, request_tag, comm, MPI_STATUS_IGNORE);
      const std::size_t end = std::min(rows.size(), next + block);
      MPI_Send(rows.data() + next, static_cast<int>(end - next), MPI_DOUBLE, 0, rows_tag, comm);
      if (end == next) return;
      next = end;
    }
  }
  // Rank 0 merges the ranks' rows (each rank's in increasing token order) by their token.
  struct Source {
    std::vector<double> rows;
    std::size_t at = 0, next_own = 0;
  };
  std::vector<Source> sources(static_cast<std::size_t>(ranks));
  auto refill = [&](int r) {  // false when rank r has no rows left
    Source& src = sources[static_cast<std::size_t>(r)];
    src.at = 0;
    if (r == 0) {
      const std::size_t end = std::min(rows.size(), src.next_own + block);
      src.rows.assign(rows.begin() + static_cast<std::ptrdiff_t>(src.next_own),
                      rows.begin() + static_cast<std::ptrdiff_t>(end));
      src.next_own = end;
    } else {
      int ask = 1, count = 0;
      MPI_Send(&ask, 1, MPI_INT, r, request_tag, comm);
      MPI_Status status;
      MPI_Probe(r, rows_tag, comm, &status);
      MPI_Get_count(&status, MPI_DOUBLE, &count);
      src.rows.resize(static_cast<std::size_t>(count));
      MPI_Recv(src.rows.data(), count, MPI_DOUBLE, r, rows_tag, comm, MPI_STATUS_IGNORE);
    }
    return !src.rows.empty();
  };
  using Head = std::pair<double, int>;  // (token number of the next row, rank)
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (int r = 0; r < ranks; ++r)
    if (refill(r)) heads.emplace(sources[static_cast<std::size_t>(r)].rows[0], r);
  std::vector<double> row(width);
  while (!heads.empty()) {
    const int r = heads.top().second;
    heads.pop();
    Source& src = sources[static_cast<std::size_t>(r)];
    std::copy(src.rows.begin() + static_cast<std::ptrdiff_t>(src.at),
              src.rows.begin() + static_cast<std::ptrdiff_t>(src.at + width), row.begin());
    csv->row(row);
    src.at += width;
    if (src.at < src.rows.size() || refill(r)) heads.emplace(src.rows[src.at], r);
  }
  csv->close();
}

}  // namespace attnpde
