#include "solver/stencil_matrix.hpp"

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "discretization/petsc_util.hpp"

namespace attnpde {

namespace {

// Below this many nodes a product is cheaper than waking a second thread.
constexpr long parallel_nodes = 16384;

std::array<int, 3> node_of(const GridShape& s, long r) {
  return {static_cast<int>(r % s.n[0]), static_cast<int>((r / s.n[0]) % s.n[1]),
          static_cast<int>(r / (static_cast<long>(s.n[0]) * s.n[1]))};
}

long index_of(const GridShape& s, int i, int j, int k) {
  return static_cast<long>(i) + static_cast<long>(s.n[0]) * (j + static_cast<long>(s.n[1]) * k);
}

// acc[i] += cm[i] x[i - 1] + c0[i] x[i] + cp[i] x[i + 1] for i in [begin, end), binary16
// coefficients converted in registers (vcvtph2ps) where the build has the instructions.
void accumulate_half(const _Float16* cm, const _Float16* c0, const _Float16* cp, const float* x, float* acc, int begin,
                     int end) {
  int i = begin;
#if defined(__AVX512F__)
  const auto load = [](const _Float16* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  };
  for (; i + 16 <= end; i += 16) {
    __m512 a = _mm512_loadu_ps(acc + i);
    a = _mm512_fmadd_ps(load(cm + i), _mm512_loadu_ps(x + i - 1), a);
    a = _mm512_fmadd_ps(load(c0 + i), _mm512_loadu_ps(x + i), a);
    a = _mm512_fmadd_ps(load(cp + i), _mm512_loadu_ps(x + i + 1), a);
    _mm512_storeu_ps(acc + i, a);
  }
#elif defined(__F16C__) && defined(__FMA__)
  const auto load = [](const _Float16* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  };
  for (; i + 8 <= end; i += 8) {
    __m256 a = _mm256_loadu_ps(acc + i);
    a = _mm256_fmadd_ps(load(cm + i), _mm256_loadu_ps(x + i - 1), a);
    a = _mm256_fmadd_ps(load(c0 + i), _mm256_loadu_ps(x + i), a);
    a = _mm256_fmadd_ps(load(cp + i), _mm256_loadu_ps(x + i + 1), a);
    _mm256_storeu_ps(acc + i, a);
  }
#endif
  for (; i < end; ++i)
    acc[i] +=
        static_cast<float>(cm[i]) * x[i - 1] + static_cast<float>(c0[i]) * x[i] + static_cast<float>(cp[i]) * x[i + 1];
}

}  // namespace

int GridShape::neighbour(int d, int c, int o) const {
  const int m = c + o;
  if (m >= 0 && m < n[d]) return m;
  return periodic ? (m + n[d]) % n[d] : c;
}

GridShape GridShape::coarsened() const {
  GridShape c = *this;
  for (int d = 0; d < dim; ++d) {
    if (n[d] % 2) throw std::invalid_argument("a grid coarsened by 2 needs even node counts");
    c.n[d] = n[d] / 2;
  }
  return c;
}

template <class Real>
StencilMatrix<Real>::StencilMatrix(Mat A, const GridShape& shape)
    : shape_(shape), c_(static_cast<std::size_t>(shape.offsets() * shape.size()), Real(0)) {
  PetscInt rows = 0, cols = 0;
  ATTNPDE_PETSC(MatGetSize(A, &rows, &cols));
  if (rows != shape.size() || cols != shape.size())
    throw std::invalid_argument("stencil matrix: the matrix does not match the grid");
  for (long r = 0; r < shape.size(); ++r) {
    const auto node = node_of(shape, r);
    PetscInt nc = 0;
    const PetscInt* col = nullptr;
    const PetscScalar* val = nullptr;
    ATTNPDE_PETSC(MatGetRow(A, static_cast<PetscInt>(r), &nc, &col, &val));
    for (PetscInt m = 0; m < nc; ++m) {
      const auto other = node_of(shape, col[m]);
      int o[3] = {0, 0, 0};
      for (int d = 0; d < 3; ++d) {
        o[d] = other[static_cast<std::size_t>(d)] - node[static_cast<std::size_t>(d)];
        if (shape.periodic && o[d] > 1) o[d] -= shape.n[static_cast<std::size_t>(d)];
        if (shape.periodic && o[d] < -1) o[d] += shape.n[static_cast<std::size_t>(d)];
        if (o[d] < -1 || o[d] > 1)
          throw std::invalid_argument("stencil matrix: row " + std::to_string(r) + " reaches beyond its neighbours");
      }
      c_[static_cast<std::size_t>(shape.offset(o[0], o[1], o[2]) * shape.size() + r)] += static_cast<Real>(val[m]);
    }
    ATTNPDE_PETSC(MatRestoreRow(A, static_cast<PetscInt>(r), &nc, &col, &val));
  }
}

template <class Real>
template <class V>
void StencilMatrix<Real>::multiply(const V* x, V* y, const V* b) const {
  const int n0 = shape_.n[0], n1 = shape_.n[1], n2 = shape_.n[2];
  const long size = shape_.size();
  const int ry = shape_.dim > 1 ? 1 : 0, rz = shape_.dim > 2 ? 1 : 0;
  const bool periodic = shape_.periodic;
  const V sign = b ? V(-1) : V(1);
#pragma omp parallel for schedule(static) if (size >= parallel_nodes)
  for (int row = 0; row < n1 * n2; ++row) {
    const int j = row % n1, k = row / n1;
    const long base = static_cast<long>(row) * n0;
    V* yr = y + base;
    for (int i = 0; i < n0; ++i) yr[i] = b ? b[base + i] : V(0);
    for (int oz = -rz; oz <= rz; ++oz)
      for (int oy = -ry; oy <= ry; ++oy) {
        const V* xr = x + index_of(shape_, 0, shape_.neighbour(1, j, oy), shape_.neighbour(2, k, oz));
        const Real* cm = c_.data() + shape_.offset(-1, oy, oz) * size + base;
        const Real* c0 = c_.data() + shape_.offset(0, oy, oz) * size + base;
        const Real* cp = c_.data() + shape_.offset(1, oy, oz) * size + base;
        const V left = periodic ? xr[n0 - 1] : V(0), right = periodic ? xr[0] : V(0);
        yr[0] += sign * (static_cast<V>(cm[0]) * left + static_cast<V>(c0[0]) * xr[0] + static_cast<V>(cp[0]) * xr[1]);
#pragma omp simd
        for (int i = 1; i < n0 - 1; ++i)
          yr[i] += sign * (static_cast<V>(cm[i]) * xr[i - 1] + static_cast<V>(c0[i]) * xr[i] +
                           static_cast<V>(cp[i]) * xr[i + 1]);
        const int l = n0 - 1;
        yr[l] +=
            sign * (static_cast<V>(cm[l]) * xr[l - 1] + static_cast<V>(c0[l]) * xr[l] + static_cast<V>(cp[l]) * right);
      }
  }
}

ScaledStencil::ScaledStencil(const StencilMatrix<double>& rows) : shape_(rows.shape()) {
  const GridShape& shape = shape_;
  const long n = shape.size();
  const int centre = shape.offset(0, 0, 0);
  diag_.resize(static_cast<std::size_t>(n));
  inv_diag_.resize(diag_.size());
  c_.resize(static_cast<std::size_t>(shape.offsets() * n));
  const double half_max = 65504.0;
  for (long i = 0; i < n; ++i) {
    const double d = rows.at(centre, i);
    if (!(d != 0.0)) throw std::invalid_argument("scaled stencil: a zero diagonal entry");
    diag_[static_cast<std::size_t>(i)] = static_cast<float>(d);
    inv_diag_[static_cast<std::size_t>(i)] = static_cast<float>(1.0 / d);
    for (int o = 0; o < shape.offsets(); ++o) {
      const double v = rows.at(o, i) / d;
      if (!(std::abs(v) <= half_max)) throw std::invalid_argument("scaled stencil: a coefficient beyond binary16");
      c_[static_cast<std::size_t>(o * n + i)] = static_cast<_Float16>(v);
    }
  }
}

void ScaledStencil::apply(const float* x, float* y, Output output, const float* b) const {
  const int n0 = shape_.n[0], n1 = shape_.n[1], n2 = shape_.n[2];
  const long size = shape_.size();
  const int ry = shape_.dim > 1 ? 1 : 0, rz = shape_.dim > 2 ? 1 : 0;
  const bool periodic = shape_.periodic;
  const float* diag = diag_.data();
  const float* inv_diag = inv_diag_.data();
#pragma omp parallel for schedule(static) if (size >= parallel_nodes)
  for (int row = 0; row < n1 * n2; ++row) {
    const int j = row % n1, k = row / n1;
    const long base = static_cast<long>(row) * n0;
    float* yr = y + base;
    for (int i = 0; i < n0; ++i) yr[i] = 0.0f;
    for (int oz = -rz; oz <= rz; ++oz)
      for (int oy = -ry; oy <= ry; ++oy) {
        const float* xr = x + index_of(shape_, 0, shape_.neighbour(1, j, oy), shape_.neighbour(2, k, oz));
        const _Float16* cm = c_.data() + shape_.offset(-1, oy, oz) * size + base;
        const _Float16* c0 = c_.data() + shape_.offset(0, oy, oz) * size + base;
        const _Float16* cp = c_.data() + shape_.offset(1, oy, oz) * size + base;
        const float left = periodic ? xr[n0 - 1] : 0.0f, right = periodic ? xr[0] : 0.0f;
        const int l = n0 - 1;
        yr[0] +=
            static_cast<float>(cm[0]) * left + static_cast<float>(c0[0]) * xr[0] + static_cast<float>(cp[0]) * xr[1];
        accumulate_half(cm, c0, cp, xr, yr, 1, l);
        yr[l] += static_cast<float>(cm[l]) * xr[l - 1] + static_cast<float>(c0[l]) * xr[l] +
                 static_cast<float>(cp[l]) * right;
      }
    const float* br = b ? b + base : nullptr;
    if (output == Output::scaled_residual)
      for (int i = 0; i < n0; ++i) yr[i] = inv_diag[base + i] * br[i] - yr[i];
    else if (output == Output::residual)
      for (int i = 0; i < n0; ++i) yr[i] = br[i] - diag[base + i] * yr[i];
  }
}

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

template <class V>
void Interpolation::prolong_add(const V* coarse, V* fine) const {
  const int n0 = fine_.n[0], n1 = fine_.n[1], n2 = fine_.n[2];
  const Weights &ux = up_[0], &uy = up_[1], &uz = up_[2];
#pragma omp parallel for schedule(static) if (fine_.size() >= parallel_nodes)
  for (int row = 0; row < n1 * n2; ++row) {
    const auto j = static_cast<std::size_t>(row % n1), k = static_cast<std::size_t>(row / n1);
    const int src_j[2] = {uy.lo[j], uy.hi[j]}, src_k[2] = {uz.lo[k], uz.hi[k]};
    const double w_j[2] = {uy.wlo[j], uy.whi[j]}, w_k[2] = {uz.wlo[k], uz.whi[k]};
    V* fr = fine + static_cast<long>(row) * n0;
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) {
        const auto w = static_cast<V>(w_k[a] * w_j[c]);
        if (w == V(0)) continue;
        const V* cr = coarse + index_of(coarse_, 0, src_j[c], src_k[a]);
        for (int i = 0; i < n0; ++i) {
          const auto iu = static_cast<std::size_t>(i);
          fr[i] += w * (static_cast<V>(ux.wlo[iu]) * cr[ux.lo[iu]] + static_cast<V>(ux.whi[iu]) * cr[ux.hi[iu]]);
        }
      }
  }
}

