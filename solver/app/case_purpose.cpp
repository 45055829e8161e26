// What a case file is for, read from its TOML before it is validated for a command
// (`attnpde check` without --for, and the cases of `attnpde verify`), and which exact
// transport reference a validated case has.
#include <map>
#include <string>

#include "solver/app/case.hpp"
#include "solver/app/case_reader.hpp"

namespace attnpde {

using namespace case_input;

Purpose verify_command_of(const std::string& path) {
  const TValue root = parse_file(path);
  const auto& table = root.as_table();
  auto sec = table.find("verify");
  if (sec == table.end() || !sec->second.is_table()) return Purpose::study;
  auto it = sec->second.as_table().find("command");
  if (it == sec->second.as_table().end()) return Purpose::study;
  const std::string command = Reader(path).string(it->second, *find_key("verify", "command"));
  return command == "probe" ? Purpose::probe : command == "run" ? Purpose::run : Purpose::study;
}

Purpose infer_purpose(const std::string& path, std::string& reason) {
  const TValue root = parse_file(path);
  const auto& table = root.as_table();
  auto has_key = [&](const std::string& section, const std::string& k) {
    auto sec = table.find(section);
    return sec != table.end() && sec->second.is_table() && sec->second.as_table().count(k) > 0;
  };
  if (table.count("learn") && table.at("learn").is_table()) {
    reason = "it has a [learn] table";
    return Purpose::learn;
  }
  if (has_key("study", "n")) {
    reason = "it has [study] token counts";
    return Purpose::study;
  }
  auto has_section = [&](const std::string& section) {
    auto sec = table.find(section);
    return sec != table.end() && sec->second.is_table() && !sec->second.as_table().empty();
  };
  if (has_section("spectrum")) {
    reason = "it has a [spectrum] table and no [study] token counts";
    return Purpose::spectrum;
  }
  // The dot score in the whole space is probed, unless the case has values to evolve and no
  // [probe] table (then `run` applies the layers); on the sphere it is metric attention.
  const bool on_sphere = has_key("domain", "kind") && table.at("domain").as_table().at("kind").is_string() &&
                         table.at("domain").as_table().at("kind").as_string().str == "sphere";
  if (has_key("attention", "score") && table.at("attention").as_table().at("score").is_string() &&
      table.at("attention").as_table().at("score").as_string().str == "dot" && !on_sphere &&
      (has_section("probe") || !has_key("initial", "u0"))) {
    reason = "its score is the dot product (no values to evolve, or a [probe] table)";
    return Purpose::probe;
  }
  if (has_key("pde", "metric_field") || has_key("pde", "drift") || !has_key("tokens", "n")) {
    reason = has_key("tokens", "n") ? "it sets pde-only keys" : "it has no tokens.n";
    return Purpose::pde;
  }
  reason = "it has tokens and no [study] table";
  return Purpose::run;
}

TransportReference transport_reference(const Case& c) {
  if (c.transport == Transport::none) return TransportReference::none;
  // The attention row of a Gaussian cloud is a product of Gaussians only for the plain
  // softmax of the squared distance.
  if (c.domain.kind == DomainKind::space)
    return c.normalization.kind == NormalizationKind::softmax && c.beta == 2.0 && c.score == Score::metric
               ? TransportReference::gaussian
               : TransportReference::none;
  if (c.transport == Transport::repel && c.domain.periodic()) return TransportReference::heat;
  return TransportReference::none;
}

}  // namespace attnpde
