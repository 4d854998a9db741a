// Keys, the CA, node and server certificates, verification (pki.hpp).

#include "runtime/pki/pki.hpp"

#include <doctest/doctest.h>

#include <openssl/x509v3.h>

#include "tests/unit/runtime/pki/test_pki.hpp"

using namespace pact::pki;
using namespace pact::pki::testing;

namespace {

struct cert_handle {
  explicit cert_handle(const std::string& pem) : x(load_cert(pem)) {
    REQUIRE(x != nullptr);
  }
  ~cert_handle() {
    X509_free(x);
  }
  cert_handle(const cert_handle&) = delete;
  cert_handle& operator=(const cert_handle&) = delete;
  X509* x;
};

bool critical(X509* cert, int nid) {
  int idx = X509_get_ext_by_NID(cert, nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) == 1;
}

std::string verify_error(const std::string& cert, const std::string& bundle,
                         int64_t at) {
  auto r = verify_cert(cert, bundle, at);
  CHECK(queue_empty());
  return r ? std::string("(verified)") : r.error().message;
}

} // namespace

TEST_CASE("generate_key makes distinct unencrypted PKCS#8 P-256 keys") {
  auto a = must(generate_key());
  auto b = must(generate_key());
  CHECK(a.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(a != b);
  EVP_PKEY* key = load_key(a);
  REQUIRE(key != nullptr);
  CHECK(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC);
  CHECK(EVP_PKEY_get_bits(key) == 256);
  EVP_PKEY_free(key);
  CHECK(queue_empty());
}

TEST_CASE("a CA certificate is a critical CA:TRUE signer for its window") {
  const auto& ca = test_ca();
  auto info = parse_cert(ca.cert_pem);
  REQUIRE(info);
  CHECK(info->common_name == "pact test CA");
  CHECK(info->is_ca);
  CHECK(info->not_before_unix_s == now - 300);
  CHECK(info->not_after_unix_s == now + 3650 * day);
  CHECK(info->sha256_hex.size() == 64);
  CHECK(key_matches_cert(ca.key_pem, ca.cert_pem));
  cert_handle c(ca.cert_pem);
  CHECK(critical(c.x, NID_basic_constraints));
  CHECK(critical(c.x, NID_key_usage));
  CHECK(X509_get_key_usage(c.x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(X509_get_version(c.x) == X509_VERSION_3);
  // Self-signed: subject and issuer agree and the signature checks out.
  CHECK(X509_check_issued(c.x, c.x) == X509_V_OK);
  CHECK(queue_empty());
}

TEST_CASE("make_ca_cert refuses bad names and windows in pact's words") {
  auto key = must(generate_key());
  auto empty = make_ca_cert(key, "", now, day);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message == "empty common name");
  auto longer = make_ca_cert(key, std::string(65, 'a'), now, day);
  REQUIRE_FALSE(longer);
  CHECK(longer.error().message == "common name longer than 64 bytes");
  auto zero = make_ca_cert(key, "CA", now, 0);
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "validity must be positive");
  auto far = make_ca_cert(key, "CA", now, INT64_MAX - 10);
  REQUIRE_FALSE(far);
  CHECK(far.error().message == "validity out of range");
  auto garbage = make_ca_cert("not a key", "CA", now, day);
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message == "malformed CA key");
  CHECK(queue_empty());
}

