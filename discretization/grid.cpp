#include "discretization/grid.hpp"

#include <stdexcept>

#include "attention/constants.hpp"

namespace attnpde {

Grid::Grid(MPI_Comm comm, const std::vector<int>& nodes, Domain domain)
    : comm_(comm), dim_(static_cast<int>(nodes.size())), domain_(domain) {
  if (dim_ < 1 || dim_ > 3) throw std::invalid_argument("grid dimension must be 1, 2 or 3");
  for (int d = 0; d < dim_; ++d) {
    n_[d] = nodes[d];
    h_[d] = domain_.length() / nodes[d];
  }
  dm_ = clone_dm();
  const auto o = origin();
  ATTNPDE_PETSC(DMDASetUniformCoordinates(dm_, o[0], coordinate(0, n_[0] - 1), o[1], coordinate(1, n_[1] - 1), o[2],
                                          coordinate(2, n_[2] - 1)));
}

std::array<double, 3> Grid::origin() const {
  std::array<double, 3> o{};
  for (int d = 0; d < dim_; ++d) o[d] = coordinate(d, 0);
  return o;
}

double Grid::cell_volume() const {
  double v = 1.0;
  for (int d = 0; d < dim_; ++d) v *= h_[d];
  return v;
}

void Grid::owned(std::array<int, 3>& start, std::array<int, 3>& count) const {
  PetscInt xs, ys, zs, xm, ym, zm;
  ATTNPDE_PETSC(DMDAGetCorners(dm_, &xs, &ys, &zs, &xm, &ym, &zm));
  start = {static_cast<int>(xs), static_cast<int>(ys), static_cast<int>(zs)};
  count = {static_cast<int>(xm), static_cast<int>(ym), static_cast<int>(zm)};
  for (int d = dim_; d < 3; ++d) {
    start[d] = 0;
    count[d] = 1;
  }
}

DMOwner Grid::clone_dm() const {
  DMOwner c;
  const DMBoundaryType periodic = domain_.periodic() ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_NONE;
  const PetscInt dof = 1, width = 1;
  if (dim_ == 1)
    ATTNPDE_PETSC(DMDACreate1d(comm_, periodic, n_[0], dof, width, nullptr, c.out()));
  else if (dim_ == 2)
    ATTNPDE_PETSC(DMDACreate2d(comm_, periodic, periodic, DMDA_STENCIL_BOX, n_[0], n_[1], PETSC_DECIDE, PETSC_DECIDE,
                               dof, width, nullptr, nullptr, c.out()));
  else
    ATTNPDE_PETSC(DMDACreate3d(comm_, periodic, periodic, periodic, DMDA_STENCIL_BOX, n_[0], n_[1], n_[2], PETSC_DECIDE,
                               PETSC_DECIDE, PETSC_DECIDE, dof, width, nullptr, nullptr, nullptr, c.out()));
  ATTNPDE_PETSC(DMSetFromOptions(c));
  ATTNPDE_PETSC(DMSetUp(c));
  // Cell-centred box grids coarsen by halving the cell count (piecewise-constant
  // transfer); periodic grids use the default (multi)linear interpolation.
  if (!domain_.periodic()) ATTNPDE_PETSC(DMDASetInterpolationType(c, DMDA_Q0));
  return c;
}

double Grid::weighted_sum(Vec u, Vec w) const {
  PetscScalar m = 0;
  ATTNPDE_PETSC(VecDot(u, w, &m));
  return m * cell_volume();
}

VecOwner Grid::create_vector() const {
  VecOwner v;
  ATTNPDE_PETSC(DMCreateGlobalVector(dm_, v.out()));
  return v;
}

void Grid::fill(Vec v, const std::function<double(const double*)>& f) const {
  std::array<int, 3> s, c;
  owned(s, c);
  PetscScalar* a = nullptr;
  ATTNPDE_PETSC(VecGetArray(v, &a));
  long idx = 0;
  for (int k = s[2]; k < s[2] + c[2]; ++k)
    for (int j = s[1]; j < s[1] + c[1]; ++j)
      for (int i = s[0]; i < s[0] + c[0]; ++i) {
        const double x[3] = {coordinate(0, i), coordinate(1, j), coordinate(2, k)};
        a[idx++] = f(x);
      }
  ATTNPDE_PETSC(VecRestoreArray(v, &a));
}

std::vector<double> Grid::gather(Vec v) const {
  VecOwner natural;
  ATTNPDE_PETSC(DMDACreateNaturalVector(dm_, natural.out()));
  ATTNPDE_PETSC(DMDAGlobalToNaturalBegin(dm_, v, INSERT_VALUES, natural));
  ATTNPDE_PETSC(DMDAGlobalToNaturalEnd(dm_, v, INSERT_VALUES, natural));
  return gather_to_all(natural);
}

}  // namespace attnpde
