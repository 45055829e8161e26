#include "postprocess/vtk_grid.hpp"

#include <mpi.h>

namespace attnpde {

ImageGeometry image_geometry(const Grid& grid) {
  ImageGeometry g;
  g.dim = grid.dim();
  g.nodes = grid.nodes();
  g.origin = grid.origin();
  g.spacing = grid.spacing();
  g.periodic = grid.domain().periodic();
  return g;
}

std::string write_grid_fields(const Grid& grid, const std::string& dir, const std::string& base,
                              const std::vector<NamedArray>& arrays) {
  const ImageGeometry g = image_geometry(grid);
  PetscMPIInt size = 1, rank = 0;
  MPI_Comm_size(grid.comm(), &size);
  MPI_Comm_rank(grid.comm(), &rank);
  if (size == 1) {
    write_field_vti(dir + "/" + base + ".vti", g, arrays);
    return base + ".vti";
  }
  std::array<int, 3> start, count;
  grid.owned(start, count);
  Extent mine;
  for (int d = 0; d < 3; ++d) {
    mine.lo[d] = start[d];
    const bool upper = d < g.dim && (g.periodic || start[d] + count[d] < g.nodes[d]);
    mine.hi[d] = start[d] + count[d] - 1 + (upper ? 1 : 0);
  }
  const std::string piece = base + "_" + std::to_string(rank) + ".vti";
  write_field_vti(dir + "/" + piece, g, arrays, &mine);
  std::vector<int> all(static_cast<std::size_t>(6 * size));
  int flat[6] = {mine.lo[0], mine.lo[1], mine.lo[2], mine.hi[0], mine.hi[1], mine.hi[2]};
  MPI_Gather(flat, 6, MPI_INT, all.data(), 6, MPI_INT, 0, grid.comm());
  if (rank == 0) {
    std::vector<Extent> pieces(static_cast<std::size_t>(size));
    std::vector<std::string> files;
    for (int r = 0; r < size; ++r) {
      for (int d = 0; d < 3; ++d) {
        pieces[r].lo[d] = all[static_cast<std::size_t>(6 * r + d)];
        pieces[r].hi[d] = all[static_cast<std::size_t>(6 * r + 3 + d)];
      }
      files.push_back(base + "_" + std::to_string(r) + ".vti");
    }
    const long total = grid.total_nodes();
    std::vector<std::pair<std::string, int>> names;
    for (const auto& [name, data] : arrays) names.emplace_back(name, static_cast<int>(data->size() / total));
    write_field_pvti(dir + "/" + base + ".pvti", g, names, pieces, files);
  }
  return base + ".pvti";
}

}  // namespace attnpde
