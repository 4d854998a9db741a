#include "runtime/policy/base64url.hpp"

#include <doctest/doctest.h>

#include <string>

using pact::policy::base64url_decode;
using pact::policy::base64url_encode;

TEST_CASE("base64url encodes the RFC 4648 test vectors without padding") {
  CHECK(base64url_encode("") == "");
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  CHECK(base64url_encode("fooba") == "Zm9vYmE");
  CHECK(base64url_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url uses - and _ instead of + and /") {
  // Standard base64 of 0xfb 0xff is "+/8=".
  CHECK(base64url_encode(std::string("\xfb\xff")) == "-_8");
  auto decoded = base64url_decode("-_8");
  REQUIRE(decoded);
  CHECK(*decoded == std::string("\xfb\xff"));
}

TEST_CASE("base64url decodes what it encodes, for every byte value") {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 1) {
    auto input = all.substr(all.size() - len);
    auto decoded = base64url_decode(base64url_encode(input));
    REQUIRE(decoded);
    CHECK(*decoded == input);
  }
}

TEST_CASE("base64url decoding rejects anything but canonical input") {
  CHECK_FALSE(base64url_decode("Zm9v="));  // padding
  CHECK_FALSE(base64url_decode("Zg=="));   // padding
  CHECK_FALSE(base64url_decode("Zm+v"));   // standard alphabet
  CHECK_FALSE(base64url_decode("Zm/v"));   // standard alphabet
  CHECK_FALSE(base64url_decode("Zm9 v"));  // whitespace
  CHECK_FALSE(base64url_decode("Zm9v\n")); // newline
  CHECK_FALSE(base64url_decode("Zm9.v"));  // dot
  CHECK_FALSE(base64url_decode("Z"));      // dangling sextet
  CHECK_FALSE(base64url_decode("Zm9vY"));  // dangling sextet
  CHECK_FALSE(base64url_decode("Zh"));     // non-zero unused bits
  CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  CHECK(base64url_decode("") == std::string());
}
