// verify_token with the identity provider's keys (RS256, PS256, ES256),
// the refusals that protect that path, and the roles map.

#include "runtime/policy/token.hpp"

#include <doctest/doctest.h>

#include <openssl/hmac.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>

#include "runtime/common/config.hpp"
#include "runtime/common/schemas.hpp"
#include "runtime/policy/request_auth.hpp"
#include "tests/unit/runtime/policy/test_keys.hpp"

using namespace pact::policy;
using pact::policy::testing::jwks_of;
using pact::policy::testing::signing_key;
using json = nlohmann::json;

namespace {

constexpr int64_t t0 = 1700000000;
const std::string issuer = "https://idp.test";

const signing_key& rsa() {
  static const auto key = signing_key::rsa("rsa-1");
  return key;
}

const signing_key& ec() {
  static const auto key = signing_key::ec("ec-1");
  return key;
}

std::string claims(const std::string& extra = "") {
  return R"({"sub":"alice","iss":"https://idp.test","aud":["pact","grafana"],)"
         R"("groups":["hpc-admins","pact-ops-ml"],"iat":1700000000,)"
         R"("exp":1700003600)"
         + extra + "}";
}

/// A verifier holding `jwks` as the IdP's current keys.
verifier_config idp_config(const std::string& jwks) {
  verifier_config c;
  c.issuer = issuer;
  c.jwks.issuer = issuer;
  c.keys = std::make_shared<key_store>();
  auto set = parse_jwks(jwks);
  REQUIRE(set);
  c.keys->publish(*set, t0 * 1000);
  return c;
}

verifier_config both_keys() {
  return idp_config(jwks_of({rsa().jwk(), ec().jwk()}));
}

} // namespace

TEST_CASE("RS256, PS256 and ES256 tokens from the IdP verify") {
  auto config = both_keys();
  for (const char* alg : {"RS256", "PS256"}) {
    CAPTURE(alg);
    auto res = verify_token(rsa().token(alg, claims()), config, t0 + 10);
    CHECK(res.error == "");
    CHECK(res.ok);
    CHECK(res.claims.subject == "alice");
    CHECK(res.claims.audience == "pact");
  }
  auto res = verify_token(ec().token("ES256", claims()), config, t0 + 10);
  CHECK(res.ok);
}

TEST_CASE("a tampered token, or another key's signature, is refused") {
  auto config = both_keys();
  auto jwt = rsa().token("RS256", claims());
  auto forged = jwt;
  // Swap the payload for one that grants more, keeping the signature.
  auto first = forged.find('.');
  auto second = forged.find('.', first + 1);
  forged.replace(first + 1, second - first - 1,
                 base64url_encode(claims(R"(,"x":1)")));
  CHECK(verify_token(forged, config, t0).error == "token signature is invalid");
  auto impostor = signing_key::rsa("rsa-1"); // same kid, other key
  CHECK(verify_token(impostor.token("RS256", claims()), config, t0).error
        == "token signature is invalid");
  auto ec_impostor = signing_key::ec("ec-1");
  CHECK(verify_token(ec_impostor.token("ES256", claims()), config, t0).error
        == "token signature is invalid");
}

TEST_CASE("an unknown kid asks for a refresh; a known one does not") {
  auto config = both_keys();
  auto rotated = signing_key::rsa("rsa-2");
  auto res = verify_token(rotated.token("RS256", claims()), config, t0);
  CHECK_FALSE(res.ok);
  CHECK(res.unknown_key);
  CHECK(res.error
        == "token signing key 'rsa-2' is not in the identity provider's key "
           "set");
  // After the IdP is found unreachable, the refusal says so.
  config.keys->fail("https://idp.test/jwks: connection refused");
  res = verify_token(rotated.token("RS256", claims()), config, t0);
  CHECK(res.error
        == "token signing key 'rsa-2' is not in the identity provider's key "
           "set (refreshing the keys failed: https://idp.test/jwks: "
           "connection refused; using keys fetched at 2023-11-14T22:13:20Z)");
  // The cached keys keep working meanwhile.
  CHECK(verify_token(rsa().token("RS256", claims()), config, t0).ok);
  auto bad = verify_token(rsa().token("RS256", claims(R"(,"aud":"x")")), config,
                          t0);
  CHECK_FALSE(bad.unknown_key);
}

TEST_CASE("before the first fetch every IdP token waits for the keys") {
  verifier_config config;
  config.issuer = issuer;
  config.keys = std::make_shared<key_store>();
  auto res = verify_token(rsa().token("RS256", claims()), config, t0);
  CHECK(res.unknown_key);
  CHECK(res.error
        == "no signing keys from the identity provider yet (the first fetch "
           "is under way)");
  config.keys->fail("https://idp.test/x: host not found");
  CHECK(verify_token(rsa().token("RS256", claims()), config, t0).error
        == "no signing keys from the identity provider yet (fetching them "
           "failed: https://idp.test/x: host not found)");
}

