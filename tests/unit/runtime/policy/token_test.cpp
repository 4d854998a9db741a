#include "runtime/policy/token.hpp"

#include <doctest/doctest.h>

#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runtime/policy/base64url.hpp"

using namespace pact::policy;

namespace {

constexpr int64_t t0 = 1700000000; // 2023-11-14T22:13:20Z
const std::string secret = "pact-test-secret";

verifier_config dev_config() {
  verifier_config config;
  config.hmac_secret = secret;
  return config;
}

token_claims alice() {
  token_claims claims;
  claims.subject = "alice";
  claims.issuer = "pact-dev";
  claims.audience = "pact";
  claims.groups = {"pact-ops-ml", "pact-viewer-bio"};
  claims.issued_at = t0;
  claims.not_before = t0;
  claims.expires_at = t0 + 3600;
  return claims;
}

std::string hmac_b64(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return base64url_encode(std::string(reinterpret_cast<const char*>(mac), len));
}

/// A token with arbitrary header and payload text, correctly signed, so that
/// claim checks can be reached with inputs sign_hs256 would never produce.
std::string craft(const std::string& header, const std::string& payload,
                  const std::string& key = secret) {
  auto input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + hmac_b64(key, input);
}

const std::string hs256_header = R"({"alg":"HS256","typ":"JWT"})";

std::string payload_with(const std::string& extra) {
  return R"({"sub":"alice","iss":"pact-dev","aud":"pact")" + extra + "}";
}

std::string verify_error(const std::string& jwt, int64_t now = t0) {
  auto result = verify_token(jwt, dev_config(), now);
  CHECK_FALSE(result.ok);
  return result.error;
}

/// Replaces the character at `pos` with a different base64url character.
std::string flip(std::string text, size_t pos) {
  text[pos] = text[pos] == 'A' ? 'B' : 'A';
  return text;
}

} // namespace

// -- round trip --------------------------------------------------------------

TEST_CASE("a signed token verifies and yields its claims") {
  auto jwt = sign_hs256(alice(), secret);
  auto result = verify_token(jwt, dev_config(), t0 + 10);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.error.empty());
  CHECK(result.claims.subject == "alice");
  CHECK(result.claims.issuer == "pact-dev");
  CHECK(result.claims.audience == "pact");
  CHECK(result.claims.groups
        == std::vector<std::string>{"pact-ops-ml", "pact-viewer-bio"});
  CHECK(result.claims.issued_at == t0);
  CHECK(result.claims.not_before == t0);
  CHECK(result.claims.expires_at == t0 + 3600);
  CHECK(result.claims.principal_type == "human");
}

TEST_CASE("principal type round-trips and defaults to human") {
  auto claims = alice();
  claims.principal_type = "agent";
  auto result = verify_token(sign_hs256(claims, secret), dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.principal_type == "agent");

  auto jwt = craft(hs256_header, payload_with(R"(,"exp":1700003600)"));
  result = verify_token(jwt, dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.principal_type == "human");
  CHECK(result.claims.groups.empty());
  CHECK(result.claims.not_before == 0);

  jwt = craft(hs256_header,
              payload_with(R"(,"exp":1700003600,"pact_principal_type":"x")"));
  CHECK(verify_error(jwt)
        == "token pact_principal_type 'x' is not one of human, agent, "
           "service");
}

TEST_CASE("sign_hs256 omits nbf when zero and refuses an empty secret") {
  auto claims = alice();
  claims.not_before = 0;
  auto result = verify_token(sign_hs256(claims, secret), dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.not_before == 0);
  CHECK(sign_hs256(claims, "").empty());
}

// -- interoperability ---------------------------------------------------------

// Computed independently with Python's hmac/hashlib/base64/json
// (json.dumps(sort_keys=True, separators=(",", ":"))) from alice() and the
// secret "pact-test-secret".
const std::string python_token
  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJhdWQiOiJwYWN0IiwiZXhwIjoxNzAwMDAzNjAwLCJncm91cHMiOlsicGFjdC1vcHMtbWwi"
    "LCJwYWN0LXZpZXdlci1iaW8iXSwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJwYWN0LWRldiIs"
    "Im5iZiI6MTcwMDAwMDAwMCwicGFjdF9wcmluY2lwYWxfdHlwZSI6Imh1bWFuIiwic3ViIjoi"
    "YWxpY2UifQ."
    "wq0grPVcaYgv9JEga3m4jtPOCvcla_L_uprgMjk-XLg";

