#pragma once
// VTK output of fields on the PDE grid (discretization/grid.hpp): the image geometry of a
// grid and, on several MPI ranks, one .vti piece per rank with a .pvti header.

#include <string>
#include <vector>

#include "discretization/grid.hpp"
#include "postprocess/vtk_writer.hpp"

namespace attnpde {

/// The VTK image geometry of a grid.
ImageGeometry image_geometry(const Grid& grid);

/// Writes node fields of `grid` (natural order over all nodes, as Grid::gather returns
/// them on every rank): dir/base.vti on one rank; on several, every rank writes the
/// points it owns (plus one layer shared with its upper neighbour) to dir/base_<rank>.vti
/// and rank 0 writes the dir/base.pvti header. Collective. Returns the file name
/// (base.vti or base.pvti).
std::string write_grid_fields(const Grid& grid, const std::string& dir, const std::string& base,
                              const std::vector<NamedArray>& arrays);

}  // namespace attnpde
