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
  w->SetFileName(path.c_str());
  w->SetDataModeToAppended();
  w->EncodeAppendedDataOff();
  if (w->Write() != 1) throw std::runtime_error("VTK could not write " + path);
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

void write_field_vti(const std::string& path, int dim, const std::array<int, 3>& nodes,
                     const std::array<double, 3>& spacing, const std::vector<NamedArray>& arrays) {
  int ext[3] = {1, 1, 1};
  for (int d = 0; d < dim; ++d) ext[d] = nodes[d] + 1;  // periodic closure
  vtkNew<vtkImageData> image;
  image->SetDimensions(ext[0], ext[1], ext[2]);
  image->SetOrigin(0.0, 0.0, 0.0);
  image->SetSpacing(spacing[0], dim > 1 ? spacing[1] : 1.0, dim > 2 ? spacing[2] : 1.0);
  const vtkIdType total = static_cast<vtkIdType>(ext[0]) * ext[1] * ext[2];
  for (const auto& [name, data] : arrays) {
    const long expected = static_cast<long>(nodes[0]) * (dim > 1 ? nodes[1] : 1) * (dim > 2 ? nodes[2] : 1);
    const long comps = static_cast<long>(data->size()) / expected;
    if (comps * expected != static_cast<long>(data->size()) || (comps != 1 && comps != 3 && comps != 9))
      throw std::logic_error("field size mismatch: " + name);
    auto a = make_array(name, total, static_cast<int>(comps));
    vtkIdType idx = 0;
    for (int k = 0; k < ext[2]; ++k)
      for (int j = 0; j < ext[1]; ++j)
        for (int i = 0; i < ext[0]; ++i) {
          const long src = (static_cast<long>(dim > 2 ? k % nodes[2] : 0) * (dim > 1 ? nodes[1] : 1) +
                            (dim > 1 ? j % nodes[1] : 0)) *
                               nodes[0] +
                           i % nodes[0];
          for (long c = 0; c < comps; ++c) a->SetValue(idx++, (*data)[static_cast<std::size_t>(src * comps + c)]);
        }
    image->GetPointData()->AddArray(a);
  }
  vtkNew<vtkXMLImageDataWriter> w;
  w->SetInputData(image);
  finish(w, path);
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
  if (!out) throw std::runtime_error("write failed: " + path);
}

}  // namespace attnpde