TEST_CASE("algorithm confusion is refused: the key decides, not the token") {
  auto config = both_keys();
  // RS256 claimed, EC key named.
  json h = {{"alg", "RS256"}, {"kid", "ec-1"}};
  CHECK(verify_token(rsa().token("RS256", claims(), h), config, t0).error
        == "token algorithm RS256 does not fit signing key 'ec-1' (EC)");
  // ES256 claimed for the RSA key.
  h = {{"alg", "ES256"}, {"kid", "rsa-1"}};
  CHECK(verify_token(ec().token("ES256", claims(), h), config, t0).error
        == "token algorithm ES256 does not fit signing key 'rsa-1' (RSA)");
  // A key restricted to PS256 does not verify RS256.
  auto restricted = idp_config(jwks_of({rsa().jwk("PS256")}));
  CHECK(verify_token(rsa().token("RS256", claims()), restricted, t0).error
        == "token algorithm RS256 does not fit signing key 'rsa-1' (RSA "
           "PS256)");
  CHECK(verify_token(rsa().token("PS256", claims()), restricted, t0).ok);
}

TEST_CASE("HS256 signed with the IdP's public key is refused") {
  // The classic confusion attack (RFC 8725 §2.1): sign HS256 with the public
  // key as the HMAC secret and hope the verifier uses the key it has.
  auto config = both_keys();
  auto public_jwk = rsa().jwk().dump();
  auto input = base64url_encode(R"({"alg":"HS256","kid":"rsa-1"})") + "."
               + base64url_encode(claims());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), public_jwk.data(), static_cast<int>(public_jwk.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &len);
  auto forged
    = input + "."
      + base64url_encode(std::string(reinterpret_cast<const char*>(mac), len));
  CHECK(verify_token(forged, config, t0).error
        == "token algorithm HS256 is accepted only in development mode (no "
           "HMAC secret is configured; identity-provider tokens are RS256, "
           "PS256 or ES256)");
  // With a development secret too, the public key is still not the secret.
  config.hmac_secret = "dev-secret";
  CHECK(verify_token(forged, config, t0).error == "token signature is invalid");
}

TEST_CASE("alg none is refused with a JWKS configured") {
  auto config = both_keys();
  auto input = base64url_encode(R"({"alg":"none","kid":"rsa-1"})") + "."
               + base64url_encode(claims());
  CHECK(verify_token(input + ".", config, t0).error
        == "token algorithm 'none' is refused: unsigned tokens are never "
           "accepted");
}

TEST_CASE("tokens without kid: only when exactly one key fits") {
  auto one = idp_config(jwks_of({rsa().jwk()}));
  json h = {{"alg", "RS256"}};
  CHECK(verify_token(rsa().token("RS256", claims(), h), one, t0).ok);
  auto second = signing_key::rsa("rsa-2");
  auto two = idp_config(jwks_of({rsa().jwk(), second.jwk()}));
  CHECK(verify_token(rsa().token("RS256", claims(), h), two, t0).error
        == "token names no signing key (kid) and the identity provider "
           "publishes 2 keys for RS256");
  auto ec_only = idp_config(jwks_of({ec().jwk()}));
  CHECK(verify_token(rsa().token("RS256", claims(), h), ec_only, t0).error
        == "no key in the identity provider's key set fits algorithm RS256");
  h = {{"alg", "RS256"}, {"kid", 7}};
  CHECK(verify_token(rsa().token("RS256", claims(), h), one, t0).error
        == "malformed token: kid is not a string");
}

TEST_CASE("claims are checked the same way as for development tokens") {
  auto config = both_keys();
  CHECK(
    verify_token(rsa().token("RS256", claims()), config, t0 + 3600 + 30).error
    == "token expired at 2023-11-14T23:13:20Z");
  CHECK(verify_token(rsa().token("RS256", claims(R"(,"iss":"https://other")")),
                     config, t0)
          .error
        == "token issuer 'https://other' is not the configured issuer "
           "'https://idp.test'");
  auto res = verify_token(rsa().token("RS256", claims(R"(,"aud":"grafana")")),
                          config, t0);
  CHECK(res.error
        == "token audience 'grafana' is not the configured audience 'pact'");
  CHECK(verify_token(rsa().token("RS256", claims(R"(,"nbf":1700000100)")),
                     config, t0)
          .error
        == "token is not valid before 2023-11-14T22:15:00Z");
}

TEST_CASE("the roles map turns IdP group names into pact groups") {
  auto config = both_keys();
  config.group_map["hpc-admins"] = {"pact-platform-admin"};
  auto res = verify_token(ec().token("ES256", claims()), config, t0);
  REQUIRE(res.ok);
  CHECK(res.claims.groups
        == std::vector<std::string>{"pact-platform-admin", "pact-ops-ml"});
  auto map = parse_group_map({"hpc-admins=pact-platform-admin",
                              "ml-team=pact-ops-ml", "ml-team=pact-viewer-bio"},
                             "journal.oidc.roles_map");
  REQUIRE(map);
  CHECK(map->at("ml-team")
        == std::vector<std::string>{"pact-ops-ml", "pact-viewer-bio"});
  auto bad = parse_group_map({"admins"}, "journal.oidc.roles_map");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message
        == "journal.oidc.roles_map: 'admins' is not IDP_GROUP=PACT_GROUP");
  bad = parse_group_map({"admins=root"}, "journal.oidc.roles_map");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message
        == "journal.oidc.roles_map: 'root' is not a pact group "
           "(pact-platform-admin, pact-ops-VC, pact-viewer-VC, "
           "pact-regulated-VC, pact-service-ai, pact-node)");
}

