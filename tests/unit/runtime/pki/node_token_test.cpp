// Certificate-bound node tokens (node_token.hpp).

#include "runtime/pki/node_token.hpp"

#include <doctest/doctest.h>

#include "tests/unit/runtime/pki/test_pki.hpp"

using namespace pact::pki;
using namespace pact::pki::testing;
using pact::pki::detail::base64_decode;
using pact::pki::detail::base64_encode;
using pact::pki::detail::base64url_decode;
using pact::pki::detail::base64url_encode;
using json = nlohmann::json;

namespace {

constexpr const char* audience = "pact-journal";
constexpr int64_t leeway = 30;
constexpr int64_t max_ttl = 300;

const key_and_cert& node1() {
  static const key_and_cert node = enroll("node-1");
  return node;
}

const key_and_cert& node2() {
  static const key_and_cert node = enroll("node-2");
  return node;
}

std::string mint(int64_t at = now, int64_t ttl = 60,
                 const key_and_cert& node = node1(),
                 const std::string& aud = audience) {
  return must(mint_node_token(node, aud, at, ttl));
}

result<node_token_claims>
verify(const std::string& token, int64_t at = now,
       const std::string& bundle = test_ca().cert_pem) {
  return verify_node_token(token, bundle, audience, at, leeway, max_ttl);
}

/// Why `token` is refused at `at` ("(verified)" when it is not).
std::string refusal(const std::string& token, int64_t at = now,
                    const std::string& bundle = test_ca().cert_pem) {
  auto r = verify(token, at, bundle);
  CHECK(queue_empty());
  return r ? std::string("(verified)") : r.error().message;
}

json part(const std::string& token, int index) {
  size_t a = token.find('.');
  size_t b = token.find('.', a + 1);
  std::string text = index == 0   ? token.substr(0, a)
                     : index == 1 ? token.substr(a + 1, b - a - 1)
                                  : token.substr(b + 1);
  auto bytes = base64url_decode(text);
  REQUIRE(bytes);
  return json::parse(*bytes);
}

std::string signature_of(const std::string& token) {
  return token.substr(token.rfind('.') + 1);
}

std::string x5c_of(const key_and_cert& node) {
  return base64_encode(der_of(node.cert_pem));
}

/// A payload as mint_node_token writes it for node-1 at `now`.
json good_payload() {
  return {{"sub", "node-1"},
          {"iss", "pact-node"},
          {"aud", audience},
          {"iat", now},
          {"exp", now + 60},
          {"groups", json::array({"pact-node"})},
          {"pact_principal_type", "service"}};
}

json good_header(const key_and_cert& node = node1()) {
  return {{"alg", "ES256"}, {"typ", "JWT"}, {"x5c", {x5c_of(node)}}};
}

} // namespace

TEST_CASE("a minted node token verifies and names the node and its cert") {
  auto token = mint();
  CHECK(looks_like_node_token(token));
  auto claims = verify(token);
  REQUIRE_MESSAGE(claims, (claims ? "" : claims.error().message));
  auto info = parse_cert(node1().cert_pem);
  REQUIRE(info);
  CHECK(claims->node == "node-1");
  CHECK(claims->cert_serial_hex == info->serial_hex);
  CHECK(claims->cert_sha256_hex == info->sha256_hex);
  CHECK(claims->cert_not_after_unix_s == info->not_after_unix_s);
  CHECK(claims->issued_at == now);
  CHECK(claims->expires_at == now + 60);
  CHECK(queue_empty());
}

TEST_CASE("a node token has the documented header, payload and signature") {
  auto token = mint();
  auto header = part(token, 0);
  CHECK(header == good_header());
  // x5c is standard base64 of the DER (RFC 7515 §4.1.6), not base64url.
  auto der = base64_decode(header["x5c"][0].get<std::string>());
  REQUIRE(der);
  CHECK(*der == der_of(node1().cert_pem));
  CHECK(part(token, 1) == good_payload());
  // ES256 is R||S, 64 bytes (RFC 7518 §3.4), not a DER SEQUENCE.
  auto sig = base64url_decode(signature_of(token));
  REQUIRE(sig);
  CHECK(sig->size() == 64);
  // The same claims signed by the test's own ES256 signer verify too: the
  // verifier reads R||S as the RFC writes it, not only as mint writes it.
  CHECK(refusal(sign_token(node1().key_pem, good_header(), good_payload()))
        == "(verified)");
}

