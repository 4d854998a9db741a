#include "runtime/policy/jwk.hpp"

#include <doctest/doctest.h>

#include "runtime/policy/jwks_fetch.hpp"
#include "runtime/policy/key_store.hpp"
#include "tests/unit/runtime/policy/test_keys.hpp"

using namespace pact::policy;
using pact::policy::testing::jwks_of;
using pact::policy::testing::signing_key;
using json = nlohmann::json;

namespace {

const signing_key& rsa_key() {
  static const auto key = signing_key::rsa("rsa-1");
  return key;
}

const signing_key& ec_key() {
  static const auto key = signing_key::ec("ec-1");
  return key;
}

std::string parse_error(const std::string& doc) {
  auto set = parse_jwks(doc);
  return set ? std::string("(parsed)") : set.err().message;
}

} // namespace

TEST_CASE("a JWKS of an RSA and an EC key parses into two usable keys") {
  auto set = parse_jwks(jwks_of({rsa_key().jwk("RS256"), ec_key().jwk()}));
  REQUIRE(set);
  REQUIRE(set->keys.size() == 2);
  CHECK(set->keys[0].kid == "rsa-1");
  CHECK(set->keys[0].type == "RSA");
  CHECK(set->keys[0].alg == "RS256");
  CHECK(set->keys[0].bits == 2048);
  CHECK(set->keys[1].type == "EC");
  CHECK(set->keys[1].bits == 256);
  CHECK(set->skipped.empty());
}

TEST_CASE("keys pact cannot verify with are skipped, each with its reason") {
  auto weak = signing_key::rsa("weak", 1024);
  auto p384 = signing_key::ec("p384", "P-384");
  auto enc = rsa_key().jwk();
  enc["kid"] = "enc";
  enc["use"] = "enc";
  auto no_verify = ec_key().jwk();
  no_verify["kid"] = "sign-only";
  no_verify["key_ops"] = {"sign"};
  json oct = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  auto rs384 = rsa_key().jwk("RS384");
  rs384["kid"] = "rs384";
  auto misfit = ec_key().jwk("RS256");
  misfit["kid"] = "misfit";
  auto bad_point = ec_key().jwk();
  bad_point["kid"] = "off-curve";
  bad_point["y"] = bad_point["x"];
  auto set = parse_jwks(jwks_of({weak.jwk(), p384.jwk(), enc, no_verify, oct,
                                 rs384, misfit, bad_point, ec_key().jwk()}));
  REQUIRE(set);
  REQUIRE(set->keys.size() == 1);
  CHECK(set->keys[0].kid == "ec-1");
  std::vector<std::string> expected{
    "kid 'weak': RSA modulus of 1024 bits is under 2048",
    "kid 'p384': EC curve 'P-384' is not P-256",
    "kid 'enc': use is not 'sig'",
    "kid 'sign-only': key_ops does not include 'verify'",
    "kid 'hmac': kty 'oct' is not a public key type pact verifies",
    "kid 'rs384': alg 'RS384' is not RS256, PS256 or ES256",
    "kid 'misfit': alg 'RS256' does not fit kty 'EC'",
    "kid 'off-curve': EC point is not on P-256"};
  CHECK(set->skipped == expected);
}

TEST_CASE("malformed JWKS documents are refused with the problem named") {
  CHECK(parse_error("not json") == "JWKS document is not a JSON object");
  CHECK(parse_error("[1]") == "JWKS document is not a JSON object");
  CHECK(parse_error(R"({"keys":{}})") == "JWKS document has no keys array");
  CHECK(parse_error(R"({"keys":[]})")
        == "JWKS document holds no RS256, PS256 or ES256 signing key");
  CHECK(parse_error(R"({"keys":[{"kty":"oct","kid":"a"}]})")
        == "JWKS document holds no RS256, PS256 or ES256 signing key (kid "
           "'a': kty 'oct' is not a public key type pact verifies)");
  CHECK(parse_error(R"({"keys":[{"kty":"RSA","kid":"r","n":"AQAB"}]})")
        == "JWKS document holds no RS256, PS256 or ES256 signing key (kid "
           "'r': RSA key without base64url n and e)");
  CHECK(parse_error(std::string(max_jwks_bytes + 1, ' '))
        == "JWKS document is larger than 256 KiB");
}

TEST_CASE("at most max_jwks_keys keys are kept") {
  auto jwk = ec_key().jwk();
  json doc = {{"keys", json::array()}};
  for (size_t i = 0; i < max_jwks_keys + 3; ++i)
    doc["keys"].push_back(jwk);
  auto set = parse_jwks(doc.dump());
  REQUIRE(set);
  CHECK(set->keys.size() == max_jwks_keys);
  CHECK(set->skipped.size() == 3);
}

