#pragma once
// The token domain Omega of docs/theory.md section 1: the flat torus [0, 2 pi)^n with
// minimum-image displacements, the box [0, 1]^n (tokens only inside; the limit PDE has
// zero-flux boundaries n . (p^gamma G grad u) = 0), the whole space R^n (a Gaussian
// token cloud for dot-product attention, section 5; no PDE grid), or the unit sphere
// S^(n-1) in R^n (n = 2, 3; tokens as ambient points, chordal displacements; the limit is
// the weighted Laplace-Beltrami operator, docs/theory.md section 9).
//
// This header is the geometry both sides share (docs/theory.md section 1): attention,
// the DMDA grid, the probe's query points and case validation all place nodes with
// node_coordinate(). It has no PETSc and no attention numerics.

#include <cmath>
#include <stdexcept>
#include <string>

#include "attention/constants.hpp"

namespace attnpde {

enum class DomainKind { torus, box, space, sphere };

struct Domain {
  DomainKind kind = DomainKind::torus;

  bool periodic() const { return kind == DomainKind::torus; }
  /// Side length: 2 pi on the torus, 1 for the box (and 1, unused, for the whole space);
  /// on the sphere 2 pi, a great circle (the period of the circle's arc-length grid).
  double length() const { return periodic() || kind == DomainKind::sphere ? torus_period : 1.0; }
  /// Displacement y - x: minimum image on the torus, plain difference in the box.
  double displacement(double y, double x) const {
    const double v = y - x;
    return periodic() ? v - torus_period * std::floor(v / torus_period + 0.5) : v;
  }
  /// Offset of the grid nodes in units of h: nodes at i h on the torus (periodic nodes),
  /// at (i + 1/2) h in the box (cell centres, the zero-flux walls on cell faces).
  double node_offset() const { return periodic() ? 0.0 : 0.5; }
  /// Coordinate of node i of a grid with spacing h = length() / nodes.
  double node_coordinate(int i, double h) const { return (i + node_offset()) * h; }
  const char* name() const {
    return periodic() ? "torus" : (kind == DomainKind::box ? "box" : (kind == DomainKind::space ? "space" : "sphere"));
  }
  /// Dimension of the domain itself for tokens with `dim` coordinates: dim - 1 on the
  /// sphere S^(dim-1), dim elsewhere (the n of c(beta, n) and of the error model).
  int intrinsic_dim(int dim) const { return kind == DomainKind::sphere ? dim - 1 : dim; }
  static Domain from_string(const std::string& s) {
    if (s == "torus") return Domain{DomainKind::torus};
    if (s == "box") return Domain{DomainKind::box};
    if (s == "space") return Domain{DomainKind::space};
    if (s == "sphere") return Domain{DomainKind::sphere};
    throw std::invalid_argument("unknown domain '" + s + "'");
  }
};

}  // namespace attnpde
