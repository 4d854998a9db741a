// CSRs (pki.hpp: make_csr, parse_csr) and a cross-check of pact's output
// with the openssl command-line tool.

#include "runtime/pki/pki.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

#include "tests/unit/runtime/pki/test_pki.hpp"

using namespace pact::pki;
using namespace pact::pki::testing;

namespace {

std::string csr_error(const std::string& pem) {
  auto r = parse_csr(pem);
  CHECK(queue_empty());
  return r ? std::string("(parsed)") : r.error().message;
}

std::string key_of_type(const char* type, const char* param) {
  EVP_PKEY* key = nullptr;
  if (std::string(type) == "RSA")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                            static_cast<size_t>(std::atoi(param)));
  else
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", param);
  REQUIRE(key != nullptr);
  auto pem = key_pem_of(key);
  EVP_PKEY_free(key);
  return pem;
}

} // namespace

TEST_CASE("a CSR made by make_csr parses back") {
  auto key = must(generate_key());
  auto pem = must(make_csr(key, "node-1"));
  CHECK(pem.rfind("-----BEGIN CERTIFICATE REQUEST-----", 0) == 0);
  auto csr = parse_csr(pem);
  REQUIRE(csr);
  CHECK(csr->common_name == "node-1");
  CHECK(csr->sha256_hex.size() == 64);
  CHECK(csr->public_key_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  // Same bytes, same id; a new signature (ECDSA is randomized), a new id.
  CHECK(parse_csr(pem)->sha256_hex == csr->sha256_hex);
  CHECK(parse_csr(must(make_csr(key, "node-1")))->sha256_hex
        != csr->sha256_hex);
  CHECK(queue_empty());
}

TEST_CASE("make_csr refuses names a certificate cannot carry") {
  auto key = must(generate_key());
  CHECK_FALSE(make_csr(key, ""));
  CHECK_FALSE(make_csr(key, std::string(65, 'n')));
  CHECK(make_csr(key, std::string(64, 'n')));
  auto garbage = make_csr("garbage", "node-1");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message == "malformed key");
  CHECK(queue_empty());
}

TEST_CASE("parse_csr refuses what is not exactly one good request") {
  auto key = must(generate_key());
  auto good = must(make_csr(key, "node-1"));
  CHECK(csr_error("garbage") == "malformed CSR: no PEM block");
  CHECK(csr_error("") == "malformed CSR: no PEM block");
  CHECK(csr_error(test_ca().cert_pem)
        == "malformed CSR: PEM block is not a CERTIFICATE REQUEST");
  CHECK(csr_error(good + good) == "malformed CSR: more than one PEM block");
  CHECK(csr_error(good + test_ca().cert_pem)
        == "malformed CSR: PEM block is not a CERTIFICATE REQUEST");
  CHECK(csr_error(flip_last_byte(good)) == "malformed CSR: bad signature");
  CHECK(csr_error(pem_of("CERTIFICATE REQUEST", "\x30\x03\x02\x01\x00"))
        == "malformed CSR: not a PKCS#10 request");
  CHECK(csr_error(std::string(70 * 1024, 'a'))
        == "malformed CSR: larger than 64 KiB");
}

TEST_CASE("parse_csr wants exactly one common name of 1 to 64 bytes") {
  auto key = must(generate_key());
  CHECK(csr_error(raw_csr(key, {{NID_organizationName, "pact"}}))
        == "malformed CSR: subject needs exactly one common name");
  CHECK(csr_error(raw_csr(key, {{NID_commonName, "a"}, {NID_commonName, "b"}}))
        == "malformed CSR: subject needs exactly one common name");
  CHECK(csr_error(raw_csr(key, {{NID_commonName, std::string(65, 'x')}}))
        == "malformed CSR: common name longer than 64 bytes");
  CHECK(csr_error(raw_csr(key, {{NID_commonName, std::string("a\0b", 3)}}))
        == "malformed CSR: subject needs exactly one common name");
  auto extra = parse_csr(
    raw_csr(key, {{NID_organizationName, "pact"}, {NID_commonName, "node-9"}}));
  REQUIRE(extra);
  CHECK(extra->common_name == "node-9");
}

TEST_CASE("parse_csr accepts P-256 and RSA >= 2048 keys only") {
  CHECK(csr_error(must(make_csr(key_of_type("EC", "P-384"), "n")))
        == "malformed CSR: EC key not on P-256");
  CHECK(csr_error(must(make_csr(key_of_type("RSA", "1024"), "n")))
        == "malformed CSR: RSA key shorter than 2048 bits");
  auto rsa = parse_csr(must(make_csr(key_of_type("RSA", "2048"), "node-r")));
  REQUIRE(rsa);
  CHECK(rsa->common_name == "node-r");
  CHECK(queue_empty());
}

TEST_CASE("the openssl tool accepts pact's CSRs and certificates") {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    MESSAGE("openssl binary not found: cross-check skipped");
    return;
  }
  char dir_template[] = "/tmp/pact_pki_test_XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string dir = dir_template;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  auto key = must(generate_key());
  auto csr = must(make_csr(key, "node-x"));
  auto ca = write("ca.pem", test_ca().cert_pem);
  auto req = write("csr.pem", csr);
  auto node = write("node.pem", must(sign_node_cert(test_ca(), csr, now, day)));
  auto server = write(
    "server.pem", must(sign_server_cert(test_ca(), key,
                                        {"localhost", "127.0.0.1"}, now, day)));
  auto bad = write("bad.pem", flip_last_byte(csr));
  auto run = [](const std::string& cmd) {
    return std::system((cmd + " >/dev/null 2>&1").c_str());
  };
  std::string at = " -attime " + std::to_string(now) + " ";
  // OpenSSL 3.0's `req -verify` exits 0 even on a bad signature: read
  // its verdict instead.
  auto req_ok = [&](const std::string& file) {
    return run("openssl req -noout -verify -in " + file
               + " 2>&1 | grep -q 'verify OK'")
           == 0;
  };
  CHECK(req_ok(req));
  CHECK_FALSE(req_ok(bad));
  CHECK(run("openssl verify" + at + "-CAfile " + ca + " " + node) == 0);
  CHECK(
    run("openssl verify" + at + "-purpose sslclient -CAfile " + ca + " " + node)
    == 0);
  CHECK(
    run("openssl verify" + at + "-purpose sslserver -CAfile " + ca + " " + node)
    == 0);
  CHECK(run("openssl verify" + at + "-purpose sslserver -CAfile " + ca + " "
            + server)
        == 0);
  CHECK(run("openssl verify -attime " + std::to_string(now + 2 * day)
            + " -CAfile " + ca + " " + node)
        != 0);
  CHECK(run("openssl x509 -noout -checkhost node-x -in " + node
            + " | grep -q 'does match'")
        == 0);
  CHECK(run("rm -rf " + dir) == 0);
}
