#include "attention/kernel_distributed.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

namespace attnpde {

namespace {

// Coordinate of rank r's box along direction d on the process grid (x fastest).
int box_index(const std::array<int, 3>& grid, int r, int d) {
  const int c[3] = {r % grid[0], (r / grid[0]) % grid[1], r / (grid[0] * grid[1])};
  return c[d];
}

// Gap from y to the interval [lo, hi] (0 inside).
double gap(double y, double lo, double hi) {
  return std::max({lo - y, y - hi, 0.0});
}

}  // namespace

double BoxPartition::lo(int r, int d) const {
  return cuts[static_cast<std::size_t>(d)][static_cast<std::size_t>(box_index(grid, r, d))];
}

double BoxPartition::hi(int r, int d) const {
  return cuts[static_cast<std::size_t>(d)][static_cast<std::size_t>(box_index(grid, r, d) + 1)];
}

int BoxPartition::owner(const std::array<double, 3>& x) const {
  int r = 0;
  for (int d = dim - 1; d >= 0; --d) {
    const auto& f = cuts[static_cast<std::size_t>(d)];
    const int g = grid[static_cast<std::size_t>(d)];
    // The slab whose lower face is the last one at or below x (the upper faces of the
    // domain belong to the last slab).
    const auto above = std::upper_bound(f.begin() + 1, f.end() - 1, x[static_cast<std::size_t>(d)]);
    const int c = std::clamp(static_cast<int>(above - (f.begin() + 1)), 0, g - 1);
    r = r * g + c;
  }
  return r;
}

double BoxPartition::box_gap(int r, int s) const {
  double sum = 0.0;
  for (int d = 0; d < dim; ++d) {
    const double a = lo(r, d), b = hi(r, d), c = lo(s, d), e = hi(s, d);
    double g = std::max({c - b, a - e, 0.0});
    if (domain.periodic()) {
      const double L = domain.length();
      g = std::min({g, std::max({c + L - b, a - e - L, 0.0}), std::max({c - L - b, a - e + L, 0.0})});
    }
    sum += g * g;
  }
  return std::sqrt(sum);
}

double BoxPartition::distance(const std::array<double, 3>& x, int r) const {
  double sum = 0.0;
  for (int d = 0; d < dim; ++d) {
    const double y = x[static_cast<std::size_t>(d)], a = lo(r, d), b = hi(r, d);
    double g = gap(y, a, b);
    if (domain.periodic()) g = std::min({g, gap(y - domain.length(), a, b), gap(y + domain.length(), a, b)});
    sum += g * g;
  }
  return std::sqrt(sum);
}

BoxPartition grid_partition(const Domain& domain, int dim, int ranks) {
  if (domain.kind != DomainKind::torus && domain.kind != DomainKind::box)
    throw std::invalid_argument("distributed tokens need the torus or the box");
  if (dim < 1 || dim > 3 || ranks < 1) throw std::invalid_argument("grid_partition: dimension 1-3, ranks >= 1");
  BoxPartition best;
  best.dim = dim;
  best.domain = domain;
  double best_surface = std::numeric_limits<double>::infinity();
  for (int gx = ranks; gx >= 1; --gx)
    for (int gy = ranks / gx; gy >= 1; --gy) {
      if (ranks % (gx * gy)) continue;
      const int gz = ranks / (gx * gy);
      const std::array<int, 3> g{gx, gy, gz};
      bool fits = true;
      for (int d = dim; d < 3; ++d) fits = fits && g[static_cast<std::size_t>(d)] == 1;
      if (!fits) continue;
      double surface = 0.0;  // of one box, domain sides 1: sum over d of the face across d
      for (int d = 0; d < dim; ++d) {
        double face = 1.0;
        for (int e = 0; e < dim; ++e)
          if (e != d) face /= g[static_cast<std::size_t>(e)];
        surface += face;
      }
      if (surface < best_surface) {
        best_surface = surface;
        best.grid = g;
      }
    }
  for (int d = 0; d < 3; ++d) {
    const int g = best.grid[static_cast<std::size_t>(d)];
    for (int c = 0; c <= g; ++c) best.cuts[static_cast<std::size_t>(d)].push_back(domain.length() * c / g);
  }
  return best;
}

BoxPartition box_partition(const Domain& domain, int dim, const std::array<int, 3>& grid,
                           std::array<std::vector<double>, 3> cuts) {
  if (domain.kind != DomainKind::torus && domain.kind != DomainKind::box)
    throw std::invalid_argument("distributed tokens need the torus or the box");
  BoxPartition b;
  b.dim = dim;
  b.domain = domain;
  b.grid = grid;
  for (int d = 0; d < 3; ++d) {
    auto& f = cuts[static_cast<std::size_t>(d)];
    const int g = grid[static_cast<std::size_t>(d)];
    if (d >= dim && g == 1 && f.empty()) f = {0.0, domain.length()};
    bool ok = g >= 1 && f.size() == static_cast<std::size_t>(g) + 1 && f.front() == 0.0 &&
              f.back() == domain.length() && (d < dim || g == 1);
    for (std::size_t c = 1; ok && c < f.size(); ++c) ok = f[c] > f[c - 1];
    if (!ok)
      throw std::invalid_argument("box_partition: direction " + std::to_string(d) +
                                  " needs grid + 1 increasing faces from 0 to the domain's length");
    b.cuts[static_cast<std::size_t>(d)] = std::move(f);
  }
  return b;
}

DistributedTruncatedKernel::DistributedTruncatedKernel(const Tokens& owned, std::vector<long> ids,
                                                       const MetricScore& score, double cutoff,
                                                       const BoxPartition& boxes, MPI_Comm comm)
    : comm_(comm), owned_(owned.size()), ids_(std::move(ids)) {
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  // Every check before the first collective call is agreed on by all ranks, so that no rank
  // throws while the others wait.
  int bad = boxes.ranks() != size || owned.dim != boxes.dim || ids_.size() != owned_ ||
            (owned.domain.kind != boxes.domain.kind);
  for (std::size_t j = 0; j < owned_ && !bad; ++j) bad = boxes.owner(owned.point(j)) != rank;
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm);
  if (bad)
    throw std::invalid_argument(
        "distributed tokens: one box per rank, each rank's tokens inside its box with one number each");
  long total = static_cast<long>(owned_);
  MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_LONG, MPI_SUM, comm);

  // The halo lists: each owned token goes to every other rank whose box is within the
  // search radius (a relative margin for the rounding of the box faces).
  const double radius = search_radius(score.metric, score.sigma, cutoff) * (1.0 + 1e-9);
  // Only the boxes within the radius of this rank's box can take its tokens.
  std::vector<int> near;
  for (int r = 0; r < size; ++r)
    if (r != rank && boxes.box_gap(rank, r) < radius) near.push_back(r);
  std::vector<std::vector<int>> to(static_cast<std::size_t>(size));
  for (std::size_t j = 0; j < owned_; ++j) {
    const auto x = owned.point(j);
    for (const int r : near)
      if (boxes.distance(x, r) < radius) to[static_cast<std::size_t>(r)].push_back(static_cast<int>(j));
  }
  send_counts_.assign(static_cast<std::size_t>(size), 0);
  send_offsets_.assign(static_cast<std::size_t>(size), 0);
  recv_counts_.assign(static_cast<std::size_t>(size), 0);
  recv_offsets_.assign(static_cast<std::size_t>(size), 0);
  for (int r = 0; r < size; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    send_counts_[ru] = static_cast<int>(to[ru].size());
    send_offsets_[ru] = static_cast<int>(send_index_.size());
    send_index_.insert(send_index_.end(), to[ru].begin(), to[ru].end());
  }
  MPI_Alltoall(send_counts_.data(), 1, MPI_INT, recv_counts_.data(), 1, MPI_INT, comm);
  int received = 0;
  for (int r = 0; r < size; ++r) {
    recv_offsets_[static_cast<std::size_t>(r)] = received;
    received += recv_counts_[static_cast<std::size_t>(r)];
  }
  // Applications exchange halo values with the adjacent ranks only (a neighbourhood
  // collective over a graph of the ranks that send or receive anything), in the same layout
  // as an exchange with every rank: senders in rank order.
  std::vector<int> sources, destinations;
  for (int r = 0; r < size; ++r) {
    const auto ru = static_cast<std::size_t>(r);
    if (recv_counts_[ru] > 0) {
      sources.push_back(r);
      graph_recv_counts_.push_back(recv_counts_[ru]);
      graph_recv_offsets_.push_back(recv_offsets_[ru]);
    }
    if (send_counts_[ru] > 0) {
      destinations.push_back(r);
      graph_send_counts_.push_back(send_counts_[ru]);
      graph_send_offsets_.push_back(send_offsets_[ru]);
    }
  }
  MPI_Comm graph = MPI_COMM_NULL;
  MPI_Dist_graph_create_adjacent(comm, static_cast<int>(sources.size()), sources.data(), MPI_UNWEIGHTED,
                                 static_cast<int>(destinations.size()), destinations.data(), MPI_UNWEIGHTED,
                                 MPI_INFO_NULL, 0, &graph);
  graph_ = std::shared_ptr<MPI_Comm>(new MPI_Comm(graph), [](MPI_Comm* c) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && *c != MPI_COMM_NULL) MPI_Comm_free(c);
    delete c;
  });

  // The halo's numbers and coordinates, one coordinate at a time.
  local_.dim = owned.dim;
  local_.domain = owned.domain;
  part_.global_id = ids_;
  part_.global_id.resize(owned_ + static_cast<std::size_t>(received));
  std::vector<long> send_ids(send_index_.size());
  for (std::size_t k = 0; k < send_index_.size(); ++k) send_ids[k] = ids_[static_cast<std::size_t>(send_index_[k])];
  MPI_Neighbor_alltoallv(send_ids.data(), graph_send_counts_.data(), graph_send_offsets_.data(), MPI_LONG,
                         part_.global_id.data() + owned_, graph_recv_counts_.data(), graph_recv_offsets_.data(),
                         MPI_LONG, *graph_);
  for (int d = 0; d < owned.dim; ++d)
    gather(owned.coord[static_cast<std::size_t>(d)].data(), local_.coord[static_cast<std::size_t>(d)]);
  part_.total = total;
  part_.owned = owned_;
  part_.comm = comm;
  kernel_ = std::make_unique<TruncatedKernel>(local_, score, cutoff, &part_);
}

