// The tables of a case that belong to one command each: [verify] (`attnpde verify`) and
// [learn] (`attnpde learn`), read into the Case by load_case (solver/app/case.cpp).
#include "attention/metric.hpp"
#include "solver/app/case_reader.hpp"

namespace attnpde::case_input {

void read_verify(Case& c, const Resolved& r, const Reader& rd) {
  auto val = [&](const std::string& name) -> const TValue& { return r.values.at(name); };
  if (const TValue* t = r.present(key("verify.target"))) c.verify_target = rd.string(*t, key("verify.target"));
  c.verify_title = c.name;
  if (const TValue* t = r.present(key("verify.title"))) c.verify_title = rd.string(*t, key("verify.title"));
  const std::string command = rd.string(val("verify.command"), key("verify.command"));
  c.verify_command = command == "probe" ? Purpose::probe : command == "run" ? Purpose::run : Purpose::study;
  c.verify_gamma = command == "gamma";
  const TValue& fits = val("verify.fits");
  if (!fits.is_array()) fail(fits, r.path, "verify.fits", "expected an array of fit names");
  for (const auto& f : fits.as_array()) c.verify_fits.push_back(rd.string(f, key("verify.fits")));
  c.verify_max_error = rd.real(val("verify.max_error"), key("verify.max_error"));
  c.verify_full = rd.boolean(val("verify.full"), key("verify.full"));
  c.verify_conformal = rd.string(val("verify.reference"), key("verify.reference")) == "conformal";
  if (c.verify_conformal &&
      (c.dim != 3 || c.normalization.kind != NormalizationKind::softmax || c.domain.kind == DomainKind::space))
    fail(val("verify.reference"), r.path, "verify.reference",
         "the conformal form holds in 3D for softmax (gamma = 2) on the torus or in the box");
}

void read_learn(Case& c, const Resolved& r, const Reader& rd) {
  auto integer = [&](const char* name) { return static_cast<int>(rd.integer(r.values.at(name), key(name))); };
  LearnSettings& l = c.learn;
  l.fields = integer("learn.fields");
  l.heldout = integer("learn.heldout");
  l.snapshots = integer("learn.snapshots");
  l.modes = integer("learn.modes");
  l.seeds = integer("learn.seeds");
  l.noise = rd.real_array(r.values.at("learn.noise"), key("learn.noise"));
  const std::string models = rd.string(r.values.at("learn.models"), key("learn.models"));
  l.metric_model = models != "dot";
  l.dot_model = models != "metric";
  l.optimizer.kind = rd.choice<OptimizerKind>(r.values.at("learn.optimizer"), key("learn.optimizer"));
  l.optimizer.evaluations = integer("learn.evaluations");
  l.optimizer.rate = rd.real(r.values.at("learn.rate"), key("learn.rate"));
  l.optimizer.tolerance = rd.real(r.values.at("learn.tolerance"), key("learn.tolerance"));
  l.dot_rank = 2 * c.dim;
  if (const TValue* v = r.present(key("learn.dot_rank")))
    l.dot_rank = static_cast<int>(rd.integer(*v, key("learn.dot_rank")));
  l.initial = Eigen::MatrixXd::Identity(c.dim, c.dim);
  if (const TValue* m = r.present(key("learn.initial"))) {
    l.initial = rd.matrix(*m, key("learn.initial"), c.dim);
    if (auto defect = metric_defect(l.initial)) fail(*m, c.file, "learn.initial", *defect);
  }
  if (l.noise.empty()) fail(r.values.at("learn.noise"), c.file, "learn.noise", "needs at least one noise level");
}

}  // namespace attnpde::case_input