TEST_CASE("an HS256 token from another implementation verifies") {
  auto result = verify_token(python_token, dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.subject == "alice");
  CHECK(result.claims.groups.size() == 2);
  // sign_hs256 writes the same canonical form byte for byte.
  CHECK(sign_hs256(alice(), secret) == python_token);
}

TEST_CASE("a token with other key order, whitespace, kid, aud list verifies") {
  // Python: header '{"typ": "JWT", "alg": "HS256", "kid": "dev-1"}', payload
  // with spaces, "aud": ["other", "pact"], fractional "exp": 1700003600.5,
  // "pact_principal_type": "agent".
  const std::string jwt
    = "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJIUzI1NiIsICJraWQiOiAiZGV2LTEifQ."
      "eyJpc3MiOiAicGFjdC1kZXYiLCAic3ViIjogIm5vZGUtMDA0MiIsICJhdWQiOiBbIm90aGVy"
      "IiwgInBhY3QiXSwgImV4cCI6IDE3MDAwMDM2MDAuNSwgImdyb3VwcyI6IFsicGFjdC1zZXJ2"
      "aWNlLWFpIl0sICJwYWN0X3ByaW5jaXBhbF90eXBlIjogImFnZW50In0."
      "MYgierCjCfkYvdYHFEg67hOWSB8FkLXJw4lV1bRqorw";
  auto result = verify_token(jwt, dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.subject == "node-0042");
  CHECK(result.claims.audience == "pact");
  CHECK(result.claims.expires_at == t0 + 3600);
  CHECK(result.claims.principal_type == "agent");
  CHECK(result.claims.groups == std::vector<std::string>{"pact-service-ai"});
}

TEST_CASE("the RFC 7515 appendix A.1 HS256 signature verifies") {
  const std::string jwt
    = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
      "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
      "bS9pc19yb290Ijp0cnVlfQ."
      "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  auto key = base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                              "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(key);
  verifier_config config;
  config.issuer = "joe";
  config.hmac_secret = *key;
  // The signature and issuer pass; the example simply has no aud claim.
  auto result = verify_token(jwt, config, 1300819380 - 60);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "token is missing the aud claim");
  config.hmac_secret = "another key";
  CHECK(verify_token(jwt, config, 1300819380 - 60).error
        == "token signature is invalid");
}

// -- signature ---------------------------------------------------------------

TEST_CASE("a tampered payload is refused") {
  auto claims = alice();
  auto jwt = sign_hs256(claims, secret);
  claims.groups = {"pact-platform-admin"};
  auto forged = sign_hs256(claims, secret);
  // Graft the forged payload onto the genuine header and signature.
  auto first = jwt.find('.');
  auto last = jwt.rfind('.');
  auto tampered = jwt.substr(0, first)
                  + forged.substr(first, forged.rfind('.') - first)
                  + jwt.substr(last);
  CHECK(verify_error(tampered) == "token signature is invalid");
  CHECK(verify_error(flip(jwt, first + 5)) == "token signature is invalid");
}

TEST_CASE("a tampered signature is refused") {
  auto jwt = sign_hs256(alice(), secret);
  auto last = jwt.rfind('.');
  CHECK(verify_error(flip(jwt, last + 3)) == "token signature is invalid");
  // Truncated and empty signatures.
  CHECK(verify_error(jwt.substr(0, jwt.size() - 4))
        == "token signature is invalid");
  CHECK(verify_error(jwt.substr(0, last + 1)) == "token signature is invalid");
  CHECK(verify_error(jwt.substr(0, last + 1) + "!!!!")
        == "malformed token: signature is not base64url");
}

TEST_CASE("a token signed with another secret is refused") {
  auto jwt = sign_hs256(alice(), "some-other-secret");
  CHECK(verify_error(jwt) == "token signature is invalid");
}

TEST_CASE("with no secret configured every token is refused") {
  verifier_config config;
  auto result = verify_token(sign_hs256(alice(), secret), config, t0);
  CHECK_FALSE(result.ok);
  CHECK(result.error == "no token verifier configured");
}

