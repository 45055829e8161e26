#include "solver/case.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <toml.hpp>
#include <tuple>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/metric.hpp"
#include "attention/rosenblatt.hpp"
#include "discretization/expression.hpp"
#include "postprocess/json.hpp"
#include "solver/case_keys.hpp"

namespace attnpde {

namespace {

std::string format_input_error(const std::string& file, int line, int column, const std::string& key,
                               const std::string& message) {
  std::ostringstream os;
  os << file;
  if (line > 0) os << ':' << line << ':' << column;
  os << ": error: ";
  if (!key.empty()) os << key << ": ";
  os << message;
  return os.str();
}

}  // namespace

InputError::InputError(std::string file, int line, int column, std::string key, std::string message)
    : std::runtime_error(format_input_error(file, line, column, key, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)) {}

double optimal_sigma(long n, int dim, double scale) {
  return scale * std::pow(static_cast<double>(n), -1.0 / (dim + 6));
}

namespace {

using TValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;
const char* const override_origin = "--set";

// Where a value came from: file:line:col of the value, or the --set option.
struct Where {
  std::string file;
  int line = 0;
  int column = 0;
};

Where where(const TValue& v, const std::string& file) {
  const toml::source_location loc = v.location();
  if (loc.file_name() == override_origin) return {override_origin, 0, 0};
  if (loc.file_name() == "unknown file") return {file, 0, 0};
  return {file, static_cast<int>(loc.line()), static_cast<int>(loc.column())};
}

[[noreturn]] void fail(const TValue& v, const std::string& file, const std::string& key, const std::string& msg) {
  const Where w = where(v, file);
  throw InputError(w.file, w.line, w.column, key, msg);
}

std::string kind_of(const TValue& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a real";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    default:
      return "a date/time";
  }
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Reads and checks one value against its spec; the Case filler below converts.
class Reader {
 public:
  Reader(std::string file) : file_(std::move(file)) {}

  double real(const TValue& v, const KeySpec& s) const {
    double x = 0;
    if (v.is_integer())
      x = static_cast<double>(v.as_integer());
    else if (v.is_floating())
      x = v.as_floating();
    else
      fail(v, file_, s.name(), "expected a real number, got " + kind_of(v));
    check_range(v, s, x);
    return x;
  }

  long integer(const TValue& v, const KeySpec& s) const {
    double x = 0;
    if (v.is_integer()) {
      x = static_cast<double>(v.as_integer());
    } else if (v.is_floating() && std::isfinite(v.as_floating()) && v.as_floating() == std::floor(v.as_floating()) &&
               std::abs(v.as_floating()) < 9e15) {
      x = v.as_floating();  // 1e4 is accepted where an integer is expected
    } else {
      fail(v, file_, s.name(), "expected an integer, got " + kind_of(v));
    }
    check_range(v, s, x);
    return v.is_integer() ? static_cast<long>(v.as_integer()) : static_cast<long>(x);
  }

  std::string string(const TValue& v, const KeySpec& s) const {
    if (!v.is_string()) fail(v, file_, s.name(), "expected a string, got " + kind_of(v));
    std::string text = v.as_string().str;
    if (!s.choices.empty()) {
      bool ok = false;
      std::string list;
      for (const auto& c : s.choices) {
        ok = ok || c == text;
        list += (list.empty() ? "" : ", ") + ("\"" + c + "\"");
      }
      if (!ok) fail(v, file_, s.name(), "\"" + text + "\" is not one of " + list);
    }
    return text;
  }

  bool boolean(const TValue& v, const KeySpec& s) const {
    if (!v.is_boolean()) fail(v, file_, s.name(), "expected true or false, got " + kind_of(v));
    return v.as_boolean();
  }

