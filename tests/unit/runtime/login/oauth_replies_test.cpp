#include "runtime/login/oauth_replies.hpp"

#include <doctest/doctest.h>

using namespace pact;
using namespace pact::login;

TEST_CASE("parse_discovery takes the endpoints of the named issuer") {
  auto p = parse_discovery("https://idp.example",
                           R"({"issuer":"https://idp.example",
        "device_authorization_endpoint":"https://idp.example/device/auth",
        "token_endpoint":"https://idp.example/token",
        "revocation_endpoint":"https://idp.example/token/revocation"})");
  REQUIRE(p);
  CHECK(p->device_authorization_endpoint == "https://idp.example/device/auth");
  CHECK(p->token_endpoint == "https://idp.example/token");
  CHECK(p->revocation_endpoint == "https://idp.example/token/revocation");
}

TEST_CASE("parse_discovery refuses another issuer and plain http") {
  auto other = parse_discovery(
    "https://idp.example",
    R"({"issuer":"https://evil.example","token_endpoint":"https://e/t"})");
  REQUIRE_FALSE(other);
  CHECK(other.err().message.find("another issuer") != std::string::npos);
  auto clear = parse_discovery(
    "https://idp.example",
    R"({"issuer":"https://idp.example","token_endpoint":"http://idp/t"})");
  REQUIRE_FALSE(clear);
  CHECK(clear.err().message.find("not https") != std::string::npos);
  CHECK_FALSE(parse_discovery("https://idp.example", "<html>"));
  CHECK_FALSE(parse_discovery("https://idp.example",
                              R"({"issuer":"https://idp.example"})"));
}

TEST_CASE("parse_device_authorization defaults the interval to 5 s") {
  auto d = parse_device_authorization(
    200, R"({"device_code":"dc","user_code":"AB-CD",
             "verification_uri":"https://idp/device","expires_in":600})");
  REQUIRE(d);
  CHECK(d->interval_seconds == 5);
  CHECK(d->expires_in_seconds == 600);
  auto refused = parse_device_authorization(
    400, R"({"error":"invalid_client","error_description":"no such client"})");
  REQUIRE_FALSE(refused);
  CHECK(refused.err().code == exit_code::auth_failure);
  CHECK(refused.err().message.find("invalid_client (no such client)")
        != std::string::npos);
  CHECK_FALSE(parse_device_authorization(200, R"({"device_code":"dc"})"));
}

TEST_CASE("parse_token_reply tells tokens, OAuth errors and garbage apart") {
  auto ok = parse_token_reply(
    200,
    R"({"access_token":"a.b.c","token_type":"bearer","expires_in":300,
        "refresh_token":"r"})",
    "login");
  REQUIRE(ok);
  CHECK(ok->ok);
  CHECK(ok->tokens.expires_in_seconds == 300);
  CHECK(ok->tokens.refresh_token == "r");
  auto pending = parse_token_reply(400, R"({"error":"authorization_pending"})",
                                   "login");
  REQUIRE(pending);
  CHECK_FALSE(pending->ok);
  CHECK(pending->err.code == "authorization_pending");
  CHECK_FALSE(parse_token_reply(502, "<html>bad gateway</html>", "login"));
  CHECK_FALSE(parse_token_reply(200, R"({"token_type":"Bearer"})", "login"));
  auto mac = parse_token_reply(
    200, R"({"access_token":"x","token_type":"mac"})", "login");
  REQUIRE_FALSE(mac);
  // The token itself never appears in an error.
  CHECK(mac.err().message.find("\"x\"") == std::string::npos);
}

TEST_CASE("form_encode escapes reserved bytes") {
  CHECK(form_encode({{"grant_type", "urn:a b"}, {"x", "1&2=3"}})
        == "grant_type=urn%3Aa%20b&x=1%262%3D3");
}

TEST_CASE("describe keeps server text on one line") {
  CHECK(describe({"invalid_grant", "line\nbreak"}).find('\n')
        == std::string::npos);
  CHECK(describe({"", ""}) == "unknown error");
}
