#pragma once
// DMDA grid of the domain, one degree of freedom, box stencil of width 1 (the
// mixed-derivative fluxes of the operator reach the diagonal neighbours):
//  - torus [0, 2 pi)^dim: periodic, n_d nodes per direction at x = i h_d, h_d = 2 pi / n_d;
//  - box [0, 1]^dim: cell-centred, n_d cells per direction with centres x = (i + 1/2) h_d,
//    h_d = 1 / n_d, so that the zero-flux faces lie on the boundary and sum w u h^dim is
//    the midpoint rule of the weighted mass.

#include <array>
#include <functional>
#include <vector>

#include "attention/domain.hpp"
#include "discretization/petsc_util.hpp"

namespace attnpde {

class Grid {
 public:
  Grid(MPI_Comm comm, const std::vector<int>& nodes, Domain domain = {});

  int dim() const { return dim_; }
  DM dm() const { return dm_.get(); }
  MPI_Comm comm() const { return comm_; }
  const std::array<int, 3>& nodes() const { return n_; }
  const std::array<double, 3>& spacing() const { return h_; }
  const Domain& domain() const { return domain_; }
  /// Coordinate of node i along direction d.
  double coordinate(int d, int i) const { return domain_.node_coordinate(i, h_[d]); }
  /// Coordinate of node 0 in every direction (the VTK origin).
  std::array<double, 3> origin() const;
  long total_nodes() const { return static_cast<long>(n_[0]) * n_[1] * n_[2]; }
  /// Cell volume h_0 h_1 ... h_{dim-1}.
  double cell_volume() const;

  /// Owned index range of this rank: start[d] .. start[d] + count[d] - 1 (unused dims: 0, 1).
  void owned(std::array<int, 3>& start, std::array<int, 3>& count) const;

  /// A new DM with the same layout (solvers attach their own callbacks to it).
  DMOwner clone_dm() const;
  VecOwner create_vector() const;
  /// Weighted sum h^dim sum_i w_i u_i (the weighted mass the operator conserves).
  double weighted_sum(Vec u, Vec w) const;
  /// v_i = f(x_i) at the owned nodes.
  void fill(Vec v, const std::function<double(const double*)>& f) const;
  /// All node values on every rank, in natural order (x fastest), independent of the
  /// rank decomposition.
  std::vector<double> gather(Vec v) const;

 private:
  MPI_Comm comm_;
  int dim_;
  Domain domain_;
  std::array<int, 3> n_{1, 1, 1};
  std::array<double, 3> h_{1, 1, 1};
  DMOwner dm_;
};

}  // namespace attnpde
