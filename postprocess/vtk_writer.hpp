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

/// Periodic node data (natural order, x fastest) on [0, 2 pi)^dim as image data; the
/// node at 2 pi is repeated from 0 so the image covers the whole torus. An array with 3
/// or 9 values per node is written as a vector or a 3 x 3 tensor (ParaView glyphs them).
void write_field_vti(const std::string& path, int dim, const std::array<int, 3>& nodes,
                     const std::array<double, 3>& spacing, const std::vector<NamedArray>& arrays);

struct PvdEntry {
  double time;
  std::string file;  ///< relative to the .pvd
};
void write_pvd(const std::string& path, const std::vector<PvdEntry>& entries);

}  // namespace attnpde