void DistributedTruncatedKernel::gather(const double* owned_values, std::vector<double>& local_values) const {
  std::vector<double> send(send_index_.size());
  for (std::size_t k = 0; k < send.size(); ++k) send[k] = owned_values[send_index_[k]];
  local_values.resize(owned_ + static_cast<std::size_t>(recv_offsets_.back() + recv_counts_.back()));
  std::copy(owned_values, owned_values + owned_, local_values.begin());
  MPI_Neighbor_alltoallv(send.data(), graph_send_counts_.data(), graph_send_offsets_.data(), MPI_DOUBLE,
                         local_values.data() + owned_, graph_recv_counts_.data(), graph_recv_offsets_.data(),
                         MPI_DOUBLE, *graph_);
}

double DistributedTruncatedKernel::neglected_bound(const double* w) const {
  std::vector<double> wl;
  if (w) gather(w, wl);
  return kernel_->neglected_bound(w ? wl.data() : nullptr);
}

void DistributedTruncatedKernel::apply(const double* u, double* out, double* degree, const double* w) const {
  std::vector<double> ul, wl, outl(local_.size()), degl(degree ? local_.size() : 0);
  gather(u, ul);
  if (w) gather(w, wl);
  kernel_->apply_rows(ul.data(), outl.data(), degree ? degl.data() : nullptr, w ? wl.data() : nullptr, 0, owned_);
  std::copy(outl.begin(), outl.begin() + static_cast<std::ptrdiff_t>(owned_), out);
  if (degree) std::copy(degl.begin(), degl.begin() + static_cast<std::ptrdiff_t>(owned_), degree);
}

