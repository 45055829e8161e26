#pragma once
// VTK XML output through VTK's own writers (binary appended data, zlib): token clouds as
// .vtu (one vertex cell per token, values as point data), grid fields as .vti, and .pvd
// collections that tie the frames of a run to their times for ParaView.

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "attention/tokens.hpp"

namespace attnpde {

using NamedArray = std::pair<std::string, const std::vector<double>*>;

/// Tokens as a point cloud; each array has one value per token.
void write_tokens_vtu(const std::string& path, const Tokens& tokens, const std::vector<NamedArray>& arrays);

/// A uniform grid: nodes per direction, coordinates of node 0 and spacing. Periodic
/// grids get one more node per direction in the image, repeated from node 0, so that the
/// image covers the whole torus.
struct ImageGeometry {
  int dim = 1;
  std::array<int, 3> nodes{1, 1, 1};
  std::array<double, 3> origin{0, 0, 0};
  std::array<double, 3> spacing{1, 1, 1};
  bool periodic = true;
  /// Image points per direction (with the periodic closure).
  std::array<int, 3> points() const;
};

/// Inclusive point-index range of an image piece (VTK's Extent).
struct Extent {
  std::array<int, 3> lo{0, 0, 0}, hi{0, 0, 0};
};

/// Node data (natural order over all nodes, x fastest) as image data, the whole image
/// or only the points of `piece`. An array with 3 or 9 values per node is written as a
/// vector or a 3 x 3 tensor (ParaView glyphs them).
void write_field_vti(const std::string& path, const ImageGeometry& g, const std::vector<NamedArray>& arrays,
                     const Extent* piece = nullptr);

/// The .pvti header of a parallel image: pieces[r] is stored in files[r] (relative to
/// the .pvti); `arrays` gives the names and component counts of the point data.
void write_field_pvti(const std::string& path, const ImageGeometry& g,
                      const std::vector<std::pair<std::string, int>>& arrays, const std::vector<Extent>& pieces,
                      const std::vector<std::string>& files);

/// The .pvtu header of a token cloud stored in pieces (files relative to the .pvtu), each
/// piece written by write_tokens_vtu with point arrays named `arrays`.
void write_tokens_pvtu(const std::string& path, const std::vector<std::string>& arrays,
                       const std::vector<std::string>& files);

struct PvdEntry {
  double time;
  std::string file;  ///< relative to the .pvd
};
void write_pvd(const std::string& path, const std::vector<PvdEntry>& entries);

}  // namespace attnpde