// -- algorithm ---------------------------------------------------------------

TEST_CASE("alg none is always refused") {
  auto payload = payload_with(R"(,"exp":1700003600)");
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    CAPTURE(alg);
    auto header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
    auto unsigned_jwt = base64url_encode(header) + "."
                        + base64url_encode(payload) + ".";
    auto error = verify_error(unsigned_jwt);
    CHECK(error
          == "token algorithm 'none' is refused: unsigned tokens are never "
             "accepted");
    // Even with a signature attached, and even with no verifier configured.
    CHECK(verify_error(craft(header, payload)) == error);
    CHECK(verify_token(unsigned_jwt, verifier_config{}, t0).error == error);
  }
}

TEST_CASE("algorithms without their verifier are refused") {
  auto payload = payload_with(R"(,"exp":1700003600)");
  CHECK(verify_error(craft(R"({"alg":"RS256","typ":"JWT"})", payload))
        == "token algorithm RS256 needs the identity provider's keys, and no "
           "JWKS is configured (set PACT_OIDC_JWKS_URL, or PACT_OIDC_ISSUER "
           "to the provider's https URL)");
  CHECK(verify_error(craft(R"({"alg":"ES256"})", payload))
        == "token algorithm ES256 needs the identity provider's keys, and no "
           "JWKS is configured (set PACT_OIDC_JWKS_URL, or PACT_OIDC_ISSUER "
           "to the provider's https URL)");
  for (const char* alg : {"HS512", "hs256", "RS384", "ES512", "EdDSA"}) {
    CAPTURE(alg);
    CHECK(verify_error(craft(std::string(R"({"alg":")") + alg + "\"}", payload))
          == std::string("unsupported algorithm ") + alg
               + " (pact verifies RS256, PS256 and ES256, and HS256 in "
                 "development mode)");
  }
  CHECK(verify_error(craft(R"({"typ":"JWT"})", payload))
        == "malformed token: header has no alg");
  CHECK(verify_error(craft(R"({"alg":256})", payload))
        == "malformed token: header has no alg");
  CHECK(verify_error(craft(R"({"alg":"HS256","crit":["exp"]})", payload))
        == "token header lists critical extensions pact does not support");
}

// -- time --------------------------------------------------------------------

TEST_CASE("an expired token is refused with its expiry time") {
  auto claims = alice();
  claims.expires_at = 1795341600; // 2026-11-22T10:00:00Z
  auto jwt = sign_hs256(claims, secret);
  CHECK(verify_error(jwt, 1795341600 + 3600)
        == "token expired at 2026-11-22T10:00:00Z");
  claims.expires_at = 951827696;
  CHECK(verify_error(sign_hs256(claims, secret), 1795341600)
        == "token expired at 2000-02-29T12:34:56Z");
  claims.not_before = 0;
  claims.issued_at = 0;
  claims.expires_at = 0;
  CHECK(verify_error(sign_hs256(claims, secret), 100)
        == "token expired at 1970-01-01T00:00:00Z");
}

TEST_CASE("a token whose nbf is in the future is refused") {
  auto claims = alice();
  claims.not_before = 1795341600;
  claims.expires_at = 1795341600 + 3600;
  CHECK(verify_error(sign_hs256(claims, secret), t0)
        == "token is not valid before 2026-11-22T10:00:00Z");
}

TEST_CASE("leeway applies exactly at the boundary of exp and nbf") {
  auto claims = alice(); // nbf = t0, exp = t0 + 3600
  auto jwt = sign_hs256(claims, secret);
  auto config = dev_config(); // leeway 30 s
  CHECK(verify_token(jwt, config, t0 + 3600 + 29).ok);
  CHECK_FALSE(verify_token(jwt, config, t0 + 3600 + 30).ok);
  CHECK(verify_token(jwt, config, t0 - 30).ok);
  CHECK_FALSE(verify_token(jwt, config, t0 - 31).ok);

  config.leeway_seconds = 0;
  CHECK(verify_token(jwt, config, t0 + 3599).ok);
  CHECK_FALSE(verify_token(jwt, config, t0 + 3600).ok);
  CHECK(verify_token(jwt, config, t0).ok);
  CHECK_FALSE(verify_token(jwt, config, t0 - 1).ok);

  config.leeway_seconds = -100; // treated as 0
  CHECK_FALSE(verify_token(jwt, config, t0 + 3600).ok);
  CHECK(verify_token(jwt, config, t0 + 3599).ok);
}