  std::string expression(const TValue& v, const KeySpec& s) const {
    const std::string text = string(v, s);
    try {
      Expression e(text);
    } catch (const ExpressionError& err) {
      Where w = where(v, file_);
      // Point at the offending character: after the opening quote of a one-line string.
      if (w.line > 0 && err.position() >= 0) w.column += 1 + err.position();
      throw InputError(w.file, w.line, w.column, s.name(), "expression \"" + text + "\": " + err.what());
    }
    return text;
  }

  std::vector<double> real_array(const TValue& v, const KeySpec& s) const {
    if (!v.is_array()) fail(v, file_, s.name(), "expected an array of reals, got " + kind_of(v));
    std::vector<double> out;
    for (const auto& e : v.as_array()) out.push_back(real(e, s));
    return out;
  }

  std::vector<long> integer_array(const TValue& v, const KeySpec& s) const {
    if (!v.is_array()) fail(v, file_, s.name(), "expected an array of integers, got " + kind_of(v));
    std::vector<long> out;
    for (const auto& e : v.as_array()) out.push_back(integer(e, s));
    return out;
  }

  Eigen::MatrixXd matrix(const TValue& v, const KeySpec& s, int dim) const {
    Eigen::MatrixXd m(dim, dim);
    if (dim == 1 && (v.is_integer() || v.is_floating())) {
      m(0, 0) = real(v, s);
      return m;
    }
    const std::string shape = "expected a " + std::to_string(dim) + " x " + std::to_string(dim) + " array of arrays";
    if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim) fail(v, file_, s.name(), shape);
    for (int a = 0; a < dim; ++a) {
      const TValue& row = v.as_array()[a];
      if (!row.is_array() || static_cast<int>(row.as_array().size()) != dim) fail(row, file_, s.name(), shape);
      for (int b = 0; b < dim; ++b) m(a, b) = real(row.as_array()[b], s);
    }
    return m;
  }

  // dim expressions; each checked like an expression key.
  std::vector<std::string> expression_array(const TValue& v, const KeySpec& s, int dim) const {
    if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim)
      fail(v, file_, s.name(), "expected an array of " + std::to_string(dim) + " expression strings");
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) out.push_back(expression(e, s));
    return out;
  }

  // dim x dim expressions, row-major; each checked like an expression key.
  std::vector<std::string> expression_matrix(const TValue& v, const KeySpec& s, int dim) const {
    const std::string shape =
        "expected a " + std::to_string(dim) + " x " + std::to_string(dim) + " array of arrays of expression strings";
    if (!v.is_array() || static_cast<int>(v.as_array().size()) != dim) fail(v, file_, s.name(), shape);
    std::vector<std::string> out;
    for (const auto& row : v.as_array()) {
      if (!row.is_array() || static_cast<int>(row.as_array().size()) != dim) fail(row, file_, s.name(), shape);
      for (const auto& e : row.as_array()) out.push_back(expression(e, s));
    }
    return out;
  }

  void check_range(const TValue& v, const KeySpec& s, double x) const {
    const bool below = s.min_open ? !(x > s.min) : !(x >= s.min);
    const bool above = s.max_open ? !(x < s.max) : !(x <= s.max);
    if (below || above) fail(v, file_, s.name(), "value " + num(x) + " is outside " + s.range_doc());
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// First line of a toml11 message, without its "[error] " prefix.
std::string first_line(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  const std::string prefix = "[error] ";
  if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
  return line;
}

TValue parse_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, 0, "", "cannot open case file (no such file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "", "cannot open case file");
  try {
    return toml::parse<toml::discard_comments, std::map, std::vector>(in, path);
  } catch (const toml::syntax_error& e) {
    const auto& loc = e.location();
    throw InputError(path, static_cast<int>(loc.line()), static_cast<int>(loc.column()), "",
                     "TOML syntax: " + first_line(e.what()));
  } catch (const std::exception& e) {
    throw InputError(path, 0, 0, "", std::string("cannot read case file: ") + first_line(e.what()));
  }
}

