#include "solver/app/study_journal.hpp"

#include <cstdio>
#include <sstream>
#include <vector>

#include "postprocess/json.hpp"

namespace attnpde {

namespace {

void mix(std::uint64_t& h, const std::string& s) {
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  h ^= 0xff;  // separator
  h *= 1099511628211ULL;
}

std::string text(double v) {
  return format_double(v);
}

}  // namespace

std::uint64_t point_key(const Case& c, const PointSpec& spec) {
  std::uint64_t h = 14695981039346656037ULL;
  mix(h, c.domain.name());
  mix(h, std::to_string(c.dim));
  mix(h, c.density_expr);
  mix(h, std::to_string(static_cast<int>(c.sampler)));
  for (Eigen::Index k = 0; k < c.metric.size(); ++k) mix(h, text(c.metric.data()[k]));
  mix(h, text(c.beta));
  mix(h, std::to_string(static_cast<int>(c.normalization.kind)));
  mix(h, text(c.normalization.alpha));
  mix(h, text(c.normalization.sinkhorn_tol));
  mix(h, std::to_string(c.normalization.sinkhorn_max_iter));
  mix(h, text(c.tau));
  mix(h, std::to_string(static_cast<int>(c.depth)));
  mix(h, std::to_string(static_cast<int>(c.precision)));
  mix(h, std::to_string(static_cast<int>(c.kernel)));
  mix(h, text(c.cutoff));
  mix(h, text(c.ode_rtol));
  mix(h, text(c.ode_atol));
  for (const auto& u : c.u0) mix(h, u);
  for (int n : c.grid) mix(h, std::to_string(n));
  mix(h, text(c.dt));
  mix(h, text(c.rtol));
  mix(h, text(c.atol));
  mix(h, std::to_string(spec.n));
  mix(h, text(spec.sigma));
  mix(h, std::to_string(spec.seed));
  mix(h, std::to_string(spec.layers));
  mix(h, spec.on_path ? "path" : "grid");
  return h;
}

StudyJournal::StudyJournal(std::string path, bool resume, bool boundary_layer)
    : path_(std::move(path)), boundary_(boundary_layer) {
  if (path_.empty()) return;
  const std::size_t columns = summary_columns(boundary_).size();
  if (resume) {
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> cells;
      std::istringstream row(line);
      for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
      if (cells.size() != columns + 2 || cells[0] == "key") continue;  // header or a cut line
      try {
        PointResult r;
        std::vector<double> v;
        for (std::size_t k = 2; k < cells.size(); ++k) v.push_back(std::stod(cells[k]));
        r.n = static_cast<long>(v[0]);
        r.sigma = v[1];
        r.tau = v[2];
        r.layers = static_cast<int>(v[3]);
        r.t = v[4];
        r.seed = static_cast<std::uint64_t>(v[5]);
        r.generator = {v[6], v[7]};
        r.dynamics = {v[8], v[9]};
        r.seconds = v[10];
        if (boundary_) {
          r.boundary_tokens = static_cast<long>(v[11]);
          r.generator_boundary = {v[12], v[13]};
          r.dynamics_boundary = {v[14], v[15]};
        }
        r.on_path = cells[1] == "1";
        stored_[std::stoull(cells[0], nullptr, 16)] = r;
      } catch (const std::exception&) {
        continue;  // a line cut by the kill
      }
    }
  }
  out_.open(path_, std::ios::trunc);
  if (!out_) throw std::runtime_error("cannot write the study journal " + path_);
  std::string header = "key,on_path";
  for (const auto& col : summary_columns(boundary_)) header += "," + col;
  out_ << header << '\n';
  // Points of the earlier journal stay in it (a second interruption loses none).
  const auto kept = stored_;
  for (const auto& [key, r] : kept) write_line(key, r);
}

const PointResult* StudyJournal::find(std::uint64_t key) const {
  auto it = stored_.find(key);
  return it == stored_.end() ? nullptr : &it->second;
}

void StudyJournal::add(std::uint64_t key, const PointResult& r) {
  if (path_.empty()) return;
  write_line(key, r);
}

void StudyJournal::write_line(std::uint64_t key, const PointResult& r) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(key));
  out_ << hex << ',' << (r.on_path ? 1 : 0);
  for (double v : summary_row(r, boundary_)) out_ << ',' << format_double(v);
  out_ << '\n';
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write the study journal " + path_);
}

}  // namespace attnpde
