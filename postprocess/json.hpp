#pragma once
// A small JSON value tree for manifests and rate tables. Numbers are written with 17
// significant digits (exact round trip of float64); NaN and infinities become null.
// Object keys keep insertion order.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace attnpde {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  Json(double d) : v_(d) {}
  Json(int i) : v_(static_cast<std::int64_t>(i)) {}
  Json(long i) : v_(static_cast<std::int64_t>(i)) {}
  Json(long long i) : v_(static_cast<std::int64_t>(i)) {}
  Json(unsigned long i) : v_(static_cast<std::int64_t>(i)) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(Array a) : v_(std::move(a)) {}
  Json(Object o) : v_(std::move(o)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }
  /// Appends key/value to an object (the value must be an object).
  Json& set(const std::string& key, Json value);
  /// Appends to an array.
  Json& push(Json value);

  std::string dump(int indent = 2) const;

 private:
  void dump_to(std::string& out, int indent, int level) const;
  std::variant<std::nullptr_t, bool, double, std::int64_t, std::string, Array, Object> v_;
};

/// Float64 with 17 significant digits, as in CSV tables.
std::string format_double(double v);

}  // namespace attnpde