TEST_CASE("signatures verify with the key and algorithm that made them") {
  auto set = parse_jwks(jwks_of({rsa_key().jwk(), ec_key().jwk()}));
  REQUIRE(set);
  const auto& rsa = set->keys[0];
  const auto& ec = set->keys[1];
  const std::string input = "header.payload";
  for (const char* alg : {"RS256", "PS256"}) {
    CAPTURE(alg);
    auto sig = rsa_key().sign(alg, input);
    CHECK(verify_signature(rsa, alg, input, sig));
    CHECK_FALSE(verify_signature(rsa, alg, input + "x", sig));
    CHECK_FALSE(verify_signature(ec, alg, input, sig));
  }
  // PKCS#1 v1.5 and PSS signatures are not interchangeable.
  CHECK_FALSE(
    verify_signature(rsa, "PS256", input, rsa_key().sign("RS256", input)));
  CHECK_FALSE(
    verify_signature(rsa, "RS256", input, rsa_key().sign("PS256", input)));
  auto es = ec_key().sign("ES256", input);
  CHECK(es.size() == 64);
  CHECK(verify_signature(ec, "ES256", input, es));
  CHECK_FALSE(verify_signature(ec, "ES256", input + "x", es));
  CHECK_FALSE(verify_signature(ec, "ES256", input, es.substr(0, 63)));
  CHECK_FALSE(verify_signature(rsa, "ES256", input, es));
  // Another key's signature does not verify.
  auto other = signing_key::ec("ec-2");
  CHECK_FALSE(verify_signature(ec, "ES256", input, other.sign("ES256", input)));
}

TEST_CASE("key_fits: the key decides the algorithm family") {
  public_key rsa{"r", "RSA", "", 2048, nullptr};
  public_key ec{"e", "EC", "", 256, nullptr};
  public_key ps_only{"p", "RSA", "PS256", 2048, nullptr};
  CHECK(key_fits(rsa, "RS256"));
  CHECK(key_fits(rsa, "PS256"));
  CHECK_FALSE(key_fits(rsa, "ES256"));
  CHECK_FALSE(key_fits(rsa, "HS256"));
  CHECK(key_fits(ec, "ES256"));
  CHECK_FALSE(key_fits(ec, "RS256"));
  CHECK(key_fits(ps_only, "PS256"));
  CHECK_FALSE(key_fits(ps_only, "RS256"));
}

TEST_CASE("discovery: jwks_uri only from the configured issuer, over https") {
  const std::string issuer = "https://idp.example/realms/hpc";
  auto doc = [](const std::string& iss, const std::string& uri) {
    return json{{"issuer", iss}, {"jwks_uri", uri}}.dump();
  };
  auto uri = jwks_uri_from_discovery(doc(issuer, issuer + "/certs"), issuer);
  REQUIRE(uri);
  CHECK(*uri == issuer + "/certs");
  auto other = jwks_uri_from_discovery(doc("https://evil", "https://e/c"),
                                       issuer);
  REQUIRE_FALSE(other);
  CHECK(other.err().message
        == "discovery document names issuer 'https://evil', not the "
           "configured 'https://idp.example/realms/hpc'");
  auto plain = jwks_uri_from_discovery(doc(issuer, "http://idp/certs"), issuer);
  REQUIRE_FALSE(plain);
  CHECK(plain.err().message
        == "discovery document's jwks_uri 'http://idp/certs' is not an https "
           "URL");
  CHECK_FALSE(jwks_uri_from_discovery("{}", issuer));
  CHECK_FALSE(jwks_uri_from_discovery("<html>", issuer));
  CHECK(discovery_url("https://idp/x/")
        == "https://idp/x/.well-known/openid-configuration");
}

TEST_CASE("refresh_schedule: TTL after success, interval after failure") {
  jwks_settings s;
  s.ttl_ms = 600000;
  s.min_refresh_interval_ms = 60000;
  refresh_schedule r(s);
  CHECK(r.next_due_ms() == 0);
  CHECK(r.may_fetch_now(5));
  r.attempted(1000, true);
  CHECK(r.next_due_ms() == 601000);
  // Unknown kids: one fetch per interval, however many arrive.
  CHECK_FALSE(r.may_fetch_now(1000));
  CHECK_FALSE(r.may_fetch_now(60999));
  CHECK(r.may_fetch_now(61000));
  r.attempted(61000, false);
  CHECK(r.next_due_ms() == 121000);
  CHECK_FALSE(r.may_fetch_now(100000));
}

TEST_CASE("key_store keeps stale keys when a fetch fails") {
  key_store store;
  CHECK_FALSE(store.current().keys);
  CHECK(store.generation() == 0);
  auto set = parse_jwks(jwks_of({ec_key().jwk()}));
  REQUIRE(set);
  store.publish(*set, 5000);
  CHECK(store.generation() == 1);
  store.fail("https://idp/certs: connection refused");
  auto view = store.current();
  REQUIRE(view.keys);
  CHECK(view.keys->keys.size() == 1);
  CHECK(view.fetched_at_ms == 5000);
  CHECK(view.last_error == "https://idp/certs: connection refused");
  CHECK(view.generation == 1);
  store.publish(*set, 9000);
  CHECK(store.current().last_error.empty());
  CHECK(store.generation() == 2);
}

TEST_CASE("jwks_settings: enabled by a JWKS URL or an https issuer") {
  jwks_settings s;
  CHECK_FALSE(s.enabled());
  s.issuer = "pact-dev";
  CHECK_FALSE(s.enabled());
  s.issuer = "https://idp";
  CHECK(s.enabled());
  CHECK(s.source() == "the JWKS of https://idp's discovery document");
  s.jwks_url = "https://idp/keys";
  CHECK(s.source() == "JWKS https://idp/keys");
}
