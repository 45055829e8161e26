#include "discretization/operator.hpp"

#include <stdexcept>

namespace attnpde {

namespace {

// Stencil of offsets in {-1, 0, 1}^dim, stored as 3^dim coefficients.
struct Stencil {
  int dim;
  double c[27] = {};
  static int index(const int (&o)[3]) { return (o[0] + 1) + 3 * (o[1] + 1) + 9 * (o[2] + 1); }
  void add(const int (&o)[3], double v) { c[index(o)] += v; }
};

}  // namespace

MatOwner assemble_operator(const Grid& grid, const Eigen::MatrixXd& G, const PointFunction& weight) {
  return assemble_operator(
      grid, [&G](const double*) { return G; }, weight);
}

MatOwner assemble_operator(const Grid& grid, const MatrixFunction& G_at, const PointFunction& weight) {
  const int dim = grid.dim();
  for (int d = 0; d < dim; ++d)
    if (grid.nodes()[d] < 3)
      throw std::invalid_argument("the periodic box stencil needs at least 3 nodes per direction");
  MatOwner A;
  ATTNPDE_PETSC(DMCreateMatrix(grid.dm(), A.out()));
  ATTNPDE_PETSC(MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  const auto& h = grid.spacing();
  std::array<int, 3> s, cnt;
  grid.owned(s, cnt);

  for (int k = s[2]; k < s[2] + cnt[2]; ++k)
    for (int j = s[1]; j < s[1] + cnt[1]; ++j)
      for (int i = s[0]; i < s[0] + cnt[0]; ++i) {
        const int node[3] = {i, j, k};
        double x[3] = {i * h[0], j * h[1], k * h[2]};
        Stencil st{dim};
        const double w_node = weight(x);
        for (int d = 0; d < dim; ++d) {
          // side = +1: face i + e_d/2 (flux enters with +), side = -1: face i - e_d/2 (with -).
          for (int side = -1; side <= 1; side += 2) {
            double xf[3] = {x[0], x[1], x[2]};
            xf[d] += 0.5 * side * h[d];
            const double wf = weight(xf);
            const Eigen::MatrixXd G = G_at(xf);
            if (G.rows() != dim || G.cols() != dim) throw std::invalid_argument("G does not match the grid dimension");
            const double scale = side * wf / (w_node * h[d]);
            // The face lies between offsets lo = min(0, side) and lo + 1 along d.
            const int lo = side > 0 ? 0 : -1;
            int o_hi[3] = {0, 0, 0}, o_lo[3] = {0, 0, 0};
            o_hi[d] = lo + 1;
            o_lo[d] = lo;
            st.add(o_hi, scale * G(d, d) / h[d]);
            st.add(o_lo, -scale * G(d, d) / h[d]);
            for (int e = 0; e < dim; ++e) {
              if (e == d) continue;
              const double cross = scale * G(d, e) / (4.0 * h[e]);
              for (int along = lo; along <= lo + 1; ++along)
                for (int se = -1; se <= 1; se += 2) {
                  int o[3] = {0, 0, 0};
                  o[d] = along;
                  o[e] = se;
                  st.add(o, se * cross);
                }
            }
          }
        }
        MatStencil row{};
        row.i = node[0];
        row.j = node[1];
        row.k = node[2];
        MatStencil cols[27];
        PetscScalar vals[27];
        int m = 0;
        const int r2 = dim > 2 ? 1 : 0, r1 = dim > 1 ? 1 : 0;
        for (int oz = -r2; oz <= r2; ++oz)
          for (int oy = -r1; oy <= r1; ++oy)
            for (int ox = -1; ox <= 1; ++ox) {
              const int o[3] = {ox, oy, oz};
              cols[m] = MatStencil{};
              cols[m].i = node[0] + ox;
              cols[m].j = node[1] + oy;
              cols[m].k = node[2] + oz;
              vals[m] = st.c[Stencil::index(o)];
              ++m;
            }
        ATTNPDE_PETSC(MatSetValuesStencil(A, 1, &row, m, cols, vals, INSERT_VALUES));
      }
  ATTNPDE_PETSC(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  ATTNPDE_PETSC(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  return A;
}

}  // namespace attnpde