TEST_CASE("mint_node_token refuses keys and certificates that do not fit") {
  auto mismatched = key_and_cert{node2().key_pem, node1().cert_pem};
  auto r1 = mint_node_token(mismatched, audience, now, 60);
  REQUIRE_FALSE(r1);
  CHECK(r1.error().message
        == "node token: node key does not match its certificate");
  auto r2 = mint_node_token(node1(), audience, now, 0);
  REQUIRE_FALSE(r2);
  CHECK(r2.error().message == "node token: lifetime must be positive");
  auto r3 = mint_node_token({"garbage", node1().cert_pem}, audience, now, 60);
  REQUIRE_FALSE(r3);
  CHECK(r3.error().message == "node token: malformed node key");
  CHECK(queue_empty());
}

TEST_CASE("node tokens expire, with leeway, and may not live too long") {
  auto token = mint(now, 60);
  CHECK(refusal(token, now + 60 + leeway - 1) == "(verified)");
  CHECK(refusal(token, now + 60 + leeway) == "node token: expired");
  CHECK(refusal(token, now - leeway) == "(verified)");
  CHECK(refusal(token, now - leeway - 1) == "node token: issued in the future");
  CHECK(refusal(mint(now, max_ttl)) == "(verified)");
  CHECK(refusal(mint(now, max_ttl + 1))
        == "node token: lifetime over 300 seconds");
}

TEST_CASE("a node token's certificate must verify at now") {
  CHECK(refusal(mint(), now, other_ca().cert_pem)
        == "node token: certificate verify failed: unknown issuer");
  // The node certificate is good for a day; a fresh token after that is
  // refused for the certificate, whatever its own exp.
  auto late = now + 2 * day;
  CHECK(refusal(mint(late), late)
        == "node token: certificate verify failed: certificate has expired");
}

TEST_CASE("only ES256 is accepted, whatever the header says") {
  auto token = mint();
  auto payload = token.substr(token.find('.') + 1);
  for (const char* alg : {"none", "HS256", "RS256", "ES384", "es256"}) {
    auto header = good_header();
    header["alg"] = alg;
    auto forged = base64url_encode(header.dump()) + "." + payload;
    CHECK(refusal(forged) == "node token: algorithm must be ES256");
  }
  // alg none with the empty signature of RFC 7519 §6.1.
  auto header = good_header();
  header["alg"] = "none";
  auto unsecured = base64url_encode(header.dump()) + "."
                   + base64url_encode(good_payload().dump()) + ".";
  CHECK(refusal(unsecured) == "node token: malformed");
  header.erase("alg");
  CHECK(refusal(sign_token(node1().key_pem, header, good_payload()))
        == "node token: algorithm must be ES256");
}

TEST_CASE("the signature must be the x5c certificate's key's") {
  auto token = mint();
  auto payload_and_sig = token.substr(token.find('.'));
  // node-2's certificate (same CA, verifies) with node-1's signature.
  auto swapped = base64url_encode(good_header(node2()).dump())
                 + payload_and_sig;
  CHECK(refusal(swapped) == "node token: bad signature");
  // A payload changed after signing.
  auto payload = good_payload();
  payload["exp"] = now + 120;
  auto header_part = token.substr(0, token.find('.'));
  auto altered = header_part + "." + base64url_encode(payload.dump()) + "."
                 + signature_of(token);
  CHECK(refusal(altered) == "node token: bad signature");
  // A signature that is not 64 bytes.
  CHECK(refusal(token.substr(0, token.rfind('.') + 1) + "AAAA")
        == "node token: bad signature");
}

TEST_CASE("claims must match: sub, iss, aud, integer times") {
  auto signed_with = [](json payload) {
    return refusal(sign_token(node1().key_pem, good_header(), payload));
  };
  auto p = good_payload();
  p["sub"] = "node-2";
  CHECK(signed_with(p) == "node token: subject does not match the certificate");
  p = good_payload();
  p["iss"] = "someone";
  CHECK(signed_with(p) == "node token: wrong issuer");
  p = good_payload();
  p["aud"] = "pact-gateway";
  CHECK(signed_with(p) == "node token: wrong audience");
  p["aud"] = json::array({"pact-gateway", audience});
  CHECK(signed_with(p) == "(verified)");
  p = good_payload();
  p["exp"] = "soon";
  CHECK(signed_with(p) == "node token: exp and iat must be integers");
  p = good_payload();
  p.erase("iat");
  CHECK(signed_with(p) == "node token: exp and iat must be integers");
  p = good_payload();
  p["nbf"] = now + leeway + 1;
  CHECK(signed_with(p) == "node token: not yet valid");
  p = good_payload();
  p["iat"] = INT64_MIN;
  p["exp"] = INT64_MAX;
  CHECK(signed_with(p) == "node token: lifetime over 300 seconds");
  p = good_payload();
  p["iat"] = now + 10;
  p["exp"] = now + 10;
  CHECK(signed_with(p) == "node token: expires before it is issued");
  CHECK(refusal(mint(now, 60, node1(), "pact-gateway"))
        == "node token: wrong audience");
}

