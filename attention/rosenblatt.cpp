#include "attention/rosenblatt.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "attention/constants.hpp"
#include "attention/density.hpp"

namespace attnpde {

namespace {
using cplx = std::complex<double>;
const double two_pi = torus_period;
}  // namespace

InverseRosenblatt::InverseRosenblatt(const Density& p, int modes) : dim_(p.dim()) {
  if (modes <= 0) modes = dim_ == 1 ? 512 : (dim_ == 2 ? 64 : 32);
  const int m = modes;
  kmax_ = m / 2 - 1;  // drop the Nyquist mode so the series stays real
  const int w = 2 * kmax_ + 1;
  // Tabulate p on the m^dim grid.
  std::array<int, 3> n{1, 1, 1};
  for (int d = 0; d < dim_; ++d) n[d] = m;
  std::vector<cplx> data(static_cast<std::size_t>(n[0]) * n[1] * n[2]);
  for (int k = 0; k < n[2]; ++k)
    for (int j = 0; j < n[1]; ++j)
      for (int i = 0; i < n[0]; ++i) {
        const double x[3] = {two_pi * i / m, two_pi * j / m, two_pi * k / m};
        data[(static_cast<std::size_t>(k) * n[1] + j) * n[0] + i] = p.raw(x);
      }
  // Separable DFT, one axis at a time: m samples -> 2 kmax + 1 coefficients.
  std::array<int, 3> shape = n;
  for (int a = 0; a < dim_; ++a) {
    std::array<int, 3> out_shape = shape;
    out_shape[a] = w;
    std::vector<cplx> out(static_cast<std::size_t>(out_shape[0]) * out_shape[1] * out_shape[2]);
    std::array<int, 3> idx{};
    for (idx[2] = 0; idx[2] < out_shape[2]; ++idx[2])
      for (idx[1] = 0; idx[1] < out_shape[1]; ++idx[1])
        for (idx[0] = 0; idx[0] < out_shape[0]; ++idx[0]) {
          const int kk = idx[a] - kmax_;
          cplx s = 0;
          std::array<int, 3> src = idx;
          for (int i = 0; i < m; ++i) {
            src[a] = i;
            const double phase = -two_pi * static_cast<double>(kk) * i / m;
            s += data[(static_cast<std::size_t>(src[2]) * shape[1] + src[1]) * shape[0] + src[0]] *
                 cplx(std::cos(phase), std::sin(phase));
          }
          out[(static_cast<std::size_t>(idx[2]) * out_shape[1] + idx[1]) * out_shape[0] + idx[0]] = s / double(m);
        }
    data.swap(out);
    shape = out_shape;
  }
  c_ = std::move(data);
  for (int d = 0; d < dim_; ++d) width_[d] = w;
  // Resolution diagnostic: largest coefficient in the outer quarter of the retained modes
  // (a band, not only |k| = kmax: symmetric densities have zero odd modes).
  const cplx c0 = c_[static_cast<std::size_t>(kmax_) + w * (dim_ > 1 ? kmax_ + (dim_ > 2 ? w * kmax_ : 0) : 0)];
  const int band = (3 * kmax_) / 4;
  double edge = 0;
  for (int k2 = 0; k2 < width_[2]; ++k2)
    for (int k1 = 0; k1 < width_[1]; ++k1)
      for (int k0 = 0; k0 < width_[0]; ++k0) {
        const int kk =
            std::max({std::abs(k0 - kmax_), dim_ > 1 ? std::abs(k1 - kmax_) : 0, dim_ > 2 ? std::abs(k2 - kmax_) : 0});
        if (kk >= band)
          edge = std::max(edge, std::abs(c_[(static_cast<std::size_t>(k2) * width_[1] + k1) * width_[0] + k0]));
      }
  tail_ = edge / std::abs(c0);
}

namespace {

// Tokens mapped together: the reduced series of each coordinate for `lanes` tokens at once,
// the tokens innermost so that the compiler vectorizes over them. Every token goes through
// the same instructions in the same order whatever its lane and batch (the last batch is
// padded), so a token's coordinates depend on its u only.
constexpr int lanes = 8;

// The CDF G(t) = Re[b_0 t + sum_{k != 0} b_k (e^{ikt} - 1)/(ik)] of a 1D series b_k (2 kmax + 1
// coefficients of a real density: b_-k = conj(b_k) up to rounding) and its density
// g(t) = Re sum_k b_k e^{ikt}. With b+ = b_k, b- = b_-k and e^{ikt} = c + i s,
//   Re[b+ e^{ikt} + b- e^{-ikt}] = (b+_r + b-_r) c - (b+_i - b-_i) s = P_k c - Q_k s,
//   Re[b+ (e^{ikt} - 1) / (ik) + b- (e^{-ikt} - 1) / (-ik)] = (P_k s + Q_k (c - 1)) / k,
// so each lane's series is kept as P_k, Q_k and their quotients by k, [k - 1][lane].
//
// invert_cdf finds for every lane the t in [0, 2 pi) with G(t) = u G(2 pi) by safeguarded
// Newton (bisection when a step leaves the bracket), the lanes' series evaluated together
// (e^{ikt} by recurrence from e^{it}); a lane that has converged keeps its t, so each lane
// takes exactly the steps it would take alone. br, bi: the series, [k + kmax][lane].
void invert_cdf(const double* br, const double* bi, int kmax, const double* u, double* t_out) {
  constexpr auto nl = static_cast<std::size_t>(lanes);
  const auto K = static_cast<std::size_t>(kmax);
  std::vector<double> P(K * nl), Q(K * nl), Pk(K * nl), Qk(K * nl);
  double b0[nl], lo[nl], hi[nl], t[nl], target[nl];
  bool done[nl];
  for (std::size_t l = 0; l < nl; ++l) {
    b0[l] = br[K * nl + l];
    for (std::size_t q = 0; q < K; ++q) {
      const std::size_t plus = (K + q + 1) * nl + l, minus = (K - q - 1) * nl + l;
      P[q * nl + l] = br[plus] + br[minus];
      Q[q * nl + l] = bi[plus] - bi[minus];
      Pk[q * nl + l] = P[q * nl + l] / static_cast<double>(q + 1);
      Qk[q * nl + l] = Q[q * nl + l] / static_cast<double>(q + 1);
    }
    target[l] = u[l] * (b0[l] * two_pi);
    lo[l] = 0;
    hi[l] = two_pi;
    t[l] = two_pi * u[l];
    done[l] = false;
  }
  const double tol = 1e-14 * two_pi;
  for (int it = 0; it < 200; ++it) {
    double zr[nl], zi[nl], c[nl], sn[nl], G[nl], g[nl];
    for (std::size_t l = 0; l < nl; ++l) {
      zr[l] = std::cos(t[l]);
      zi[l] = std::sin(t[l]);
      c[l] = 1.0;
      sn[l] = 0.0;
      G[l] = b0[l] * t[l];
      g[l] = b0[l];
    }
    for (std::size_t q = 0; q < K; ++q) {
      const double* p = &P[q * nl];
      const double* s = &Q[q * nl];
      const double* pk = &Pk[q * nl];
      const double* qk = &Qk[q * nl];
#pragma omp simd
      for (std::size_t l = 0; l < nl; ++l) {
        const double cn = c[l] * zr[l] - sn[l] * zi[l];
        sn[l] = c[l] * zi[l] + sn[l] * zr[l];
        c[l] = cn;
        g[l] += p[l] * c[l] - s[l] * sn[l];
        G[l] += pk[l] * sn[l] + qk[l] * (c[l] - 1.0);
      }
    }
    bool all = true;
    for (std::size_t l = 0; l < nl; ++l) {
      if (done[l]) continue;
      const double r = G[l] - target[l];
      if (r > 0)
        hi[l] = t[l];
      else
        lo[l] = t[l];
      double next = g[l] > 0 ? t[l] - r / g[l] : 0.5 * (lo[l] + hi[l]);
      if (!(next > lo[l] && next < hi[l])) next = 0.5 * (lo[l] + hi[l]);
      done[l] = std::abs(next - t[l]) < tol || hi[l] - lo[l] < tol;
      t[l] = next;
      all = all && done[l];
    }
    if (all) break;
  }
  for (std::size_t l = 0; l < nl; ++l) t_out[l] = std::min(std::max(t[l], 0.0), std::nextafter(two_pi, 0.0));
}

}  // namespace

std::array<double, 3> InverseRosenblatt::map(const double* u) const {
  std::array<double, 3> x{};
  map(u, &x, 1);
  return x;
}

void InverseRosenblatt::map(const double* u, std::array<double, 3>* x, std::size_t count) const {
  const int w0 = width_[0], w1 = width_[1], w2 = width_[2];
  const auto W0 = static_cast<std::size_t>(w0), W1 = static_cast<std::size_t>(w1);
  const int centre1 = dim_ > 1 ? kmax_ : 0, centre2 = dim_ > 2 ? kmax_ : 0;
  const int w = 2 * kmax_ + 1;
  // Phases e^{i k x_d} of the batch, [k][lane], real and imaginary parts apart.
  std::vector<double> e0r(W0 * lanes), e0i(W0 * lanes), e1r(W1 * lanes), e1i(W1 * lanes);
  std::vector<double> br(static_cast<std::size_t>(w) * lanes), bi(br.size());
  // e^{i k x} for k = -kmax .. kmax: powers of e^{ix} by recurrence (k roundings at most), the
  // negative ones their conjugates.
  auto fill_phases = [&](std::vector<double>& er, std::vector<double>& ei, int lane, double xv) {
    const double zr = std::cos(xv), zi = std::sin(xv);
    double c = 1.0, sn = 0.0;
    const auto at = [&](int k) { return static_cast<std::size_t>(k + kmax_) * lanes + static_cast<std::size_t>(lane); };
    er[at(0)] = 1.0;
    ei[at(0)] = 0.0;
    for (int k = 1; k <= kmax_; ++k) {
      const double cn = c * zr - sn * zi;
      sn = c * zi + sn * zr;
      c = cn;
      er[at(k)] = er[at(-k)] = c;
      ei[at(k)] = sn;
      ei[at(-k)] = -sn;
    }
  };
  // sum_k0 c[k2][k1][k0] e^{i k0 x0} for every lane into (re, im)[lane].
  auto row_dot = [&](int k1, int k2, double* re, double* im) {
    const cplx* c = &c_[(static_cast<std::size_t>(k2) * W1 + static_cast<std::size_t>(k1)) * W0];
    for (int l = 0; l < lanes; ++l) re[l] = im[l] = 0.0;
    for (int k0 = 0; k0 < w0; ++k0) {
      const double cr = c[k0].real(), ci = c[k0].imag();
      const double* er = &e0r[static_cast<std::size_t>(k0) * lanes];
      const double* ei = &e0i[static_cast<std::size_t>(k0) * lanes];
#pragma omp simd
      for (int l = 0; l < lanes; ++l) {
        re[l] += cr * er[l] - ci * ei[l];
        im[l] += cr * ei[l] + ci * er[l];
      }
    }
  };
  for (std::size_t first = 0; first < count; first += lanes) {
    const auto used = static_cast<int>(std::min<std::size_t>(lanes, count - first));
    auto u_of = [&](int lane, int d) {
      return u[3 * (first + static_cast<std::size_t>(std::min(lane, used - 1))) + static_cast<std::size_t>(d)];
    };
    double xs[3][lanes];
    for (int j = 0; j < dim_; ++j) {
      // The reduced 1D series in x_j of every lane: b_k = sum over the earlier coordinates'
      // modes of c e^{i k_l x_l}, later modes at their centre.
      if (j == 1) {
        for (int k1 = 0; k1 < w1; ++k1)
          row_dot(k1, centre2, &br[static_cast<std::size_t>(k1) * lanes], &bi[static_cast<std::size_t>(k1) * lanes]);
      } else if (j == 2) {
        std::fill(br.begin(), br.end(), 0.0);
        std::fill(bi.begin(), bi.end(), 0.0);
        double re[lanes], im[lanes];
        for (int k2 = 0; k2 < w2; ++k2) {
          double* sr = &br[static_cast<std::size_t>(k2) * lanes];
          double* si = &bi[static_cast<std::size_t>(k2) * lanes];
          for (int k1 = 0; k1 < w1; ++k1) {
            row_dot(k1, k2, re, im);
            const double* er = &e1r[static_cast<std::size_t>(k1) * lanes];
            const double* ei = &e1i[static_cast<std::size_t>(k1) * lanes];
#pragma omp simd
            for (int l = 0; l < lanes; ++l) {
              sr[l] += re[l] * er[l] - im[l] * ei[l];
              si[l] += re[l] * ei[l] + im[l] * er[l];
            }
          }
        }
      }
      if (j == 0)  // the marginal of x_0: the same series in every lane
        for (std::size_t k = 0; k < static_cast<std::size_t>(w); ++k)
          for (std::size_t l = 0; l < lanes; ++l) {
            const cplx v = c_[(static_cast<std::size_t>(centre2) * W1 + static_cast<std::size_t>(centre1)) * W0 + k];
            br[k * lanes + l] = v.real();
            bi[k * lanes + l] = v.imag();
          }
      double uj[lanes];
      for (int l = 0; l < lanes; ++l) uj[l] = u_of(l, j);  // padding lanes repeat the last point
      invert_cdf(br.data(), bi.data(), kmax_, uj, xs[j]);
      for (int l = 0; l < lanes; ++l) {
        if (j == 0) fill_phases(e0r, e0i, l, xs[0][l]);
        if (j == 1) fill_phases(e1r, e1i, l, xs[1][l]);
      }
    }
    for (int l = 0; l < used; ++l)
      for (int d = 0; d < 3; ++d)
        x[first + static_cast<std::size_t>(l)][static_cast<std::size_t>(d)] = d < dim_ ? xs[d][l] : 0.0;
  }
}

std::vector<std::uint64_t> korobov_vector(std::uint64_t n, int dim) {
  std::vector<std::uint64_t> g(static_cast<std::size_t>(dim), 1);
  if (dim == 1 || n < 3) return g;
  // P_2 = -1 + (1/n) sum_k prod_j (1 + 2 pi^2 B_2({k g_j / n})), B_2(x) = x^2 - x + 1/6.
  auto quality = [&](std::uint64_t z) {
    // The residues k g_j mod n advance by g_j mod n from one k to the next: an addition and a
    // conditional subtraction instead of a division per point and direction.
    std::uint64_t g_mod[3] = {1, 1, 1}, r[3] = {0, 0, 0};
    for (int j = 1; j < dim; ++j) g_mod[j] = (g_mod[j - 1] * z) % n;
    double sum = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      double prod = 1;
      for (int j = 0; j < dim; ++j) {
        const double x = static_cast<double>(r[j]) / static_cast<double>(n);
        prod *= 1 + 2 * M_PI * M_PI * (x * x - x + 1.0 / 6.0);
        r[j] += g_mod[j];
        if (r[j] >= n) r[j] -= n;
      }
      sum += prod;
    }
    return sum / static_cast<double>(n) - 1;
  };
  const int candidates = 128;
  // Spread candidates over [2, n/2], plus the golden-ratio multiplier; their figures of
  // merit in parallel, the best (the first of equals) chosen in candidate order.
  std::vector<std::uint64_t> zs(candidates + 1);
  std::vector<double> qs(candidates + 1, INFINITY);
  for (int c = 0; c <= candidates; ++c) {
    std::uint64_t z = c == candidates
                          ? static_cast<std::uint64_t>(std::llround(static_cast<double>(n) / 1.6180339887498949))
                          : 2 + (static_cast<std::uint64_t>(c) * (n / 2 - 2)) / candidates;
    while (std::gcd(z, n) != 1) ++z;
    zs[static_cast<std::size_t>(c)] = z;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int c = 0; c <= candidates; ++c)
    if (zs[static_cast<std::size_t>(c)] < n) qs[static_cast<std::size_t>(c)] = quality(zs[static_cast<std::size_t>(c)]);
  std::uint64_t best = 1;
  double best_q = INFINITY;
  for (int c = 0; c <= candidates; ++c)
    if (qs[static_cast<std::size_t>(c)] < best_q) {
      best_q = qs[static_cast<std::size_t>(c)];
      best = zs[static_cast<std::size_t>(c)];
    }
  for (int j = 1; j < dim; ++j) g[static_cast<std::size_t>(j)] = (g[static_cast<std::size_t>(j - 1)] * best) % n;
  return g;
}

}  // namespace attnpde
