#include "postprocess/json.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace attnpde {

std::string format_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Json& Json::set(const std::string& key, Json value) {
  auto* o = std::get_if<Object>(&v_);
  if (!o) throw std::logic_error("Json::set on a non-object");
  o->emplace_back(key, std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  auto* a = std::get_if<Array>(&v_);
  if (!a) throw std::logic_error("Json::push on a non-array");
  a->push_back(std::move(value));
  return *this;
}

namespace {
void escape(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}
}  // namespace

void Json::dump_to(std::string& out, int indent, int level) const {
  const std::string pad(static_cast<std::size_t>(indent * (level + 1)), ' ');
  const std::string pad_end(static_cast<std::size_t>(indent * level), ' ');
  const char* nl = indent > 0 ? "\n" : "";
  if (std::holds_alternative<std::nullptr_t>(v_)) {
    out += "null";
  } else if (auto* b = std::get_if<bool>(&v_)) {
    out += *b ? "true" : "false";
  } else if (auto* d = std::get_if<double>(&v_)) {
    out += std::isfinite(*d) ? format_double(*d) : "null";
  } else if (auto* i = std::get_if<std::int64_t>(&v_)) {
    out += std::to_string(*i);
  } else if (auto* s = std::get_if<std::string>(&v_)) {
    escape(out, *s);
  } else if (auto* a = std::get_if<Array>(&v_)) {
    bool scalars = true;
    for (const auto& e : *a)
      if (std::holds_alternative<Array>(e.v_) || std::holds_alternative<Object>(e.v_)) scalars = false;
    out += '[';
    for (std::size_t k = 0; k < a->size(); ++k) {
      if (k) out += scalars ? ", " : ",";
      if (!scalars) out += nl + pad;
      (*a)[k].dump_to(out, indent, level + 1);
    }
    if (!scalars && !a->empty()) out += nl + pad_end;
    out += ']';
  } else if (auto* o = std::get_if<Object>(&v_)) {
    out += '{';
    for (std::size_t k = 0; k < o->size(); ++k) {
      if (k) out += ',';
      out += nl + pad;
      escape(out, (*o)[k].first);
      out += ": ";
      (*o)[k].second.dump_to(out, indent, level + 1);
    }
    if (!o->empty()) out += nl + pad_end;
    out += '}';
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

}  // namespace attnpde
