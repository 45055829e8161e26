#include "discretization/operator.hpp"

#include <stdexcept>
#include <vector>

namespace attnpde {

namespace {

// Stencil of offsets in {-1, 0, 1}^dim, stored as 3^dim coefficients.
struct Stencil {
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

// Entry (a, b) of the Schur complement of G on the directions outside `free_mask`
// (bit e set: the derivative along e is free, i.e. eliminated).
double schur_entry(const Eigen::MatrixXd& G, unsigned free_mask, int a, int b) {
  if (free_mask == 0) return G(a, b);
  const int dim = static_cast<int>(G.rows());
  std::vector<int> f;
  for (int e = 0; e < dim; ++e)
    if (free_mask & (1u << e)) f.push_back(e);
  const auto k = static_cast<Eigen::Index>(f.size());
  Eigen::MatrixXd Gff(k, k);
  Eigen::VectorXd ga(k), gb(k);
  for (Eigen::Index r = 0; r < k; ++r) {
    ga[r] = G(a, f[static_cast<std::size_t>(r)]);
    gb[r] = G(f[static_cast<std::size_t>(r)], b);
    for (Eigen::Index c = 0; c < k; ++c) Gff(r, c) = G(f[static_cast<std::size_t>(r)], f[static_cast<std::size_t>(c)]);
  }
  return G(a, b) - ga.dot(Gff.llt().solve(gb));
}

// The energy coefficient of an edge along d (a = b = d) or a square in the plane (a, b),
// centred at xc, whose extent across every other direction e is the node's dual cell: in
// the box, a node on a wall has the half of that cell between the wall and the node
// without differences across e (free). The coefficient is w(xc) times the mean, over the
// 2^k half-cell combinations, of the Schur complement entry with the free directions.
double energy_coefficient(const Eigen::MatrixXd& G, double w, unsigned wall_mask, int a, int b) {
  // wall_mask: directions (other than a, b) along which the node lies on a wall.
  const int dim = static_cast<int>(G.rows());
  std::vector<int> walls;
  for (int e = 0; e < dim; ++e)
    if ((wall_mask & (1u << e)) && e != a && e != b) walls.push_back(e);
  const unsigned combos = 1u << walls.size();
  double sum = 0;
  for (unsigned s = 0; s < combos; ++s) {
    unsigned free_mask = 0;
    for (std::size_t j = 0; j < walls.size(); ++j)
      if (s & (1u << j)) free_mask |= 1u << walls[j];
    sum += schur_entry(G, free_mask, a, b);
  }
  return w * sum / combos;
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
  auto metric = [&](const double* xc) {
    Eigen::MatrixXd g = G_at(xc);
    if (g.rows() != dim || g.cols() != dim) throw std::invalid_argument("G does not match the grid dimension");
    return g;
  };
  // Node index along d shifted by `off`, wrapped on the torus (so that an edge or square
  // is evaluated at bitwise the same point from each of its nodes).
  auto wrap = [&](int d, int i) { return periodic ? (i + n[d]) % n[d] : i; };

  for (int k = s[2]; k < s[2] + cnt[2]; ++k)
    for (int j = s[1]; j < s[1] + cnt[1]; ++j)
      for (int i = s[0]; i < s[0] + cnt[0]; ++i) {
        const int node[3] = {i, j, k};
        const double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
        unsigned wall_mask = 0;
        if (!periodic)
          for (int d = 0; d < dim; ++d)
            if (node[d] == 0 || node[d] == n[d] - 1) wall_mask |= 1u << d;
        Stencil st;
        const double inv_w = 1.0 / weight(x);
        // Edges along d: (L u)_i += A (u_{i +- e_d} - u_i) / (h_d^2 w_i).
        for (int d = 0; d < dim; ++d)
          for (int side = -1; side <= 1; side += 2) {
            if (!periodic && ((side < 0 && node[d] == 0) || (side > 0 && node[d] == n[d] - 1))) continue;
            double xc[3] = {x[0], x[1], x[2]};
            xc[d] = grid.coordinate(d, wrap(d, node[d] + (side > 0 ? 0 : -1))) + 0.5 * h[d];
            const double a = energy_coefficient(metric(xc), weight(xc), wall_mask, d, d) * inv_w / (h[d] * h[d]);
            int o[3] = {0, 0, 0};
            o[d] = side;
            st.add(o, a);
            st.add({0, 0, 0}, -a);
          }
        // Squares in the plane (d, e) with base offset (bd, be) in {-1, 0}^2: the node is
        // their corner (-bd, -be); (L u)_i -= B (alpha_i g_e + beta_i g_d) / w_i with
        // g_d = sum_m alpha_m u_m, g_e = sum_m beta_m u_m over the four corners m.
        for (int d = 0; d < dim; ++d)
          for (int e = d + 1; e < dim; ++e)
            for (int bd = -1; bd <= 0; ++bd)
              for (int be = -1; be <= 0; ++be) {
                if (!periodic && (node[d] + bd < 0 || node[d] + bd + 1 > n[d] - 1 || node[e] + be < 0 ||
                                  node[e] + be + 1 > n[e] - 1))
                  continue;
                double xc[3] = {x[0], x[1], x[2]};
                xc[d] = grid.coordinate(d, wrap(d, node[d] + bd)) + 0.5 * h[d];
                xc[e] = grid.coordinate(e, wrap(e, node[e] + be)) + 0.5 * h[e];
                const double b = energy_coefficient(metric(xc), weight(xc), wall_mask, d, e) * inv_w;
                auto alpha = [&](int c) { return (c ? 1.0 : -1.0) / (2.0 * h[d]); };
                auto beta = [&](int c) { return (c ? 1.0 : -1.0) / (2.0 * h[e]); };
                const int kd = -bd, ke = -be;
                for (int md = 0; md <= 1; ++md)
                  for (int me = 0; me <= 1; ++me) {
                    int o[3] = {0, 0, 0};
                    o[d] = bd + md;
                    o[e] = be + me;
                    st.add(o, -b * (alpha(kd) * beta(me) + beta(ke) * alpha(md)));
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

VecOwner mass_weights(const Grid& grid, const PointFunction& weight) {
  VecOwner v = grid.create_vector();
  const double vol = grid.cell_volume();
  grid.fill(v, [&](const double* x) { return weight(x) * vol; });
  return v;
}

}  // namespace attnpde