TEST_CASE("exp is required and must be a number") {
  CHECK(verify_error(craft(hs256_header, payload_with("")))
        == "token is missing the exp claim");
  CHECK(verify_error(craft(hs256_header, payload_with(R"(,"exp":"soon")")))
        == "token exp claim is not a time in seconds");
  CHECK(verify_error(craft(hs256_header, payload_with(R"(,"exp":1e300)")))
        == "token exp claim is outside 1970-01-01 .. 9999-12-31");
  CHECK(verify_error(
          craft(hs256_header, payload_with(R"(,"exp":18446744073709551615)")))
        == "token exp claim is outside 1970-01-01 .. 9999-12-31");
  CHECK(verify_error(
          craft(hs256_header, payload_with(R"(,"exp":1700003600,"nbf":null)")))
        == "token nbf claim is not a time in seconds");
}

// -- time claims (RFC 7519 §2 NumericDate, §4.1.4-6)
// ---------------------------

namespace {

std::string with_times(const std::string& times) {
  return verify_error(craft(hs256_header, payload_with("," + times)));
}

} // namespace

TEST_CASE("exp, nbf and iat must be JSON numbers") {
  for (auto claim : {"exp", "nbf", "iat"})
    for (auto value :
         {R"("1700003600")", "true", "false", "null", "[1]", R"({"t":1})"}) {
      std::string times = claim == std::string("exp")
                            ? R"("exp":)" + std::string(value)
                            : R"("exp":1700003600,")" + std::string(claim)
                                + R"(":)" + value;
      CHECK_MESSAGE(with_times(times)
                      == "token " + std::string(claim)
                           + " claim is not a time in seconds",
                    times);
    }
}

TEST_CASE("times outside 1970 .. 9999 are refused, not wrapped") {
  const std::string outside = " claim is outside 1970-01-01 .. 9999-12-31";
  for (auto value : {"9223372036854775807", "-9223372036854775808", "-1",
                     "-0.5", "253402300800", "1e19", "-1e300", "1.7e308"}) {
    CHECK_MESSAGE(with_times(R"("exp":)" + std::string(value))
                    == "token exp" + outside,
                  value);
    CHECK_MESSAGE(with_times(R"("exp":1700003600,"nbf":)" + std::string(value))
                    == "token nbf" + outside,
                  value);
    CHECK_MESSAGE(with_times(R"("exp":1700003600,"iat":)" + std::string(value))
                    == "token iat" + outside,
                  value);
  }
  // Fractions are allowed by RFC 7519 §2 and are rounded down.
  auto result = verify_token(
    craft(hs256_header,
          payload_with(R"(,"exp":1700003600.75,"iat":1699999999.5)")),
    dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.expires_at == 1700003600);
  CHECK(result.claims.issued_at == 1699999999);
}

TEST_CASE("a token issued in the future is refused beyond the leeway") {
  CHECK(with_times(R"("exp":1700003600,"iat":1700000031)")
        == "token was issued in the future (iat 2023-11-14T22:13:51Z)");
  CHECK(verify_token(craft(hs256_header, payload_with(R"(,"exp":1700003600,)"
                                                      R"("iat":1700000030)")),
                     dev_config(), t0)
          .ok);
}

