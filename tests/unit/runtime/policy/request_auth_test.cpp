// The request authentication seam: envelope checks, token verification and
// the verified-token cache honouring expiry.

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include "runtime/common/schemas.hpp"
#include "runtime/policy/dev_credentials.hpp"
#include "runtime/policy/request_auth.hpp"

using namespace pact;
using namespace pact::policy;

namespace {

std::string token_for(int64_t now, int64_t lifetime, const std::string& key) {
  token_claims c;
  c.subject = "alice";
  c.issuer = "pact-dev";
  c.audience = "pact";
  c.groups = {"pact-ops-ml"};
  c.issued_at = now;
  c.expires_at = now + lifetime;
  return sign_hs256(c, key);
}

protocol::Request request_with(const std::string& token) {
  protocol::Request r;
  r.set_version(protocol::PROTOCOL_VERSION_1);
  r.set_token(token);
  return r;
}

} // namespace

TEST_CASE("envelopes are size- and version-checked") {
  protocol::Request r;
  r.set_version(protocol::PROTOCOL_VERSION_1);
  CHECK(parse_request(r.SerializeAsString()));
  r.set_version(protocol::PROTOCOL_VERSION_UNSPECIFIED);
  auto bad = parse_request(r.SerializeAsString());
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message.find("unsupported protocol version 0") == 0);
  CHECK_FALSE(parse_request("\xff\xff\xff\xff"));
  CHECK_FALSE(parse_request(std::string(max_request_bytes + 1, 'a')));
}

TEST_CASE("node reports are size-checked, parsed and name their node") {
  protocol::NodeReport r;
  r.set_node_id("n1");
  r.set_vcluster("ml");
  auto ok = parse_node_report(r.SerializeAsString());
  REQUIRE(ok);
  CHECK(ok->node_id() == "n1");
  CHECK(ok->vcluster() == "ml");
  auto big = parse_node_report(std::string(max_request_bytes + 1, 'a'));
  REQUIRE_FALSE(big);
  CHECK(big.err().message
        == "node report of 4194305 bytes exceeds the limit of 4194304 bytes");
  auto junk = parse_node_report("\xff\xff\xff\xff");
  REQUIRE_FALSE(junk);
  CHECK(junk.err().message == "malformed node report: not a pact NodeReport");
  r.clear_node_id();
  auto nameless = parse_node_report(r.SerializeAsString());
  REQUIRE_FALSE(nameless);
  CHECK(nameless.err().message == "node report names no node");
}

TEST_CASE("identity and roles come from the verified token only") {
  verifier_config cfg;
  cfg.hmac_secret = "k";
  auto who = authenticate(request_with(token_for(1000, 600, "k")), cfg, 1000);
  REQUIRE(who);
  CHECK(who->claims.subject == "alice");
  REQUIRE(who->roles.size() == 1);
  CHECK(who->roles[0].vcluster == "ml");
  auto none = authenticate(request_with(""), cfg, 1000);
  REQUIRE_FALSE(none);
  CHECK(none.err().code == exit_code::auth_failure);
  CHECK(none.err().message.find("No auth token found") == 0);
  auto forged = authenticate(request_with(token_for(1000, 600, "other")), cfg,
                             1000);
  REQUIRE_FALSE(forged);
  CHECK(forged.err().code == exit_code::auth_failure);
}

TEST_CASE("a request marked ai_agent is an AI principal whatever its token") {
  verifier_config cfg;
  cfg.hmac_secret = "k";
  token_cache cache;
  auto req = request_with(token_for(1000, 600, "k"));
  auto human = authenticate(req, cfg, 1000, &cache);
  REQUIRE(human);
  CHECK(human->claims.principal_type == "human");
  req.set_ai_agent(true);
  auto ai = authenticate(req, cfg, 1000, &cache);
  REQUIRE(ai);
  CHECK(ai->claims.principal_type == "agent");
  CHECK(ai->claims.subject == "alice");
  // The mark does not stick to the cached token.
  req.set_ai_agent(false);
  auto again = authenticate(req, cfg, 1000, &cache);
  REQUIRE(again);
  CHECK(again->claims.principal_type == "human");
  // The decision then applies the AI rules (decision_test covers them).
}