template <class V>
void Interpolation::restrict_to(const V* fine, V* coarse) const {
  const int n0 = coarse_.n[0], n1 = coarse_.n[1], n2 = coarse_.n[2];
  const Gather &gx = down_[0], &gy = down_[1], &gz = down_[2];
#pragma omp parallel for schedule(static) if (fine_.size() >= parallel_nodes)
  for (int row = 0; row < n1 * n2; ++row) {
    const auto j = static_cast<std::size_t>(row % n1), k = static_cast<std::size_t>(row / n1);
    V* cr = coarse + static_cast<long>(row) * n0;
    for (int i = 0; i < n0; ++i) cr[i] = V(0);
    for (std::size_t a = 0; a < 3; ++a)
      for (std::size_t c = 0; c < 3; ++c) {
        const auto w = static_cast<V>(gz.weight[k][a] * gy.weight[j][c]);
        if (w == V(0)) continue;
        const V* fr = fine + index_of(fine_, 0, gy.index[j][c], gz.index[k][a]);
        for (int i = 0; i < n0; ++i) {
          const auto iu = static_cast<std::size_t>(i);
          const auto& ix = gx.index[iu];
          const auto& wx = gx.weight[iu];
          cr[i] += w * (static_cast<V>(wx[0]) * fr[ix[0]] + static_cast<V>(wx[1]) * fr[ix[1]] +
                        static_cast<V>(wx[2]) * fr[ix[2]]);
        }
      }
  }
}