TEST_CASE("a lifetime beyond the configured maximum is refused") {
  auto config = dev_config(); // max 86400 s
  auto claims = alice();      // iat t0
  claims.expires_at = t0 + 86400;
  CHECK(verify_token(sign_hs256(claims, secret), config, t0).ok);
  claims.expires_at = t0 + 86401;
  CHECK(verify_token(sign_hs256(claims, secret), config, t0).error
        == "token lifetime of 86401 s (iat to exp) exceeds the maximum of "
           "86400 s (oidc.max_token_lifetime_seconds)");
  // Measured from iat, not from now: an old long-lived token stays refused
  // even when little of it is left.
  claims.issued_at = t0 - 86400;
  claims.not_before = 0;
  claims.expires_at = t0 + 10;
  CHECK_FALSE(verify_token(sign_hs256(claims, secret), config, t0).ok);
  // Without iat, from now to exp.
  CHECK(with_times(R"("exp":1700086401)")
        == "token without iat expires in 86401 s, which exceeds the maximum "
           "of 86400 s (oidc.max_token_lifetime_seconds)");
  CHECK(verify_token(craft(hs256_header, payload_with(R"(,"exp":1700086400)")),
                     config, t0)
          .ok);
  // The latest time accepted is still far beyond any sane lifetime.
  CHECK(with_times(R"("exp":253402300799)")
        == "token without iat expires in " + std::to_string(253402300799 - t0)
             + " s, which exceeds the maximum of 86400 s "
               "(oidc.max_token_lifetime_seconds)");
  // The bound is configurable.
  config.max_lifetime_seconds = 600;
  claims = alice();
  claims.expires_at = t0 + 601;
  CHECK(verify_token(sign_hs256(claims, secret), config, t0).error
        == "token lifetime of 601 s (iat to exp) exceeds the maximum of "
           "600 s (oidc.max_token_lifetime_seconds)");
  claims.expires_at = t0 + 600;
  CHECK(verify_token(sign_hs256(claims, secret), config, t0).ok);
}

// -- issuer and audience -----------------------------------------------------

TEST_CASE("a token from another issuer is refused") {
  auto claims = alice();
  claims.issuer = "https://idp.example.org";
  CHECK(verify_error(sign_hs256(claims, secret))
        == "token issuer 'https://idp.example.org' is not the configured "
           "issuer 'pact-dev'");
  auto payload = R"({"sub":"alice","aud":"pact","exp":1700003600})";
  CHECK(verify_error(craft(hs256_header, payload))
        == "token is missing the iss claim");
}

TEST_CASE("a token for another audience is refused") {
  auto claims = alice();
  claims.audience = "grafana";
  CHECK(verify_error(sign_hs256(claims, secret))
        == "token audience 'grafana' is not the configured audience 'pact'");
  auto config = dev_config();
  config.audience = "grafana";
  CHECK(verify_token(sign_hs256(claims, secret), config, t0).ok);
}

TEST_CASE("aud may be an array that contains the audience") {
  auto make = [](const std::string& aud) {
    return craft(hs256_header,
                 R"({"sub":"alice","iss":"pact-dev","exp":1700003600,"aud":)"
                   + aud + "}");
  };
  auto result = verify_token(make(R"(["a","pact","b"])"), dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.audience == "pact");
  CHECK(verify_error(make(R"(["a","b"])"))
        == "token audience ['a', 'b'] does not include the configured "
           "audience 'pact'");
  CHECK(verify_error(make("[]"))
        == "token audience [] does not include the configured audience "
           "'pact'");
  CHECK(verify_error(make("42"))
        == "token aud claim is not a string or a list of strings");
}

TEST_CASE("an aud array holding anything but strings is refused") {
  auto make = [](const std::string& aud) {
    return craft(hs256_header,
                 R"({"sub":"alice","iss":"pact-dev","exp":1700003600,"aud":)"
                   + aud + "}");
  };
  // Even when the configured audience is in it (RFC 7519 §4.1.3).
  for (auto aud : {R"(["pact",1])", R"([null,"pact"])", R"(["pact",["pact"]])",
                   R"(["pact",{"a":"pact"}])", R"(["pact",true])"})
    CHECK_MESSAGE(verify_error(make(aud))
                    == "token aud claim is not a string or a list of strings",
                  aud);
  CHECK(verify_error(make("null"))
        == "token aud claim is not a string or a list of strings");
  CHECK(verify_error(make(R"({"aud":"pact"})"))
        == "token aud claim is not a string or a list of strings");
}

TEST_CASE("iss and sub must be strings") {
  for (auto iss : {"1", "null", "true", R"(["pact-dev"])", R"({"a":1})"})
    CHECK(verify_error(
            craft(hs256_header, std::string(R"({"sub":"alice","aud":"pact",)")
                                  + R"("exp":1700003600,"iss":)" + iss + "}"))
          == "token iss claim is not a string");
  for (auto sub : {"1", "null", "false", R"(["alice"])"})
    CHECK(verify_error(craft(hs256_header,
                             std::string(R"({"iss":"pact-dev","aud":"pact",)")
                               + R"("exp":1700003600,"sub":)" + sub + "}"))
          == "token sub claim is not a string");
}