TEST_CASE("the header's x5c holds exactly one certificate, no crit") {
  auto with_header = [](json header) {
    return refusal(sign_token(node1().key_pem, header, good_payload()));
  };
  auto h = good_header();
  h["x5c"] = {x5c_of(node1()), x5c_of(node1())};
  CHECK(with_header(h) == "node token: x5c must hold exactly one certificate");
  h.erase("x5c");
  CHECK(with_header(h) == "node token: x5c must hold exactly one certificate");
  h["x5c"] = {"not base64!"};
  CHECK(with_header(h) == "node token: malformed certificate in x5c");
  h["x5c"] = {base64url_encode(der_of(node1().cert_pem)) + "x"};
  CHECK(with_header(h) == "node token: malformed certificate in x5c");
  h = good_header();
  h["crit"] = {"exp"};
  CHECK(with_header(h) == "node token: unsupported critical header");
}

TEST_CASE("a CA cannot sign as a node") {
  // The CA's own certificate: trusted as an anchor, but not issued by one.
  json header = {{"alg", "ES256"}, {"x5c", {x5c_of(test_ca())}}};
  auto payload = good_payload();
  payload["sub"] = "pact test CA";
  CHECK(refusal(sign_token(test_ca().key_pem, header, payload))
        == "node token: certificate verify failed: unknown issuer");
  // An intermediate CA issued by the test CA: it verifies, but is a CA.
  auto key = must(generate_key());
  key_and_cert sub{key, sub_ca_cert(test_ca(), key)};
  REQUIRE(verify_cert(sub.cert_pem, test_ca().cert_pem, now));
  header["x5c"] = {x5c_of(sub)};
  payload["sub"] = "sub CA";
  CHECK(refusal(sign_token(key, header, payload))
        == "node token: certificate is a CA certificate");
  // Its mint is refused at verification just the same.
  CHECK(refusal(mint(now, 60, sub))
        == "node token: certificate is a CA certificate");
}

TEST_CASE("malformed tokens are refused in pact's words") {
  for (const char* token :
       {"", "a", "a.b", "a.b.c.d", "..", "e30.e30.", "!!.e30.AAAA",
        "WyJhIl0.e30.AAAA" /* header is an array */}) {
    CHECK(refusal(token) == "node token: malformed");
    CHECK_FALSE(looks_like_node_token(token));
  }
  CHECK(refusal(std::string(20000, 'a')) == "node token: malformed");
}

TEST_CASE("looks_like_node_token wants a JWS header with x5c") {
  CHECK(looks_like_node_token(mint()));
  auto hs256 = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "."
               + base64url_encode(R"({"sub":"alice"})") + ".c2ln";
  CHECK_FALSE(looks_like_node_token(hs256));
  CHECK_FALSE(looks_like_node_token("not a token"));
}

TEST_CASE("base64 and base64url are strict and round-trip every byte") {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto bytes = all.substr(0, n);
    CHECK(base64_decode(base64_encode(bytes)) == bytes);
    CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
  }
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  CHECK(base64_encode(std::string("\xfb\xff")) == "+/8=");
  CHECK(base64url_encode(std::string("\xfb\xff")) == "-_8");
  CHECK_FALSE(base64_decode("Zm9vYg"));      // padding required
  CHECK_FALSE(base64url_decode("Zm9vYg==")); // padding refused
  CHECK_FALSE(base64_decode("Zm9vYh=="));    // non-zero trailing bits
  CHECK_FALSE(base64url_decode("-_9"));      // non-zero trailing bits
  CHECK_FALSE(base64_decode("Zm9v\nYg=="));  // no whitespace
  CHECK_FALSE(base64_decode("-_8="));        // url alphabet in base64
  CHECK_FALSE(base64url_decode("+/8"));      // base64 alphabet in url
  CHECK_FALSE(base64url_decode("Z"));        // 6 bits: not a byte
}