DistributedDenseKernel::DistributedDenseKernel(const Tokens& owned, const std::vector<long>& ids, MetricScore score,
                                               MPI_Comm comm)
    : comm_(comm), score_(std::move(score)) {
  const std::size_t n = owned.size();
  int bad = ids.size() != n;
  long total = static_cast<long>(n);
  MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_LONG, MPI_SUM, comm);
  for (std::size_t j = 0; j < n && !bad; ++j) bad = ids[j] < 0 || ids[j] >= total;
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, comm);
  if (bad) throw std::invalid_argument("distributed tokens: one number in 0 .. N - 1 for each token");
  total_ = total;
  from_.resize(n);
  std::iota(from_.begin(), from_.end(), std::size_t{0});
  std::sort(from_.begin(), from_.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  owned_.dim = owned.dim;
  owned_.domain = owned.domain;
  ids_.resize(n);
  for (int d = 0; d < owned.dim; ++d) owned_.coord[static_cast<std::size_t>(d)].resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    ids_[k] = ids[from_[k]];
    for (int d = 0; d < owned.dim; ++d)
      owned_.coord[static_cast<std::size_t>(d)][k] = owned.coord[static_cast<std::size_t>(d)][from_[k]];
  }
}

void DistributedDenseKernel::apply(const double* u, double* out, double* degree, const double* w) const {
  int size = 1;
  MPI_Comm_size(comm_, &size);
  const int dim = owned_.dim, stride = dim + 3;  // number, coordinates, u, w
  const auto block = static_cast<long>(dense_key_block(score_.precision));
  const std::size_t n = owned();
  std::vector<double> s(n, 0.0), su(n, 0.0), send, recv;
  std::vector<int> counts(static_cast<std::size_t>(size)), offsets(static_cast<std::size_t>(size));
  Tokens keys;
  keys.dim = dim;
  keys.domain = owned_.domain;
  std::vector<double> ub, wb;
  std::size_t next = 0;  // first owned token (in number order) not yet sent
  for (long lo = 0; lo < total_; lo += block) {
    const long hi = std::min(total_, lo + block);
    send.clear();
    for (; next < n && ids_[next] < hi; ++next) {
      send.push_back(static_cast<double>(ids_[next]));
      for (int d = 0; d < dim; ++d) send.push_back(owned_.coord[static_cast<std::size_t>(d)][next]);
      send.push_back(u[from_[next]]);
      send.push_back(w ? w[from_[next]] : 1.0);
    }
    const int mine = static_cast<int>(send.size());
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
    int all = 0;
    for (int r = 0; r < size; ++r) {
      offsets[static_cast<std::size_t>(r)] = all;
      all += counts[static_cast<std::size_t>(r)];
    }
    if (all != (hi - lo) * stride) throw std::logic_error("distributed dense kernel: a block's tokens are missing");
    recv.resize(static_cast<std::size_t>(all));
    MPI_Allgatherv(send.data(), mine, MPI_DOUBLE, recv.data(), counts.data(), offsets.data(), MPI_DOUBLE, comm_);
    // The block in number order.
    const auto m = static_cast<std::size_t>(hi - lo);
    for (int d = 0; d < dim; ++d) keys.coord[static_cast<std::size_t>(d)].resize(m);
    ub.resize(m);
    wb.resize(m);
    for (std::size_t t = 0; t < m; ++t) {
      const double* r = recv.data() + t * static_cast<std::size_t>(stride);
      const auto slot = static_cast<std::size_t>(static_cast<long>(r[0]) - lo);
      for (int d = 0; d < dim; ++d) keys.coord[static_cast<std::size_t>(d)][slot] = r[1 + d];
      ub[slot] = r[1 + dim];
      wb[slot] = r[2 + dim];
    }
    accumulate_attention_block(owned_, keys, score_, ub.data(), w ? wb.data() : nullptr, s.data(), su.data());
  }
  for (std::size_t k = 0; k < n; ++k) {
    out[from_[k]] = su[k] / s[k];
    if (degree) degree[from_[k]] = s[k];
  }
}

DistributedKernel::DistributedKernel(std::unique_ptr<DistributedTruncatedKernel> kernel)
    : truncated_(std::move(kernel)), comm_(truncated_->comm()) {}

DistributedKernel::DistributedKernel(std::unique_ptr<DistributedDenseKernel> kernel)
    : dense_(std::move(kernel)), comm_(dense_->comm()) {}

std::size_t DistributedKernel::size() const {
  return truncated_ ? truncated_->owned() : dense_->owned();
}

void DistributedKernel::apply(const double* u, double* out, double* degree, const double* w) const {
  if (truncated_)
    truncated_->apply(u, out, degree, w);
  else
    dense_->apply(u, out, degree, w);
}

void DistributedKernel::apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                                   std::size_t hi) const {
  if (lo != 0 || hi != size())
    throw std::logic_error("a distributed kernel applies all its rows at once (a collective call)");
  apply(u, out, degree, w);
}

}  // namespace attnpde
