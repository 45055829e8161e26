#include "postprocess/vtk_writer.hpp"

#include <vtkCellArray.h>
#include <vtkDoubleArray.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLImageDataWriter.h>
#include <vtkXMLUnstructuredGridWriter.h>

#include <fstream>
#include <stdexcept>

#include "postprocess/json.hpp"
#include "postprocess/tables.hpp"

namespace attnpde {

namespace {

vtkNew<vtkDoubleArray> make_array(const std::string& name, vtkIdType n, int components = 1) {
  vtkNew<vtkDoubleArray> a;
  a->SetName(name.c_str());
  a->SetNumberOfComponents(components);
  a->SetNumberOfTuples(n);
  return a;
}

template <class Writer>
void finish(Writer& w, const std::string& path) {
  // Failures are reported by the exception below, in one line: no VTK error window text.
  vtkObject::GlobalWarningDisplayOff();
  w->SetFileName(path.c_str());
  w->SetDataModeToAppended();
  w->EncodeAppendedDataOff();
  if (w->Write() != 1 || w->GetErrorCode() != 0)
    throw std::runtime_error("cannot write " + path + " (VTK writer failed)");
  check_written(path);
}

}  // namespace

void write_tokens_vtu(const std::string& path, const Tokens& tokens, const std::vector<NamedArray>& arrays) {
  const vtkIdType n = static_cast<vtkIdType>(tokens.size());
  vtkNew<vtkPoints> points;
  points->SetDataTypeToDouble();
  points->SetNumberOfPoints(n);
  for (vtkIdType j = 0; j < n; ++j) {
    const auto x = tokens.point(static_cast<std::size_t>(j));
    points->SetPoint(j, x[0], x[1], x[2]);
  }
  vtkNew<vtkUnstructuredGrid> cloud;
  cloud->SetPoints(points);
  vtkNew<vtkCellArray> cells;
  cells->AllocateExact(n, n);
  for (vtkIdType j = 0; j < n; ++j) cells->InsertNextCell(1, &j);
  cloud->SetCells(VTK_VERTEX, cells);
  for (const auto& [name, data] : arrays) {
    if (static_cast<vtkIdType>(data->size()) != n) throw std::logic_error("token array size mismatch: " + name);
    auto a = make_array(name, n);
    for (vtkIdType j = 0; j < n; ++j) a->SetValue(j, (*data)[static_cast<std::size_t>(j)]);
    cloud->GetPointData()->AddArray(a);
  }
  vtkNew<vtkXMLUnstructuredGridWriter> w;
  w->SetInputData(cloud);
  finish(w, path);
}

std::array<int, 3> ImageGeometry::points() const {
  std::array<int, 3> p{1, 1, 1};
  for (int d = 0; d < dim; ++d) p[d] = nodes[d] + (periodic ? 1 : 0);
  return p;
}

void write_field_vti(const std::string& path, const ImageGeometry& g, const std::vector<NamedArray>& arrays,
                     const Extent* piece) {
  const auto pts = g.points();
  Extent e;
  for (int d = 0; d < 3; ++d) e.hi[d] = pts[d] - 1;
  if (piece) e = *piece;
  vtkNew<vtkImageData> image;
  image->SetExtent(e.lo[0], e.hi[0], e.lo[1], e.hi[1], e.lo[2], e.hi[2]);
  image->SetOrigin(g.origin[0], g.origin[1], g.origin[2]);
  image->SetSpacing(g.spacing[0], g.dim > 1 ? g.spacing[1] : 1.0, g.dim > 2 ? g.spacing[2] : 1.0);
  const vtkIdType total =
      static_cast<vtkIdType>(e.hi[0] - e.lo[0] + 1) * (e.hi[1] - e.lo[1] + 1) * (e.hi[2] - e.lo[2] + 1);
  const auto& n = g.nodes;
  const long expected = static_cast<long>(n[0]) * n[1] * n[2];
  for (const auto& [name, data] : arrays) {
    const long comps = static_cast<long>(data->size()) / expected;
    if (comps * expected != static_cast<long>(data->size()) || (comps != 1 && comps != 3 && comps != 9))
      throw std::logic_error("field size mismatch: " + name);
    auto a = make_array(name, total, static_cast<int>(comps));
    vtkIdType idx = 0;
    for (int k = e.lo[2]; k <= e.hi[2]; ++k)
      for (int j = e.lo[1]; j <= e.hi[1]; ++j)
        for (int i = e.lo[0]; i <= e.hi[0]; ++i) {
          const long src = (static_cast<long>(k % n[2]) * n[1] + j % n[1]) * n[0] + i % n[0];
          for (long c = 0; c < comps; ++c) a->SetValue(idx++, (*data)[static_cast<std::size_t>(src * comps + c)]);
        }
    image->GetPointData()->AddArray(a);
  }
  vtkNew<vtkXMLImageDataWriter> w;
  w->SetInputData(image);
  finish(w, path);
}

void write_field_pvti(const std::string& path, const ImageGeometry& g,
                      const std::vector<std::pair<std::string, int>>& arrays, const std::vector<Extent>& pieces,
                      const std::vector<std::string>& files) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  const auto pts = g.points();
  auto extent = [](const Extent& e) {
    std::string s;
    for (int d = 0; d < 3; ++d) s += (d ? " " : "") + std::to_string(e.lo[d]) + " " + std::to_string(e.hi[d]);
    return s;
  };
  Extent whole;
  for (int d = 0; d < 3; ++d) whole.hi[d] = pts[d] - 1;
  const double sy = g.dim > 1 ? g.spacing[1] : 1.0, sz = g.dim > 2 ? g.spacing[2] : 1.0;
  out << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"PImageData\" version=\"0.1\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n"
      << "  <PImageData WholeExtent=\"" << extent(whole) << "\" GhostLevel=\"0\" Origin=\""
      << format_double(g.origin[0]) << " " << format_double(g.origin[1]) << " " << format_double(g.origin[2])
      << "\" Spacing=\"" << format_double(g.spacing[0]) << " " << format_double(sy) << " " << format_double(sz)
      << "\">\n"
      << "    <PPointData>\n";
  for (const auto& [name, comps] : arrays)
    out << "      <PDataArray type=\"Float64\" Name=\"" << name << "\" NumberOfComponents=\"" << comps << "\"/>\n";
  out << "    </PPointData>\n";
  for (std::size_t r = 0; r < pieces.size(); ++r)
    out << "    <Piece Extent=\"" << extent(pieces[r]) << "\" Source=\"" << files[r] << "\"/>\n";
  out << "  </PImageData>\n</VTKFile>\n";
  close_checked(out, path);
}

void write_tokens_pvtu(const std::string& path, const std::vector<std::string>& arrays,
                       const std::vector<std::string>& files) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"PUnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\" header_type=\"UInt64\">\n"
      << "  <PUnstructuredGrid GhostLevel=\"0\">\n"
      << "    <PPointData>\n";
  for (const auto& name : arrays) out << "      <PDataArray type=\"Float64\" Name=\"" << name << "\"/>\n";
  out << "    </PPointData>\n"
      << "    <PPoints>\n      <PDataArray type=\"Float64\" NumberOfComponents=\"3\"/>\n    </PPoints>\n";
  for (const auto& f : files) out << "    <Piece Source=\"" << f << "\"/>\n";
  out << "  </PUnstructuredGrid>\n</VTKFile>\n";
  close_checked(out, path);
}

void write_pvd(const std::string& path, const std::vector<PvdEntry>& entries) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n  <Collection>\n";
  for (const auto& e : entries)
    out << "    <DataSet timestep=\"" << format_double(e.time) << "\" group=\"\" part=\"0\" file=\"" << e.file
        << "\"/>\n";
  out << "  </Collection>\n</VTKFile>\n";
  close_checked(out, path);
}

}  // namespace attnpde