TEST_CASE("the verified-token cache forgets tokens when the keys change") {
  auto config = both_keys();
  token_cache cache;
  auto jwt = rsa().token("RS256", claims());
  bool unknown = true;
  REQUIRE(authenticate_token(jwt, config, t0, &cache, &unknown));
  CHECK_FALSE(unknown);
  CHECK(cache.size() == 1);
  // The IdP removes rsa-1: the cached answer must not outlive the key.
  auto set = parse_jwks(jwks_of({ec().jwk()}));
  REQUIRE(set);
  config.keys->publish(*set, t0 * 1000);
  auto again = authenticate_token(jwt, config, t0, &cache, &unknown);
  REQUIRE_FALSE(again);
  CHECK(unknown);
  CHECK(again.err().message
        == "authentication failed: token signing key 'rsa-1' is not in the "
           "identity provider's key set");
}

TEST_CASE("a kid published twice: either key may verify") {
  auto impostor = signing_key::rsa("rsa-1");
  auto config = idp_config(jwks_of({impostor.jwk(), rsa().jwk()}));
  CHECK(verify_token(rsa().token("RS256", claims()), config, t0).ok);
  CHECK(verify_token(impostor.token("RS256", claims()), config, t0).ok);
  auto stranger = signing_key::rsa("rsa-1");
  CHECK(verify_token(stranger.token("RS256", claims()), config, t0).error
        == "token signature is invalid");
}

namespace {

/// load_verifier over the TOML text `toml` ("" for none).
pact::expected<verifier_config> load_from(const std::string& toml) {
  auto path = "/tmp/pact-jwks-config-" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream f(path);
    f << toml;
  }
  pact::config::load_request req;
  req.keys = &pact::config::journal_schema();
  req.file_path = path;
  req.file_required = true;
  req.env = [](const char*) -> std::optional<std::string> {
    return std::nullopt;
  };
  auto v = pact::config::load(req);
  std::remove(path.c_str());
  REQUIRE_MESSAGE(v, v.err().message);
  return load_verifier(*v, "journal");
}

} // namespace

TEST_CASE("JWKS settings: https only, a real CA bundle, a clean roles map") {
  auto cfg = load_from(
    "[journal.oidc]\nissuer = \"https://idp.test\"\n"
    "jwks_cache_ttl_seconds = 30\n"
    "jwks_refresh_interval_seconds = 5\n"
    "roles_map = [\" hpc-admins = pact-platform-admin \"]\n");
  REQUIRE(cfg);
  CHECK(cfg->keys != nullptr);
  CHECK(cfg->jwks.issuer == "https://idp.test");
  CHECK(cfg->jwks.ttl_ms == 30000);
  CHECK(cfg->jwks.min_refresh_interval_ms == 5000);
  CHECK(cfg->group_map.at("hpc-admins")
        == std::vector<std::string>{"pact-platform-admin"});
  // No https issuer and no JWKS URL: no key store (development tokens only).
  auto dev = load_from("[journal.oidc]\nissuer = \"http://idp.test\"\n");
  REQUIRE(dev);
  CHECK(dev->keys == nullptr);
  auto plain = load_from("[journal.oidc]\njwks_url = \"http://idp/keys\"\n");
  REQUIRE_FALSE(plain);
  CHECK(plain.err().message
        == "journal.oidc.jwks_url: 'http://idp/keys' is not an https URL "
           "(keys are fetched over TLS only)");
  auto missing
    = load_from("[journal.oidc]\nca_bundle = \"/nonexistent.pem\"\n");
  REQUIRE_FALSE(missing);
  CHECK(missing.err().message
        == "journal.oidc.ca_bundle: /nonexistent.pem: no such file");
  auto text = "/tmp/pact-not-pem-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(text) << "not a certificate\n";
  auto not_pem = load_from("[journal.oidc]\nca_bundle = \"" + text + "\"\n");
  std::remove(text.c_str());
  REQUIRE_FALSE(not_pem);
  CHECK(not_pem.err().message
        == "journal.oidc.ca_bundle: " + text + ": holds no PEM certificate");
}
