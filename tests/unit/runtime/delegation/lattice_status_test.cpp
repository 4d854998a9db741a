// lattice_status: what a failed lattice call means to an operator (issue
// 17 item 1: errors mapped to pact's exit codes with the endpoint named;
// no gRPC text shown).

#include <doctest/doctest.h>

#include "runtime/delegation/lattice_client.hpp"
#include "runtime/delegation/lattice_status.hpp"

using namespace pact::delegation;

namespace {

lattice_call_site site(std::string endpoint = "https://lat:50051") {
  lattice_call_site s;
  s.endpoint = std::move(endpoint);
  s.method = "NodeService/DrainNode";
  s.ca_bundle = "/etc/pact/ca.crt";
  return s;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("codes map to pact's exit codes, the endpoint named") {
  struct row {
    int code;
    int exit;
  };
  for (auto r : {row{14, 5}, row{4, 5}, row{8, 1}, row{16, 2}, row{7, 2},
                 row{5, 1}, row{9, 4}, row{10, 4}, row{6, 4}, row{3, 1},
                 row{12, 1}, row{13, 1}, row{2, 1}, row{1, 1}}) {
    auto f = map_lattice_status(r.code, "x", site());
    INFO(grpc_code_name(r.code) << ": " << f.message);
    CHECK(f.exit_code == r.exit);
    CHECK(has(f.message, "lattice at https://lat:50051"));
    CHECK(f.code == grpc_code_name(r.code));
  }
}

TEST_CASE("gRPC's own text is not shown; lattice's is, made safe") {
  auto lib = "failed to connect to all addresses; last error: UNKNOWN: "
             "ipv4:127.0.0.1:1: Failed to connect to remote host: "
             "Connection refused";
  auto f = map_lattice_status(14, lib, site());
  CHECK(f.message
        == "lattice at https://lat:50051 is unreachable "
           "(connection refused)");
  auto tls = map_lattice_status(
    14,
    "Ssl handshake failed: SSL_ERROR_SSL: error:1000007d:SSL "
    "routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
    site());
  CHECK(tls.exit_code == 2);
  CHECK(has(tls.message, "does not verify"));
  CHECK(has(tls.message, "CA bundle /etc/pact/ca.crt"));
  CHECK_FALSE(has(tls.message, "SSL_ERROR"));
  for (int hidden : {1, 2, 13, 15, 4})
    CHECK_FALSE(
      has(map_lattice_status(hidden, "Stream removed", site()).message,
          "Stream removed"));
  auto pre = map_lattice_status(
    9, "Cannot undrain node in state Draining\x1b[31m", site());
  CHECK(has(pre.message, "Cannot undrain node in state Draining"));
  CHECK_FALSE(has(pre.message, "\x1b"));
  CHECK(map_lattice_status(9, std::string(1000, 'a'), site()).message.size()
        < 500);
}

TEST_CASE("resource limits: lattice's rate limit is retried, gRPC's are "
          "not") {
  CHECK(map_lattice_status(8, "rate limit exceeded; retry after 3s", site())
          .exit_code
        == 5);
  auto big = map_lattice_status(
    8, "Received message larger than max (5000490 vs. 4194304)", site());
  CHECK(big.exit_code == 1);
  CHECK_FALSE(has(big.message, "Received message"));
  CHECK(has(big.message, "narrow the query"));
  CHECK(has(map_lattice_status(
              8, "received initial metadata size exceeds limit", site())
              .message,
            "token"));
}

TEST_CASE("lattice's own INTERNAL errors keep their words; gRPC's do not") {
  auto own = map_lattice_status(
    13, "Internal error: Invalid node transition from Ready to Ready", site());
  CHECK(has(own.message, "refused NodeService/DrainNode: Internal error: "
                         "Invalid node transition"));
  auto lib = map_lattice_status(13, "Received RST_STREAM with code 2", site());
  CHECK_FALSE(has(lib.message, "RST_STREAM"));
}

TEST_CASE("a call that may have arrived has an unknown outcome") {
  CHECK(map_lattice_status(4, "Deadline Exceeded", site()).outcome_unknown);
  CHECK(map_lattice_status(14, "Socket closed", site()).outcome_unknown);
  CHECK_FALSE(
    map_lattice_status(14, "failed to connect; Connection refused", site())
      .outcome_unknown);
  CHECK_FALSE(map_lattice_status(9, "no", site()).outcome_unknown);
  auto half = site();
  half.deadline_ms = 1500;
  CHECK(has(map_lattice_status(4, "x", half).message, "within 1.5 s"));
}

TEST_CASE("the advice names where the token came from") {
  auto s = site();
  CHECK(
    has(map_lattice_status(16, "bad", s).message, "set PACT_LATTICE_TOKEN"));
  s.token_from_env = true;
  CHECK(
    has(map_lattice_status(16, "bad", s).message, "check PACT_LATTICE_TOKEN"));
  auto plain = map_lattice_status(14, "Socket closed", site("http://lat:1"));
  CHECK_FALSE(has(plain.message, "give its endpoint as http://"));
}

TEST_CASE("endpoints must name a host and a port") {
  CHECK(check_lattice_endpoint("https://lat:50051").empty());
  CHECK(check_lattice_endpoint("http://10.0.0.1:50051").empty());
  CHECK(check_lattice_endpoint("lat:50051").empty());
  CHECK_FALSE(check_lattice_endpoint("grpc://lat:50051").empty());
  CHECK_FALSE(check_lattice_endpoint("https://lat").empty());
  CHECK_FALSE(check_lattice_endpoint("https://lat:50051/api").empty());
  CHECK_FALSE(check_lattice_endpoint("https://lat:port").empty());
  CHECK(check_lattice_endpoint("[::1]:50051").empty());
  CHECK(check_lattice_endpoint("HTTPS://lat:1").empty());
  // What gRPC would read as a resolver, an address list or a user.
  for (const char* bad :
       {"http://user:pw@127.0.0.1:1", "ipv4:127.0.0.1:1", "dns:lat:1",
        "http://127.0.0.1:1,127.0.0.1:2", "http://%31.0.0.1:1",
        "http://127.0.0.1:99999", "http://::1:50051", "http://[127.0.0.1]:1",
        "unix-abstract:foo:1"})
    CHECK_MESSAGE(!check_lattice_endpoint(bad).empty(), bad);
}
