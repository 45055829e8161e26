#include "postprocess/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

namespace attnpde {
namespace {

TEST(Json, SeventeenDigitsRoundTripAndNullForNaN) {
  const double v = 0.1 + 0.2;
  EXPECT_EQ(std::strtod(format_double(v).c_str(), nullptr), v);
  Json o = Json::object();
  o.set("a", v).set("b", std::nan("")).set("s", "q\"\n").set("n", 3);
  EXPECT_EQ(o.dump(0), "{\"a\": 0.30000000000000004,\"b\": null,\"s\": \"q\\\"\\n\",\"n\": 3}");
}

}  // namespace
}  // namespace attnpde
