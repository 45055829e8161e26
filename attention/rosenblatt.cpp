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

std::array<double, 3> InverseRosenblatt::map(const double* u) const {
  std::array<double, 3> x{};
  const int w = 2 * kmax_ + 1;
  std::vector<cplx> b(static_cast<std::size_t>(w));
  std::vector<cplx> e0(static_cast<std::size_t>(w)), e1(static_cast<std::size_t>(w));
  auto fill_phases = [&](std::vector<cplx>& e, double xv) {
    for (int k = -kmax_; k <= kmax_; ++k) e[static_cast<std::size_t>(k + kmax_)] = std::polar(1.0, k * xv);
  };
  for (int j = 0; j < dim_; ++j) {
    // Reduced 1D series in x_j: b_k = sum over earlier modes of c e^{i k_l x_l}, later modes 0
    // (their index is the centre kmax). Rows of c are contiguous in k0: each is one complex
    // dot product with the phases of x_0, in real arithmetic (it vectorizes; std::complex
    // products would go through the library's inf/NaN-safe multiply).
    const int w0 = width_[0], w1 = width_[1];
    auto row_dot = [&](int k1, int k2) {
      const cplx* c = &c_[(static_cast<std::size_t>(k2) * static_cast<std::size_t>(w1) + static_cast<std::size_t>(k1)) *
                          static_cast<std::size_t>(w0)];
      double re = 0, im = 0;
      for (int k0 = 0; k0 < w0; ++k0) {
        const double cr = c[k0].real(), ci = c[k0].imag();
        const double er = e0[static_cast<std::size_t>(k0)].real(), ei = e0[static_cast<std::size_t>(k0)].imag();
        re += cr * er - ci * ei;
        im += cr * ei + ci * er;
      }
      return cplx(re, im);
    };
    std::fill(b.begin(), b.end(), cplx(0));
    const int centre1 = dim_ > 1 ? kmax_ : 0, centre2 = dim_ > 2 ? kmax_ : 0;
    if (j == 0) {
      for (int k0 = 0; k0 < w0; ++k0)
        b[static_cast<std::size_t>(k0)] =
            c_[(static_cast<std::size_t>(centre2) * static_cast<std::size_t>(w1) + static_cast<std::size_t>(centre1)) *
                   static_cast<std::size_t>(w0) +
               static_cast<std::size_t>(k0)];
    } else if (j == 1) {
      for (int k1 = 0; k1 < w1; ++k1) b[static_cast<std::size_t>(k1)] = row_dot(k1, centre2);
    } else {
      for (int k2 = 0; k2 < width_[2]; ++k2)
        for (int k1 = 0; k1 < w1; ++k1) {
          const cplx r = row_dot(k1, k2), e = e1[static_cast<std::size_t>(k1)];
          b[static_cast<std::size_t>(k2)] +=
              cplx(r.real() * e.real() - r.imag() * e.imag(), r.real() * e.imag() + r.imag() * e.real());
        }
    }
    // CDF G(t) = Re[b_0 t + sum_{k != 0} b_k (e^{ikt} - 1)/(ik)] and density
    // g(t) = Re sum_k b_k e^{ikt}, in one pass with e^{ikt} by recurrence; the terms k and
    // -k are conjugate pairs for a real density.
    auto G_and_g = [&](double t, double& gv) {
      const cplx z = std::polar(1.0, t);
      const cplx b0 = b[static_cast<std::size_t>(kmax_)];
      double Gv = b0.real() * t;
      gv = b0.real();
      // In real arithmetic, zk = e^{ikt} = (c, s) by recurrence: with b+ = bp, b- = bm,
      //   Re[b+ zk + b- conj(zk)] = (b+_r + b-_r) c - (b+_i - b-_i) s,
      //   Re[b+ (zk - 1) / (ik) + b- (conj(zk) - 1) / (-ik)]
      //     = (Im[b+ (zk - 1)] - Im[b- (conj(zk) - 1)]) / k.
      double c = 1.0, sn = 0.0;
      const double zr = z.real(), zi = z.imag();
      for (int k = 1; k <= kmax_; ++k) {
        const double cn = c * zr - sn * zi;
        sn = c * zi + sn * zr;
        c = cn;
        const cplx bp = b[static_cast<std::size_t>(kmax_ + k)], bm = b[static_cast<std::size_t>(kmax_ - k)];
        gv += (bp.real() + bm.real()) * c - (bp.imag() - bm.imag()) * sn;
        const double ip = bp.real() * sn + bp.imag() * (c - 1.0);   // Im[b+ (c - 1 + i s)]
        const double im = -bm.real() * sn + bm.imag() * (c - 1.0);  // Im[b- (c - 1 - i s)]
        Gv += (ip - im) / k;
      }
      return Gv;
    };
    const double total = b[static_cast<std::size_t>(kmax_)].real() * two_pi;
    const double target = u[j] * total;
    double lo = 0, hi = two_pi, t = two_pi * u[j];
    const double tol = 1e-14 * two_pi;
    for (int it = 0; it < 200; ++it) {
      double slope = 0;
      const double r = G_and_g(t, slope) - target;
      if (r > 0)
        hi = t;
      else
        lo = t;
      double next = slope > 0 ? t - r / slope : 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const bool done = std::abs(next - t) < tol || hi - lo < tol;
      t = next;
      if (done) break;
    }
    x[j] = std::min(std::max(t, 0.0), std::nextafter(two_pi, 0.0));
    if (j == 0) fill_phases(e0, x[0]);
    if (j == 1) fill_phases(e1, x[1]);
  }
  return x;
}

std::vector<std::uint64_t> korobov_vector(std::uint64_t n, int dim) {
  std::vector<std::uint64_t> g(static_cast<std::size_t>(dim), 1);
  if (dim == 1 || n < 3) return g;
  // P_2 = -1 + (1/n) sum_k prod_j (1 + 2 pi^2 B_2({k g_j / n})), B_2(x) = x^2 - x + 1/6.
  auto quality = [&](std::uint64_t z) {
    double sum = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      double prod = 1;
      std::uint64_t gj = 1;
      for (int j = 0; j < dim; ++j) {
        const double x = static_cast<double>((k * gj) % n) / static_cast<double>(n);
        prod *= 1 + 2 * M_PI * M_PI * (x * x - x + 1.0 / 6.0);
        gj = (gj * z) % n;
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
