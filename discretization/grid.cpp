#include "discretization/grid.hpp"

#include <stdexcept>

#include "attention/constants.hpp"

namespace attnpde {

Grid::Grid(MPI_Comm comm, const std::vector<int>& nodes) : comm_(comm), dim_(static_cast<int>(nodes.size())) {
  if (dim_ < 1 || dim_ > 3) throw std::invalid_argument("grid dimension must be 1, 2 or 3");
  for (int d = 0; d < dim_; ++d) {
    n_[d] = nodes[d];
    h_[d] = torus_period / nodes[d];
  }
  const DMBoundaryType periodic = DM_BOUNDARY_PERIODIC;
  const PetscInt dof = 1, width = 1;
  if (dim_ == 1)
    ATTNPDE_PETSC(DMDACreate1d(comm, periodic, n_[0], dof, width, nullptr, dm_.out()));
  else if (dim_ == 2)
    ATTNPDE_PETSC(DMDACreate2d(comm, periodic, periodic, DMDA_STENCIL_BOX, n_[0], n_[1], PETSC_DECIDE, PETSC_DECIDE,
                               dof, width, nullptr, nullptr, dm_.out()));
  else
    ATTNPDE_PETSC(DMDACreate3d(comm, periodic, periodic, periodic, DMDA_STENCIL_BOX, n_[0], n_[1], n_[2], PETSC_DECIDE,
                               PETSC_DECIDE, PETSC_DECIDE, dof, width, nullptr, nullptr, nullptr, dm_.out()));
  ATTNPDE_PETSC(DMSetFromOptions(dm_));
  ATTNPDE_PETSC(DMSetUp(dm_));
  ATTNPDE_PETSC(
      DMDASetUniformCoordinates(dm_, 0.0, torus_period - h_[0], 0.0, torus_period - h_[1], 0.0, torus_period - h_[2]));
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
        const double x[3] = {i * h_[0], j * h_[1], k * h_[2]};
        a[idx++] = f(x);
      }
  ATTNPDE_PETSC(VecRestoreArray(v, &a));
}

std::vector<double> Grid::gather(Vec v) const {
  VecOwner natural, all;
  ATTNPDE_PETSC(DMDACreateNaturalVector(dm_, natural.out()));
  ATTNPDE_PETSC(DMDAGlobalToNaturalBegin(dm_, v, INSERT_VALUES, natural));
  ATTNPDE_PETSC(DMDAGlobalToNaturalEnd(dm_, v, INSERT_VALUES, natural));
  ScatterOwner scatter;
  ATTNPDE_PETSC(VecScatterCreateToAll(natural, scatter.out(), all.out()));
  ATTNPDE_PETSC(VecScatterBegin(scatter, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  ATTNPDE_PETSC(VecScatterEnd(scatter, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n = 0;
  ATTNPDE_PETSC(VecGetLocalSize(all, &n));
  const PetscScalar* a = nullptr;
  ATTNPDE_PETSC(VecGetArrayRead(all, &a));
  std::vector<double> out(a, a + n);
  ATTNPDE_PETSC(VecRestoreArrayRead(all, &a));
  return out;
}

}  // namespace attnpde
