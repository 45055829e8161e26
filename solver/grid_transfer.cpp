#include "solver/grid_transfer.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include "discretization/petsc_util.hpp"

namespace attnpde {

Interpolation::Interpolation(const GridShape& fine) : fine_(fine), coarse_(fine.coarsened()) {
  for (int d = 0; d < 3; ++d) {
    const auto du = static_cast<std::size_t>(d);
    const int nf = fine_.n[du], nc = coarse_.n[du];
    Weights& up = up_[du];
    std::vector<std::vector<std::pair<int, double>>> sources(static_cast<std::size_t>(nc));
    for (int f = 0; f < nf; ++f) {
      int lo = f / 2, hi = lo;
      double wlo = 1.0, whi = 0.0;
      if (d < fine_.dim && f % 2) {
        hi = lo + 1;
        if (hi == nc) hi = fine_.periodic ? 0 : lo;
        if (hi != lo) wlo = whi = 0.5;
      }
      up.lo.push_back(lo);
      up.hi.push_back(hi);
      up.wlo.push_back(wlo);
      up.whi.push_back(whi);
      sources[static_cast<std::size_t>(lo)].emplace_back(f, wlo);
      if (whi > 0) sources[static_cast<std::size_t>(hi)].emplace_back(f, whi);
    }
    for (const auto& s : sources) {
      if (s.size() > 3) throw std::logic_error("interpolation: more than three fine sources");
      std::array<int, 3> index{s[0].first, s[0].first, s[0].first};
      std::array<double, 3> weight{0.0, 0.0, 0.0};
      for (std::size_t m = 0; m < s.size(); ++m) {
        index[m] = s[m].first;
        weight[m] = s[m].second;
      }
      down_[du].index.push_back(index);
      down_[du].weight.push_back(weight);
    }
  }
}

namespace {

// A scratch row of each thread, of at least n values.
template <class V>
V* scratch_row(int n) {
  thread_local std::vector<V> row;
  if (row.size() < static_cast<std::size_t>(n)) row.resize(static_cast<std::size_t>(n));
  return row.data();
}

}  // namespace

// Each fine row interpolates in y and z first (a weighted sum of up to four coarse rows into
// one scratch row), then in x: the index tables are read once a row, not once a source row.
template <class V>
void Interpolation::prolong_add(const V* coarse, V* fine, const V* scale) const {
  const int n0 = fine_.n[0], n1 = fine_.n[1], n2 = fine_.n[2], m0 = coarse_.n[0];
  const Weights &ux = up_[0], &uy = up_[1], &uz = up_[2];
  for_each_index(n1 * n2, fine_.size() >= stencil_parallel_nodes, [&](int row) {
    const auto j = static_cast<std::size_t>(row % n1), k = static_cast<std::size_t>(row / n1);
    const int src_j[2] = {uy.lo[j], uy.hi[j]}, src_k[2] = {uz.lo[k], uz.hi[k]};
    const double w_j[2] = {uy.wlo[j], uy.whi[j]}, w_k[2] = {uz.wlo[k], uz.whi[k]};
    V* __restrict t = scratch_row<V>(m0);
    for (int m = 0; m < m0; ++m) t[m] = V(0);
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) {
        const auto w = static_cast<V>(w_k[a] * w_j[c]);
        if (w == V(0)) continue;
        const V* __restrict cr = coarse + coarse_.index(0, src_j[c], src_k[a]);
        for (int m = 0; m < m0; ++m) t[m] += w * cr[m];
      }
    V* __restrict fr = fine + static_cast<long>(row) * n0;
    const V* __restrict sr = scale ? scale + static_cast<long>(row) * n0 : nullptr;
    for (int i = 0; i < n0; ++i) {
      const auto iu = static_cast<std::size_t>(i);
      const V v = static_cast<V>(ux.wlo[iu]) * t[ux.lo[iu]] + static_cast<V>(ux.whi[iu]) * t[ux.hi[iu]];
      fr[i] += sr ? sr[i] * v : v;
    }
  });
}

// Each coarse row sums its up to nine weighted fine rows into one scratch row, then
// restricts that in x.
template <class V>
void Interpolation::restrict_to(const V* fine, V* coarse) const {
  const int n0 = coarse_.n[0], n1 = coarse_.n[1], n2 = coarse_.n[2], m0 = fine_.n[0];
  const Gather &gx = down_[0], &gy = down_[1], &gz = down_[2];
  for_each_index(n1 * n2, fine_.size() >= stencil_parallel_nodes, [&](int row) {
    const auto j = static_cast<std::size_t>(row % n1), k = static_cast<std::size_t>(row / n1);
    V* __restrict s = scratch_row<V>(m0);
    for (int m = 0; m < m0; ++m) s[m] = V(0);
    for (std::size_t a = 0; a < 3; ++a)
      for (std::size_t c = 0; c < 3; ++c) {
        const auto w = static_cast<V>(gz.weight[k][a] * gy.weight[j][c]);
        if (w == V(0)) continue;
        const V* __restrict fr = fine + fine_.index(0, gy.index[j][c], gz.index[k][a]);
        for (int m = 0; m < m0; ++m) s[m] += w * fr[m];
      }
    V* __restrict cr = coarse + static_cast<long>(row) * n0;
    for (int i = 0; i < n0; ++i) {
      const auto iu = static_cast<std::size_t>(i);
      const auto& ix = gx.index[iu];
      const auto& wx = gx.weight[iu];
      cr[i] = static_cast<V>(wx[0]) * s[ix[0]] + static_cast<V>(wx[1]) * s[ix[1]] + static_cast<V>(wx[2]) * s[ix[2]];
    }
  });
}

Mat Interpolation::assemble() const {
  Mat P = nullptr;
  const int per_row = 1 << fine_.dim;
  ATTNPDE_PETSC(MatCreateSeqAIJ(PETSC_COMM_SELF, static_cast<PetscInt>(fine_.size()),
                                static_cast<PetscInt>(coarse_.size()), per_row, nullptr, &P));
  for (long r = 0; r < fine_.size(); ++r) {
    const auto node = fine_.node(r);
    for (int m = 0; m < 8; ++m) {
      int src[3];
      double w = 1.0;
      for (std::size_t d = 0; d < 3; ++d) {
        const auto f = static_cast<std::size_t>(node[d]);
        const bool high = (m >> d) & 1;
        src[d] = high ? up_[d].hi[f] : up_[d].lo[f];
        w *= high ? up_[d].whi[f] : up_[d].wlo[f];
      }
      if (w == 0.0) continue;
      const auto row = static_cast<PetscInt>(r);
      const auto col = static_cast<PetscInt>(coarse_.index(src[0], src[1], src[2]));
      ATTNPDE_PETSC(MatSetValues(P, 1, &row, 1, &col, &w, ADD_VALUES));
    }
  }
  ATTNPDE_PETSC(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  ATTNPDE_PETSC(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  return P;
}

template void Interpolation::prolong_add(const float*, float*, const float*) const;
template void Interpolation::prolong_add(const double*, double*, const double*) const;
template void Interpolation::restrict_to(const float*, float*) const;
template void Interpolation::restrict_to(const double*, double*) const;

}  // namespace attnpde