TEST_CASE("CA -> CSR -> node certificate -> verify round trip") {
  auto key = must(generate_key());
  auto csr_pem = must(make_csr(key, "node-17"));
  auto csr = parse_csr(csr_pem);
  REQUIRE(csr);
  auto cert_pem = must(sign_node_cert(test_ca(), csr_pem, now, 7 * day));

  auto info = parse_cert(cert_pem);
  REQUIRE(info);
  CHECK(info->common_name == "node-17");
  CHECK(info->alt_names == std::vector<std::string>{"node-17"});
  CHECK(info->not_before_unix_s == now - 300);
  CHECK(info->not_after_unix_s == now + 7 * day);
  CHECK_FALSE(info->is_ca);

  auto verified = verify_cert(cert_pem, test_ca().cert_pem, now);
  REQUIRE_MESSAGE(verified, (verified ? "" : verified.error().message));
  CHECK(verified->sha256_hex == info->sha256_hex);
  CHECK(verified->serial_hex == info->serial_hex);
  CHECK(key_matches_cert(key, cert_pem));
  CHECK_FALSE(key_matches_cert(must(generate_key()), cert_pem));

  cert_handle c(cert_pem);
  CHECK(X509_get_extended_key_usage(c.x) == (XKU_SSL_CLIENT | XKU_SSL_SERVER));
  CHECK(X509_get_key_usage(c.x) == KU_DIGITAL_SIGNATURE);
  CHECK(critical(c.x, NID_key_usage));
  CHECK(X509_check_host(c.x, "node-17", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(c.x, "node-18", 0, 0, nullptr) == 0);
  // The certificate carries the CSR's key, not a key of the CA's choosing.
  auto pub_pem = csr->public_key_pem;
  BIO* bio = BIO_new_mem_buf(pub_pem.data(), static_cast<int>(pub_pem.size()));
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pub != nullptr);
  CHECK(EVP_PKEY_eq(pub, X509_get0_pubkey(c.x)) == 1);
  EVP_PKEY_free(pub);
  CHECK(queue_empty());
}

TEST_CASE("serials are random, positive, lower-case hex without zeros ahead") {
  auto key = must(generate_key());
  auto csr = must(make_csr(key, "node-1"));
  auto a = parse_cert(must(sign_node_cert(test_ca(), csr, now, day)));
  auto b = parse_cert(must(sign_node_cert(test_ca(), csr, now, day)));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->serial_hex != b->serial_hex);
  CHECK(a->sha256_hex != b->sha256_hex);
  for (const auto& s : {a->serial_hex, b->serial_hex}) {
    CHECK(!s.empty());
    CHECK(s.size() <= 32);
    CHECK(s[0] != '0');
    CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("verify_cert refuses expired, early, foreign and tampered certs") {
  auto node = enroll("node-1", test_ca(), hour);
  const auto& bundle = test_ca().cert_pem;
  CHECK(verify_error(node.cert_pem, bundle, now + hour - 1) == "(verified)");
  CHECK(verify_error(node.cert_pem, bundle, now + hour + 1)
        == "certificate verify failed: certificate has expired");
  // Early for the node only: the test CA itself starts at now - 5 min too.
  auto older_ca = must(make_ca("older CA", now - day, 3650 * day));
  auto early = enroll("node-1", older_ca, hour);
  CHECK(verify_error(early.cert_pem, older_ca.cert_pem, now - 301)
        == "certificate verify failed: certificate is not yet valid");
  CHECK(verify_error(node.cert_pem, bundle, now - 301)
        == "certificate verify failed: CA certificate is not yet valid");
  CHECK(verify_error(node.cert_pem, other_ca().cert_pem, now)
        == "certificate verify failed: unknown issuer");
  CHECK(verify_error(flip_last_byte(node.cert_pem), bundle, now)
        == "certificate verify failed: bad signature");
  CHECK(verify_error("garbage", bundle, now) == "malformed certificate");
  CHECK(verify_error(node.cert_pem, "", now)
        == "certificate verify failed: no CA certificate in the bundle");
  CHECK(verify_error(node.cert_pem, bundle.substr(0, bundle.size() / 2), now)
        == "certificate verify failed: malformed CA bundle");
  // A bundle of several CAs: any one of them may be the issuer.
  CHECK(verify_error(node.cert_pem, other_ca().cert_pem + bundle, now)
        == "(verified)");
  // A certificate in the bundle is not thereby issued by a CA of it.
  CHECK(verify_error(node.cert_pem, node.cert_pem, now)
        == "certificate verify failed: unknown issuer");
}

TEST_CASE("verify_cert names an expired CA as the CA") {
  auto short_ca = must(make_ca("short-lived CA", now, hour));
  auto node = enroll("node-1", short_ca, day);
  CHECK(verify_error(node.cert_pem, short_ca.cert_pem, now + 2 * hour)
        == "certificate verify failed: CA certificate has expired");
}

TEST_CASE("sign_node_cert checks the CA and the CSR's name") {
  auto key = must(generate_key());
  auto csr = must(make_csr(key, "node-1"));
  auto mismatched = key_and_cert{other_ca().key_pem, test_ca().cert_pem};
  auto r1 = sign_node_cert(mismatched, csr, now, day);
  REQUIRE_FALSE(r1);
  CHECK(r1.error().message == "CA key does not match the CA certificate");
  auto node = enroll("node-2");
  auto r2 = sign_node_cert(node, csr, now, day);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().message.find("is not a CA") != std::string::npos);
  auto r3 = sign_node_cert(test_ca(), must(make_csr(key, "node 1,DNS:x")), now,
                           day);
  REQUIRE_FALSE(r3);
  CHECK(r3.error().message.rfind("malformed CSR: common name is not a host", 0)
        == 0);
  auto r4 = sign_node_cert(test_ca(), "garbage", now, day);
  REQUIRE_FALSE(r4);
  CHECK(r4.error().message == "malformed CSR: no PEM block");
  auto r5 = sign_node_cert(test_ca(), csr, now, -1);
  REQUIRE_FALSE(r5);
  CHECK(r5.error().message == "validity must be positive");
  CHECK(queue_empty());
}