void apply_override(TValue& root, const Override& o) {
  const auto eq = o.text.find('=');
  const auto dot = o.text.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw InputError(override_origin, 0, 0, o.text, "expected --set section.key=value");
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  const std::string section = trim(o.text.substr(0, dot));
  const std::string key = trim(o.text.substr(dot + 1, eq - dot - 1));
  const std::string value = trim(o.text.substr(eq + 1));
  const KeySpec* spec = find_key(section, key);
  if (!spec) throw InputError(override_origin, 0, 0, section + "." + key, "unknown key");
  TValue parsed;
  try {
    std::istringstream in("v = " + value);
    parsed = toml::parse<toml::discard_comments, std::map, std::vector>(in, override_origin).as_table().at("v");
  } catch (const std::exception& e) {
    const bool stringy = spec->type == KeyType::string || spec->type == KeyType::expression;
    if (!stringy) throw InputError(override_origin, 0, 0, spec->name(), "value '" + value + "' is not valid TOML");
    // A bare word for a string key: quote it, so the value still carries its origin.
    std::string quoted = "v = \"";
    for (char ch : value) {
      if (ch == '"' || ch == '\\') quoted += '\\';
      quoted += ch;
    }
    std::istringstream in(quoted + "\"");
    parsed = toml::parse<toml::discard_comments, std::map, std::vector>(in, override_origin).as_table().at("v");
  }
  auto& table = root.as_table();
  if (!table.count(section) || !table.at(section).is_table()) table[section] = TValue(toml::table{});
  table.at(section).as_table()[key] = parsed;
}

// Column of `key` on the line of a value (the key itself is not located by toml11).
int key_column(const TValue& v, const std::string& key) {
  const std::string line = v.location().line_str();  // location() returns a temporary
  const auto pos = line.find(key);
  return pos == std::string::npos ? static_cast<int>(v.location().column()) : static_cast<int>(pos) + 1;
}

