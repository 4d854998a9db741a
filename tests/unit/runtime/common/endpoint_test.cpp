#include <doctest/doctest.h>

#include "runtime/common/endpoint.hpp"

using pact::parse_endpoint;

TEST_CASE("endpoints parse with and without scheme") {
  auto a = parse_endpoint("http://localhost:9443", "--endpoint");
  REQUIRE(a);
  CHECK_FALSE(a->tls);
  CHECK(a->host == "localhost");
  CHECK(a->port == 9443);
  auto b = parse_endpoint("https://journal-1.mgmt:9443/", "--endpoint");
  REQUIRE(b);
  CHECK(b->tls);
  CHECK(b->url() == "https://journal-1.mgmt:9443");
  auto c = parse_endpoint("0.0.0.0:0", "--listen");
  REQUIRE(c);
  CHECK(c->port == 0);
  auto d = parse_endpoint("[::1]:9445", "--listen");
  REQUIRE(d);
  CHECK(d->host == "::1");
  CHECK(d->url() == "http://[::1]:9445");
}

TEST_CASE("bad endpoints name the source and the problem") {
  auto a = parse_endpoint("ftp://x:1", "--endpoint");
  REQUIRE_FALSE(a);
  CHECK(a.err().message.find("--endpoint") == 0);
  CHECK(a.err().message.find("unknown scheme 'ftp'") != std::string::npos);
  auto b = parse_endpoint("localhost", "PACT_ENDPOINT");
  REQUIRE_FALSE(b);
  CHECK(b.err().message.find("missing port") != std::string::npos);
  CHECK_FALSE(parse_endpoint("localhost:99999", "x"));
  CHECK_FALSE(parse_endpoint("localhost:94a3", "x"));
  CHECK_FALSE(parse_endpoint(":9443", "x"));
  CHECK_FALSE(parse_endpoint("::1:9443", "x"));
}