TEST_CASE("sign_server_cert gives DNS and IP subjectAltNames") {
  auto key = must(generate_key());
  auto cert = must(sign_server_cert(
    test_ca(), key, {"localhost", "127.0.0.1", "::1", "journal-1.example"}, now,
    day));
  auto info = parse_cert(cert);
  REQUIRE(info);
  CHECK(info->common_name == "localhost");
  CHECK(info->alt_names
        == std::vector<std::string>{"localhost", "127.0.0.1", "::1",
                                    "journal-1.example"});
  CHECK(verify_cert(cert, test_ca().cert_pem, now));
  cert_handle c(cert);
  CHECK(X509_check_ip_asc(c.x, "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(c.x, "::1", 0) == 1);
  CHECK(X509_check_host(c.x, "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_get_extended_key_usage(c.x) == (XKU_SSL_CLIENT | XKU_SSL_SERVER));
  CHECK(key_matches_cert(key, cert));

  auto none = sign_server_cert(test_ca(), key, {}, now, day);
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "server certificate needs at least one name");
  auto comma = sign_server_cert(test_ca(), key, {"a,IP:1.2.3.4"}, now, day);
  REQUIRE_FALSE(comma);
  CHECK(comma.error().message.find("neither an IP address nor a host name")
        != std::string::npos);
  CHECK(queue_empty());
}

TEST_CASE("key_matches_cert is false for garbage") {
  CHECK_FALSE(key_matches_cert("garbage", test_ca().cert_pem));
  CHECK_FALSE(key_matches_cert(test_ca().key_pem, "garbage"));
  CHECK(queue_empty());
}

TEST_CASE("parse_cert reads the first certificate and refuses garbage") {
  auto node = enroll("node-1");
  auto first = parse_cert(node.cert_pem + test_ca().cert_pem);
  REQUIRE(first);
  CHECK(first->common_name == "node-1");
  auto bad = parse_cert("-----BEGIN CERTIFICATE-----\nAAAA\n"
                        "-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "malformed certificate");
  CHECK(queue_empty());
}

TEST_CASE("no OpenSSL text leaks into error messages") {
  std::vector<std::string> messages = {
    verify_error("x", "y", now),
    verify_error(enroll("n").cert_pem, "y", now),
    make_csr("x", "n").error().message,
    parse_csr("x").error().message,
    sign_node_cert(test_ca(), "x", now, day).error().message,
  };
  for (const auto& m : messages) {
    CHECK(m.find("error:") == std::string::npos);
    CHECK(m.find("routines") == std::string::npos);
    CHECK(m.find("OPENSSL") == std::string::npos);
  }
  CHECK(queue_empty());
}