// -- subject, groups ---------------------------------------------------------

TEST_CASE("sub is required and groups must be strings") {
  auto claims = alice();
  claims.subject = "";
  CHECK(verify_error(sign_hs256(claims, secret)) == "token sub claim is empty");
  auto no_sub = R"({"iss":"pact-dev","aud":"pact","exp":1700003600})";
  CHECK(verify_error(craft(hs256_header, no_sub))
        == "token is missing the sub claim");
  for (auto groups :
       {R"([1])", R"(["pact-ops-ml",null])", R"("pact-ops-ml")",
        R"({"g":"pact-ops-ml"})", "true", "null", R"([["pact-ops-ml"]])"})
    CHECK_MESSAGE(
      verify_error(craft(hs256_header, payload_with(R"(,"exp":1700003600,)"
                                                    R"("groups":)"
                                                    + std::string(groups))))
        == "token groups claim is not a list of strings",
      groups);
  auto result = verify_token(
    craft(hs256_header,
          payload_with(R"(,"exp":1700003600,"groups":["pact-ops-ml"])")),
    dev_config(), t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.groups == std::vector<std::string>{"pact-ops-ml"});
}

TEST_CASE("roles come from the configured roles claim") {
  auto jwt = craft(hs256_header,
                   payload_with(R"(,"exp":1700003600,"groups":["g"],)"
                                R"("roles":["pact-platform-admin"])"));
  auto config = dev_config();
  config.roles_claim = "roles";
  auto result = verify_token(jwt, config, t0);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.claims.groups
        == std::vector<std::string>{"pact-platform-admin"});
}

// -- malformed input ---------------------------------------------------------

TEST_CASE("malformed tokens are refused with a precise reason") {
  const std::string parts = "malformed token: expected three dot-separated "
                            "parts";
  auto jwt = sign_hs256(alice(), secret);
  CHECK(verify_error("") == parts);
  CHECK(verify_error("abc") == parts);
  CHECK(verify_error(jwt.substr(0, jwt.rfind('.'))) == parts);
  CHECK(verify_error(jwt + ".x") == parts);
  CHECK(verify_error("..") == "malformed token: header is not a JSON object");
  CHECK(verify_error("!!!." + jwt.substr(jwt.find('.') + 1))
        == "malformed token: header is not base64url");
  CHECK(verify_error(craft("not json", "{}"))
        == "malformed token: header is not a JSON object");
  CHECK(verify_error(craft(R"(["alg","HS256"])", "{}"))
        == "malformed token: header is not a JSON object");
  CHECK(verify_error(craft(hs256_header, "not json"))
        == "malformed token: payload is not a JSON object");
  CHECK(verify_error(craft(hs256_header, "[1,2]"))
        == "malformed token: payload is not a JSON object");
  // A correctly signed payload segment that is not base64url.
  auto header = base64url_encode(hs256_header);
  auto input = header + ".e30=";
  CHECK(verify_error(input + "." + hmac_b64(secret, input))
        == "malformed token: payload is not base64url");
  CHECK(verify_error(std::string(20000, 'a'))
        == "malformed token: longer than 16384 bytes");
}

TEST_CASE("error messages do not echo control characters") {
  auto claims = alice();
  claims.issuer = "evil\n2026 admin login ok";
  auto error = verify_error(sign_hs256(claims, secret));
  CHECK(error.find('\n') == std::string::npos);
  CHECK(error
        == "token issuer 'evil?2026 admin login ok' is not the configured "
           "issuer 'pact-dev'");
}

// -- secrets -----------------------------------------------------------------

TEST_CASE("generate_secret returns distinct base64url secrets") {
  auto a = generate_secret();
  auto b = generate_secret();
  CHECK(a.size() == 43); // 32 bytes, unpadded
  CHECK(a != b);
  auto raw = base64url_decode(a);
  REQUIRE(raw);
  CHECK(raw->size() == 32);
  CHECK(generate_secret(16).size() == 22);
  CHECK(generate_secret(0).empty());
  CHECK(generate_secret(100000).empty());
  // A generated secret works end to end.
  auto config = dev_config();
  config.hmac_secret = a;
  CHECK(verify_token(sign_hs256(alice(), a), config, t0).ok);
}