TEST_CASE("the token cache skips re-verification but not expiry") {
  verifier_config cfg;
  cfg.hmac_secret = "k";
  cfg.leeway_seconds = 0;
  token_cache cache;
  auto t = token_for(1000, 100, "k");
  REQUIRE(authenticate(request_with(t), cfg, 1000, &cache));
  CHECK(cache.size() == 1);
  REQUIRE(authenticate(request_with(t), cfg, 1050, &cache));
  auto late = authenticate(request_with(t), cfg, 1100, &cache);
  REQUIRE_FALSE(late);
  CHECK(late.err().message.find("expired") != std::string::npos);
  token_cache tiny(2);
  for (int i = 0; i < 5; ++i)
    REQUIRE(authenticate(request_with(token_for(1000 + i, 100, "k")), cfg,
                         1000 + i, &tiny));
  CHECK(tiny.size() <= 4); // two generations of two
}

TEST_CASE("a full token cache keeps the tokens in use, drops idle ones") {
  verifier_config cfg;
  cfg.hmac_secret = "k";
  cfg.leeway_seconds = 0;
  // A verifier whose secret no longer matches: only a cache hit passes.
  auto cached_only = cfg;
  cached_only.hmac_secret = "other";
  token_cache cache(4);
  auto busy = token_for(1000, 5000, "k");
  REQUIRE(authenticate(request_with(busy), cfg, 1000, &cache));
  auto idle = token_for(1000, 999, "k");
  REQUIRE(authenticate(request_with(idle), cfg, 1000, &cache));
  // Many more tokens than the cache holds, the busy one used in between
  // (an agent reporting among thousands booting).
  for (int i = 0; i < 40; ++i) {
    REQUIRE(authenticate(request_with(token_for(1000, 1500 + i, "k")), cfg,
                         2000, &cache));
    CHECK(authenticate(request_with(busy), cached_only, 2000, &cache));
    CHECK(cache.size() <= 8);
  }
  CHECK_FALSE(authenticate(request_with(idle), cached_only, 2000, &cache));
}

TEST_CASE("the lifetime bound comes from each daemon's configuration") {
  auto dir = std::string("/tmp/pact-request-auth-test-")
             + std::to_string(::getpid());
  auto toml = dir + ".toml";
  {
    std::ofstream f(toml);
    f << "[journal.oidc]\nhmac_secret = \"k\"\n"
         "max_token_lifetime_seconds = 600\n";
  }
  config::load_request req;
  req.keys = &config::journal_schema();
  req.file_path = toml;
  req.file_required = true;
  req.env = [](const char*) -> std::optional<std::string> {
    return std::nullopt;
  };
  auto v = config::load(req);
  REQUIRE_MESSAGE(v, v.err().message);
  auto cfg = load_verifier(*v, "journal");
  REQUIRE(cfg);
  CHECK(cfg->max_lifetime_seconds == 600);
  CHECK(authenticate(request_with(token_for(1000, 600, "k")), *cfg, 1000));
  auto long_lived = authenticate(request_with(token_for(1000, 601, "k")), *cfg,
                                 1000);
  REQUIRE_FALSE(long_lived);
  CHECK(long_lived.err().code == exit_code::auth_failure);
  CHECK(long_lived.err().message
        == "authentication failed: token lifetime of 601 s (iat to exp) "
           "exceeds the maximum of 600 s (oidc.max_token_lifetime_seconds)");
  // Unset, both daemons default to a day (docs/configuration.md).
  req.file_path.clear();
  req.file_required = false;
  for (auto* s : {&config::journal_schema(), &config::agent_schema()}) {
    req.keys = s;
    auto d = config::load(req);
    REQUIRE(d);
    auto prefix = s == &config::journal_schema() ? "journal" : "agent";
    CHECK(load_verifier(*d, prefix)->max_lifetime_seconds == 86400);
  }
  std::remove(toml.c_str());
}

TEST_CASE("the development admin token fits the default lifetime bound") {
  auto dir = std::string("/tmp/pact-dev-cred-test-")
             + std::to_string(::getpid());
  auto dev = ensure_dev_credentials(dir, "pact-dev", "pact", 1000);
  REQUIRE(dev);
  std::ifstream in(dev->token_path);
  std::string token;
  std::getline(in, token);
  verifier_config cfg;
  cfg.hmac_secret = dev->secret;
  CHECK(authenticate(request_with(token), cfg, 1000));
  std::remove(dev->token_path.c_str());
  std::remove(dev->secret_path.c_str());
  ::rmdir(dir.c_str());
}
