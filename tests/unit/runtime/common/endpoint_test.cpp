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

TEST_CASE("endpoint schemes are case-insensitive; paths and users are named") {
  auto a = parse_endpoint("HTTPS://j1:9443", "--endpoint");
  REQUIRE(a);
  CHECK(a->tls);
  for (auto text :
       {"http://j1:9443/foo", "http://j1:9443?x=1", "http://j1:9443#f"}) {
    auto e = parse_endpoint(text, "--endpoint");
    REQUIRE_FALSE(e);
    CHECK(e.err().message.find("a path, query or fragment is not allowed")
          != std::string::npos);
  }
  auto u = parse_endpoint("http://user@127.0.0.1:9443", "--endpoint");
  REQUIRE_FALSE(u);
  CHECK(u.err().message.find("user information") != std::string::npos);
}

#include "runtime/common/http.hpp"

TEST_CASE("http request heads parse; bad ones are rejected") {
  using namespace pact::http;
  auto partial = parse_request("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  CHECK(partial.status == parse_status::incomplete);
  auto ok = parse_request("GET /health?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(ok.status == parse_status::complete);
  CHECK(ok.req.method == "GET");
  CHECK(ok.req.path == "/health");
  CHECK(ok.req.query == "verbose=1");
  CHECK(parse_request("garbage\r\n\r\n").status == parse_status::bad);
  CHECK(parse_request("GET metrics HTTP/1.1\r\n\r\n").status
        == parse_status::bad);
  CHECK(parse_request(std::string(max_head_bytes + 1, 'a')).status
        == parse_status::bad);
  auto r = response(200, "text/plain", "hi");
  CHECK(r.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(r.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(r.substr(r.size() - 2) == "hi");
  CHECK(response(404, "text/plain", "nope", true).find("nope")
        == std::string::npos);
}