Mat Interpolation::assemble() const {
  Mat P = nullptr;
  const int per_row = 1 << fine_.dim;
  ATTNPDE_PETSC(MatCreateSeqAIJ(PETSC_COMM_SELF, static_cast<PetscInt>(fine_.size()),
                                static_cast<PetscInt>(coarse_.size()), per_row, nullptr, &P));
  for (long r = 0; r < fine_.size(); ++r) {
    const auto node = node_of(fine_, r);
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
      const auto col = static_cast<PetscInt>(index_of(coarse_, src[0], src[1], src[2]));
      ATTNPDE_PETSC(MatSetValues(P, 1, &row, 1, &col, &w, ADD_VALUES));
    }
  }
  ATTNPDE_PETSC(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  ATTNPDE_PETSC(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  return P;
}

template class StencilMatrix<double>;
template class StencilMatrix<float>;
template void StencilMatrix<double>::multiply(const double*, double*, const double*) const;
template void StencilMatrix<float>::multiply(const float*, float*, const float*) const;
template void Interpolation::prolong_add(const float*, float*) const;
template void Interpolation::prolong_add(const double*, double*) const;
template void Interpolation::restrict_to(const float*, float*) const;
template void Interpolation::restrict_to(const double*, double*) const;

}  // namespace attnpde
