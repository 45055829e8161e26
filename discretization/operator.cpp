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

// Weights of a first difference at node index m of n along one direction, to be divided by
// 2 h: centred (-1, 0, 1); in the box the first and last cells use (0, -2, 2) and
// (-2, 2, 0), i.e. (u_1 - u_0) / h.
std::array<double, 3> difference_weights(bool periodic, int m, int n) {
  if (!periodic && m == 0) return {0.0, -2.0, 2.0};
  if (!periodic && m == n - 1) return {-2.0, 2.0, 0.0};
  return {-1.0, 0.0, 1.0};
}

}  // namespace

MatOwner assemble_operator(const Grid& grid, const Eigen::MatrixXd& G, const PointFunction& weight,
                           const VectorFunction& drift) {
  return assemble_operator(
      grid, [&G](const double*) { return G; }, weight, drift);
}

MatOwner assemble_operator(const Grid& grid, const MatrixFunction& G_at, const PointFunction& weight,
                           const VectorFunction& drift) {
  const int dim = grid.dim();
  const bool periodic = grid.domain().periodic();
  const auto& n = grid.nodes();
  for (int d = 0; d < dim; ++d)
    if (n[d] < 3) throw std::invalid_argument("the box stencil needs at least 3 nodes per direction");
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
        double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
        Stencil st{dim};
        const double w_node = weight(x);
        for (int d = 0; d < dim; ++d) {
          // side = +1: face i + e_d/2 (flux enters with +), side = -1: face i - e_d/2 (with -).
          for (int side = -1; side <= 1; side += 2) {
            // Zero-flux boundary faces of the box.
            if (!periodic && ((side < 0 && node[d] == 0) || (side > 0 && node[d] == n[d] - 1))) continue;
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
              // Tangential derivative: mean over the two cells of the face of their
              // differences along e.
              const double cross = scale * G(d, e) / (4.0 * h[e]);
              const auto wt = difference_weights(periodic, node[e], n[e]);
              for (int along = lo; along <= lo + 1; ++along)
                for (int se = -1; se <= 1; ++se) {
                  if (wt[se + 1] == 0.0) continue;
                  int o[3] = {0, 0, 0};
                  o[d] = along;
                  o[e] = se;
                  st.add(o, wt[se + 1] * cross);
                }
            }
          }
        }
        if (drift) {
          const Eigen::VectorXd b = drift(x);
          if (b.size() != dim) throw std::invalid_argument("the drift does not match the grid dimension");
          for (int d = 0; d < dim; ++d) {
            const auto wt = difference_weights(periodic, node[d], n[d]);
            for (int sd = -1; sd <= 1; ++sd) {
              int o[3] = {0, 0, 0};
              o[d] = sd;
              st.add(o, wt[sd + 1] * b[d] / (2.0 * h[d]));
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
              const int c[3] = {node[0] + ox, node[1] + oy, node[2] + oz};
              // Outside the box: no such unknown (its coefficient is zero).
              if (!periodic && (c[0] < 0 || c[0] >= n[0] || c[1] < 0 || c[1] >= n[1] || c[2] < 0 || c[2] >= n[2]))
                continue;
              cols[m] = MatStencil{};
              cols[m].i = c[0];
              cols[m].j = c[1];
              cols[m].k = c[2];
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