void reject_unknown(const TValue& root, const std::string& file) {
  struct Unknown {
    int line, column;
    std::string key;
    std::string message;
  };
  std::vector<Unknown> unknown;
  for (const auto& [section, table] : root.as_table()) {
    bool known_section = false;
    for (const auto& k : case_keys()) known_section = known_section || k.section == section;
    if (!known_section || !table.is_table()) {
      const Where w = where(table, file);
      unknown.push_back({w.line, w.column, section,
                         known_section ? "expected a table [" + section + "]" : "unknown section [" + section + "]"});
      continue;
    }
    for (const auto& [key, value] : table.as_table()) {
      if (find_key(section, key)) continue;
      const Where w = where(value, file);
      unknown.push_back({w.line, w.line > 0 ? key_column(value, key) : 0, section + "." + key, "unknown key"});
    }
  }
  if (unknown.empty()) return;
  std::sort(unknown.begin(), unknown.end(),
            [](const Unknown& a, const Unknown& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
  const auto& u = unknown.front();
  throw InputError(file, u.line, u.column, u.key, u.message);
}

// The JSON form of a resolved value, for the manifest.
Json to_json(const TValue& v) {
  switch (v.type()) {
    case toml::value_t::boolean:
      return Json(v.as_boolean());
    case toml::value_t::integer:
      return Json(static_cast<long>(v.as_integer()));
    case toml::value_t::floating:
      return Json(v.as_floating());
    case toml::value_t::string:
      return Json(v.as_string().str);
    case toml::value_t::array: {
      Json a = Json::array();
      for (const auto& e : v.as_array()) a.push(to_json(e));
      return a;
    }
    default:
      return Json(toml::format(v));
  }
}

}  // namespace

Case load_case(const std::string& path, const std::vector<Override>& overrides, Purpose purpose) {
  const bool for_study = purpose == Purpose::study;
  TValue root = parse_file(path);
  for (const auto& o : overrides) apply_override(root, o);
  reject_unknown(root, path);
  const Reader r(path);
  const auto& table = root.as_table();

  // Resolved value of every key: from the file (or --set), else the default.
  std::map<std::string, TValue> resolved;
  std::map<std::string, const KeySpec*> specs;
  auto present = [&](const KeySpec& s) -> const TValue* {
    auto sec = table.find(s.section);
    if (sec == table.end()) return nullptr;
    auto it = sec->second.as_table().find(s.key);
    return it == sec->second.as_table().end() ? nullptr : &it->second;
  };
  for (const auto& s : case_keys()) {
    specs[s.name()] = &s;
    if (const TValue* v = present(s)) {
      resolved[s.name()] = *v;
    } else if (!s.default_toml.empty()) {
      std::istringstream in("v = " + s.default_toml);
      resolved[s.name()] = toml::parse<toml::discard_comments, std::map, std::vector>(in, "default").as_table().at("v");
    } else if (s.required) {
      auto sec = table.find(s.section);
      const Where w = sec == table.end() ? Where{path, 0, 0} : where(sec->second, path);
      throw InputError(w.file, w.line, w.column, s.name(),
                       "missing required key '" + s.key + "' in [" + s.section + "]");
    }
  }
  auto val = [&](const std::string& name) -> const TValue& { return resolved.at(name); };
  auto sp = [&](const std::string& name) -> const KeySpec& { return *specs.at(name); };

  Case c;
  c.file = path;
  c.name = std::filesystem::path(path).stem().string();
  c.domain_kind = r.string(val("domain.kind"), sp("domain.kind"));
  const Domain domain = Domain::from_string(c.domain_kind);
  c.dim = static_cast<int>(r.integer(val("domain.dim"), sp("domain.dim")));
  c.density_expr = r.expression(val("density.expr"), sp("density.expr"));
  c.sampler = r.string(val("density.sampler"), sp("density.sampler"));
  c.n = r.integer(val("tokens.n"), sp("tokens.n"));
  c.seed = static_cast<std::uint64_t>(r.integer(val("tokens.seed"), sp("tokens.seed")));
  c.score = r.string(val("attention.score"), sp("attention.score"));
  c.dot_eps = r.real(val("attention.eps"), sp("attention.eps"));
  c.beta = r.real(val("attention.beta"), sp("attention.beta"));
  c.sigma = r.real(val("attention.sigma"), sp("attention.sigma"));
  c.normalization = r.string(val("attention.normalization"), sp("attention.normalization"));
  c.alpha = r.real(val("attention.alpha"), sp("attention.alpha"));
  c.sinkhorn_tol = r.real(val("attention.sinkhorn_tol"), sp("attention.sinkhorn_tol"));
  c.sinkhorn_max_iter =
      static_cast<int>(r.integer(val("attention.sinkhorn_max_iter"), sp("attention.sinkhorn_max_iter")));
  c.tau = r.real(val("attention.tau"), sp("attention.tau"));
  c.layers = static_cast<int>(r.integer(val("attention.layers"), sp("attention.layers")));
  c.depth = r.string(val("attention.depth"), sp("attention.depth"));
  c.transport = r.boolean(val("attention.transport"), sp("attention.transport"));
  c.precision = r.string(val("attention.precision"), sp("attention.precision"));
  c.kernel = r.string(val("attention.kernel"), sp("attention.kernel"));
  c.cutoff = r.real(val("attention.cutoff"), sp("attention.cutoff"));
  if (c.precision == "float32" && c.beta != 2.0)
    fail(val("attention.precision"), path, "attention.precision", "float32 attention needs beta = 2");
  c.ode_rtol = r.real(val("attention.ode_rtol"), sp("attention.ode_rtol"));
  c.ode_atol = r.real(val("attention.ode_atol"), sp("attention.ode_atol"));
  c.dt = r.real(val("pde.dt"), sp("pde.dt"));
  c.rtol = r.real(val("pde.rtol"), sp("pde.rtol"));
  c.atol = r.real(val("pde.atol"), sp("pde.atol"));
  c.pde_t_end = r.real(val("pde.t_end"), sp("pde.t_end"));
  c.pde_frames = static_cast<int>(r.integer(val("pde.frames"), sp("pde.frames")));
  c.study_n = r.integer_array(val("study.n"), sp("study.n"));
  c.study_sigma = r.real_array(val("study.sigma"), sp("study.sigma"));
  c.study_path = r.string(val("study.path"), sp("study.path"));
  c.study_path_scale = r.real(val("study.path_scale"), sp("study.path_scale"));
  c.study_seeds = static_cast<int>(r.integer(val("study.seeds"), sp("study.seeds")));
  c.study_time = r.real(val("study.time"), sp("study.time"));
  c.vtk = r.boolean(val("output.vtk"), sp("output.vtk"));
  c.every = static_cast<int>(r.integer(val("output.every"), sp("output.every")));

  // Dimension-dependent keys.
  if (const TValue* m = present(sp("attention.metric"))) {
    c.metric = r.matrix(*m, sp("attention.metric"), c.dim);
    if (auto defect = metric_defect(c.metric)) fail(*m, path, "attention.metric", *defect);
  } else {
    c.metric = Eigen::MatrixXd::Identity(c.dim, c.dim);
  }
  c.dot_B = Eigen::MatrixXd::Identity(c.dim, c.dim);
  if (const TValue* b = present(sp("attention.B"))) c.dot_B = r.matrix(*b, sp("attention.B"), c.dim);
  c.gauss_mean.assign(static_cast<std::size_t>(c.dim), 0.0);
  if (const TValue* m = present(sp("density.mean"))) {
    c.gauss_mean = r.real_array(*m, sp("density.mean"));
    if (static_cast<int>(c.gauss_mean.size()) != c.dim)
      fail(*m, path, "density.mean", "expected " + std::to_string(c.dim) + " entries (one per dimension)");
  }
  c.gauss_cov = Eigen::MatrixXd::Identity(c.dim, c.dim);
  if (const TValue* m = present(sp("density.cov"))) {
    c.gauss_cov = r.matrix(*m, sp("density.cov"), c.dim);
    if (auto defect = metric_defect(c.gauss_cov)) fail(*m, path, "density.cov", *defect);
  }
  // The whole space goes with the dot-product score and the probe (section 5).
  if (domain.kind == DomainKind::space && c.score != "dot")
    fail(val("domain.kind"), path, "domain.kind",
         "the whole space has no PDE grid; metric attention runs on the torus or in the box (use score = \"dot\" "
         "with attnpde probe here)");
  if (c.score == "dot" && domain.kind != DomainKind::space)
    fail(val("attention.score"), path, "attention.score",
         "dot-product attention is probed on a Gaussian token cloud: set domain.kind = \"space\"");
  if (c.score == "dot" && purpose != Purpose::probe)
    fail(val("attention.score"), path, "attention.score",
         "dot-product attention has no diffusion limit to compare with (THEORY.md section 5); use attnpde probe");
  // A scalar field, or a vector field as an array of expressions (one per component).
  if (const TValue* u0 = present(sp("initial.u0"))) {
    if (u0->is_array()) {
      const auto& arr = u0->as_array();
      if (arr.empty() || arr.size() > 64)
        fail(*u0, path, "initial.u0", "expected an expression or an array of 1 to 64 expressions");
      for (const auto& e : arr) c.u0.push_back(r.expression(e, sp("initial.u0")));
    } else {
      c.u0.push_back(r.expression(*u0, sp("initial.u0")));
    }
  } else if (purpose != Purpose::probe && !c.transport) {
    // Values are evolved by run, study and pde; the probe and token transport need none.
    auto sec = table.find("initial");
    const Where w = sec == table.end() ? Where{path, 0, 0} : where(sec->second, path);
    throw InputError(w.file, w.line, w.column, "initial.u0", "missing required key 'u0' in [initial]");
  } else {
    c.u0.push_back("0");
  }
  // The truncated kernel's search radius must stay below half the torus period.
  if (c.kernel == "truncated" && domain.periodic()) {
    double sigma_max = c.sigma;
    for (double sg : c.study_sigma) sigma_max = std::max(sigma_max, sg);
    const double lambda_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c.metric).eigenvalues().minCoeff();
    const double radius = c.cutoff * sigma_max / std::sqrt(lambda_min);
    if (!(radius < 0.5 * torus_period))
      fail(val("attention.cutoff"), path, "attention.cutoff",
           "the truncated kernel's search radius cutoff * sigma / sqrt(lambda_min(M)) = " + num(radius) +
               " reaches half the torus period; lower the cutoff or use kernel = \"dense\"");
  }
  // Node counts per direction: one entry per dimension, or `fallback` in every direction.
  auto nodes_per_direction = [&](const std::string& name, int fallback) {
    const TValue* g = present(sp(name));
    if (!g) return std::vector<int>(static_cast<std::size_t>(c.dim), fallback);
    const auto nodes = r.integer_array(*g, sp(name));
    if (static_cast<int>(nodes.size()) != c.dim)
      fail(*g, path, name,
           "expected " + std::to_string(c.dim) + " entries (one per dimension), got " + std::to_string(nodes.size()));
    return std::vector<int>(nodes.begin(), nodes.end());
  };
  const int default_pde_nodes = 64, default_probe_nodes = 16;
  c.grid = nodes_per_direction("pde.grid", default_pde_nodes);
  c.probe_grid = nodes_per_direction("probe.grid", default_probe_nodes);
  if (const TValue* f = present(sp("pde.metric_field"))) {
    if (purpose != Purpose::pde)
      fail(*f, path, "pde.metric_field",
           "a metric field applies to `attnpde pde` only (attention uses the constant M)");
    c.metric_field = r.expression_matrix(*f, sp("pde.metric_field"), c.dim);
    // SPD at every face of the grid, where the operator evaluates it.
    std::vector<Expression> g(c.metric_field.begin(), c.metric_field.end());
    const long total = static_cast<long>(c.grid[0]) * (c.dim > 1 ? c.grid[1] : 1) * (c.dim > 2 ? c.grid[2] : 1);
    for (long k = 0; k < total; ++k)
      for (int face = -1; face < c.dim; ++face) {
        double x[3] = {0, 0, 0};
        long rest = k;
        for (int d = 0; d < c.dim; ++d) {
          const int n = c.grid[static_cast<std::size_t>(d)];
          const double h = domain.length() / n;
          // Nodes as in discretization/grid.hpp: i h on the torus, (i + 1/2) h in the box.
          const double node = static_cast<double>(rest % n) + (domain.periodic() ? 0.0 : 0.5);
          x[d] = (node + (face == d ? 0.5 : 0.0)) * h;
          rest /= n;
        }
        Eigen::MatrixXd m(c.dim, c.dim);
        for (int a = 0; a < c.dim; ++a)
          for (int b = 0; b < c.dim; ++b) m(a, b) = g[static_cast<std::size_t>(a * c.dim + b)].at(x, c.dim);
        if (auto defect = metric_defect(m)) {
          std::ostringstream os;
          os << "G(x) at (";
          for (int d = 0; d < c.dim; ++d) os << (d ? ", " : "") << x[d];
          os << "): " << *defect;
          fail(*f, path, "pde.metric_field", os.str());
        }
      }
  }
  if (const TValue* f = present(sp("pde.drift"))) {
    if (purpose != Purpose::pde)
      fail(*f, path, "pde.drift", "an extra drift applies to `attnpde pde` only (attention has none)");
    c.drift = r.expression_array(*f, sp("pde.drift"), c.dim);
  }
  if (const TValue* d = present(sp("output.dir")))
    c.out_dir = r.string(*d, sp("output.dir"));
  else
    c.out_dir = "results/" + c.name;
  if (c.out_dir.empty()) fail(val("output.dir"), path, "output.dir", "must not be empty");

  // The density must be positive: L_gamma and the weight w = p^gamma need log p.
  if (domain.kind != DomainKind::space) {
    const Density p(c.density_expr, c.dim, domain);
    if (!(p.min_raw() > 0.0)) {
      std::ostringstream os;
      os << "density must be positive everywhere; at (";
      for (int d = 0; d < c.dim; ++d) os << (d ? ", " : "") << p.argmin()[d];
      os << ") it is " << p.min_raw();
      fail(val("density.expr"), path, "density.expr", os.str());
    }
    // The quasi sampler maps lattice points through CDFs integrated from the Fourier
    // series of p: a density the series does not resolve would be sampled wrongly.
    if (c.sampler == "quasi" && !p.is_uniform() && !domain.periodic())
      fail(val("density.sampler"), path, "density.sampler",
           "sampler = \"quasi\" needs a uniform density in the box (its inverse Rosenblatt map is periodic); "
           "use sampler = \"random\"");
    if (c.sampler == "quasi" && !p.is_uniform()) {
      const InverseRosenblatt map(p);
      const double max_tail = 1e-8;
      if (!(map.series_tail() <= max_tail)) {
        std::ostringstream os;
        os << "density is too rough for sampler = \"quasi\" (its Fourier series keeps " << map.series_tail()
           << " of the mean in the highest modes, more than " << max_tail
           << "); use a smoother density or sampler = \"random\"";
        fail(val("density.expr"), path, "density.expr", os.str());
      }
    }
  }

  if (c.transport && (for_study || c.depth == "continuous"))
    fail(val("attention.transport"), path, "attention.transport",
         for_study ? "token transport runs with `attnpde run`, not in a study"
                   : "token transport moves tokens layer by layer; it has no continuous depth");
  if (for_study) {
    if (c.study_n.empty()) {
      auto sec = table.find("study");
      const Where w = sec == table.end() ? Where{path, 0, 0} : where(sec->second, path);
      throw InputError(w.file, w.line, w.column, "study.n", "a study needs a non-empty list of token counts");
    }
    if (c.study_sigma.empty() && c.study_path != "optimal")
      fail(val("study.path"), path, "study.sigma", "a study needs sigma values or path = \"optimal\"");
  }

  if (c.every == 0) c.every = std::max(1, c.layers / 10);

  // Resolved case for the manifest (after dimension-dependent defaults).
  Json out = Json::object();
  std::string current;
  Json section = Json::object();
  for (const auto& s : case_keys()) {
    if (s.section != current) {
      if (!current.empty()) out.set(current, section);
      current = s.section;
      section = Json::object();
    }
    if (s.name() == "attention.metric") {
      Json m = Json::array();
      for (int a = 0; a < c.dim; ++a) {
        Json row = Json::array();
        for (int b = 0; b < c.dim; ++b) row.push(c.metric(a, b));
        m.push(row);
      }
      section.set(s.key, m);
    } else if (s.name() == "pde.grid" || s.name() == "probe.grid") {
      Json g = Json::array();
      for (int n : s.name() == "pde.grid" ? c.grid : c.probe_grid) g.push(n);
      section.set(s.key, g);
    } else if (s.name() == "output.dir") {
      section.set(s.key, c.out_dir);
    } else if (s.name() == "output.every") {
      section.set(s.key, c.every);
    } else if (resolved.count(s.name())) {
      section.set(s.key, to_json(resolved.at(s.name())));
    }
  }
  out.set(current, section);
  c.resolved = std::move(out);
  return c;
}

}  // namespace attnpde
