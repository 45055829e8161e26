#pragma once
// The unit sphere S^(dim-1) in R^dim (dim = 2: the circle, dim = 3: S^2) as a token domain
// (docs/theory.md section 9): quadrature on the sphere, samplers of a density given in the
// ambient coordinates, the projection that keeps transported tokens on the sphere, and
// the linear growth rates of the circle law.

#include <array>
#include <cstdint>
#include <vector>

#include "attention/tokens.hpp"

namespace attnpde {

class Density;

/// Gauss-Legendre nodes and weights on [-1, 1] (n points; exact for polynomials of degree
/// 2 n - 1). Newton's iteration on P_n from the Chebyshev guesses.
void gauss_legendre(int n, std::vector<double>& nodes, std::vector<double>& weights);

/// Quadrature on the unit sphere in R^dim: points and surface weights (sum 2 pi on the
/// circle, 4 pi on S^2). Circle: `order` equispaced angles (spectral for smooth
/// functions). S^2: Gauss-Legendre in z (`order` nodes) times 2 `order` equispaced
/// longitudes: exact for polynomials of degree 2 order - 1.
struct SphereQuadrature {
  std::vector<std::array<double, 3>> points;
  std::vector<double> weights;
};
SphereQuadrature sphere_quadrature(int dim, int order);

/// The point of the sphere at angle theta (circle) or at height z and longitude phi (S^2).
std::array<double, 3> circle_point(double theta);
std::array<double, 3> sphere_point(double z, double phi);
/// The angle of a point of the circle in [0, 2 pi).
double circle_angle(double x, double y);

/// n tokens of the density p (a Density on the sphere) on S^(dim-1), as ambient points.
///  - random: uniform proposals (the angle; on S^2 height and longitude, uniform in area
///    by Archimedes' theorem) from a 64-bit Mersenne twister seeded with `seed`, accepted
///    with probability p / p_bound.
///  - quasi: on the circle the shifted lattice (k + s) / n mapped through the tabulated
///    inverse CDF of p in arc length (65536 cells); on S^2 the spherical Fibonacci lattice
///    z_k = 1 - 2 (k + s_z) / n, phi_k = 2 pi frac(k / golden + s_phi) for uniform p only.
///    The shifts s come from the seed.
Tokens sample_sphere(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler);

/// Puts every token back on the unit sphere (x <- x / |x|), as normalization layers do.
void project_to_sphere(Tokens& tokens);

/// The circle law (docs/theory.md section 9): tokens on S^1 moved by
/// d theta_i / dt = sum_j A_ij sin(theta_j - theta_i), A_ij proportional to
/// exp(beta cos(theta_j - theta_i)), grow Fourier mode k of a slight perturbation of the
/// uniform density at the rate lambda_k = k^2 I_k(beta) / (beta I_0(beta)).
double circle_law_rate(int k, double beta);
/// k_max = argmax_k lambda_k (the rates rise to one maximum, then fall).
int circle_law_k_max(double beta);

}  // namespace attnpde
