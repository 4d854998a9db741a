// Enrollment through the gateway (issue 16; gateway_enroll.cpp): a replica
// and a gateway on the test coordinator (journal_fixture.hpp). The test
// plays the operator (`pact enroll`, whose answer carries the one-time
// token) and the node's agent (a certificate request with the token and no
// bearer token, then a renewal with its node credential).

#include <doctest/doctest.h>

#include "runtime/journal/node_ca.hpp"
#include "runtime/pki/pki.hpp"
#include "runtime/policy/token.hpp"
#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using namespace pact::protocol;

namespace {

const std::string secret = "enroll-gateway-test-secret-0123456789";
const std::string hw = "uuid:4c4c4544-0042-3510-8051-b4c04f4e4d32";

std::shared_ptr<journal::node_ca> test_ca() {
  auto m = journal::ephemeral_node_ca(1'700'000'000);
  REQUIRE(m);
  return std::make_shared<journal::node_ca>(std::move(*m), 3600);
}

struct fixture : journal::test::journal_fixture {
  std::shared_ptr<journal::node_ca> ca;

  fixture() : fixture(test_ca()) {
  }

  explicit fixture(std::shared_ptr<journal::node_ca> c)
    : journal_fixture(gateway_of(c)), ca(std::move(c)) {
  }

  static journal::gateway_config
  gateway_of(std::shared_ptr<journal::node_ca> c) {
    journal::gateway_config gc;
    gc.verifier.hmac_secret = secret;
    gc.node_ca = std::move(c);
    return gc;
  }

  std::string token_for(const std::string& sub,
                        std::vector<std::string> groups) {
    policy::token_claims claims;
    claims.subject = sub;
    claims.issuer = "pact-dev";
    claims.audience = "pact";
    claims.groups = std::move(groups);
    claims.expires_at = wall->now_unix_ms() / 1000 + 3600;
    return policy::sign_hs256(claims, secret);
  }

  /// Sends one request (with `bearer` unless empty) through the gateway.
  Response call(Request req, const std::string& bearer) {
    req.set_version(PROTOCOL_VERSION_1);
    req.set_token(bearer);
    auto a = ask<std::string>(gateway, api_atom::value,
                              req.SerializeAsString());
    REQUIRE(a->done);
    REQUIRE_MESSAGE(!a->err, caf::to_string(a->err));
    Response resp;
    REQUIRE(resp.ParseFromString(std::get<0>(a->value)));
    return resp;
  }

  std::string admin() {
    return token_for("root@site", {"pact-platform-admin"});
  }

  Response command(JournalCommand cmd, const std::string& bearer) {
    Request req;
    *req.mutable_command()->mutable_command() = std::move(cmd);
    return call(req, bearer);
  }

  /// `pact enroll NODE --vcluster ml`: the token it printed.
  std::string enroll(const std::string& node) {
    JournalCommand c;
    c.set_kind(COMMAND_KIND_NODE_ENROLL);
    c.mutable_scope()->set_node(node);
    c.set_vcluster("ml");
    // A hash in the body is the client's: replaced by the gateway's own.
    c.set_enroll_token_sha256(std::string(32, 'x'));
    auto resp = command(c, admin());
    REQUIRE_MESSAGE(resp.status().code() == STATUS_CODE_OK,
                    resp.status().message());
    return resp.command_reply().enroll_token();
  }

  Response csr(const std::string& node, const std::string& token,
               const std::string& bearer = {},
               const std::string& hardware = hw) {
    auto key = pki::generate_key();
    REQUIRE(key);
    auto pem = pki::make_csr(*key, node);
    REQUIRE(pem);
    Request req;
    auto* e = req.mutable_enroll();
    e->set_node(node);
    e->set_hardware_id(hardware);
    e->set_csr_pem(*pem);
    e->set_enroll_token(token);
    return call(req, bearer);
  }

  NodeRecord record(const std::string& node) {
    Request req;
    req.mutable_state()->set_node(node);
    auto resp = call(req, admin());
    REQUIRE(resp.status().code() == STATUS_CODE_OK);
    REQUIRE(resp.state_reply().nodes_size() == 1);
    return resp.state_reply().nodes(0);
  }
};

void apply_ml(fixture& f) {
  JournalCommand c;
  c.set_kind(COMMAND_KIND_OVERLAY_APPLY);
  c.mutable_scope()->set_global(true);
  auto* o = c.add_overlays();
  o->set_vcluster("ml");
  o->mutable_attributes()->set_base_image("rocky9");
  auto resp = f.command(c, f.admin());
  REQUIRE_MESSAGE(resp.status().code() == STATUS_CODE_OK,
                  resp.status().message());
}

} // namespace

TEST_CASE("enroll, first certificate with the token alone, renewal with the "
          "node credential") {
  fixture f;
  apply_ml(f);
  auto token = f.enroll("n1");
  CHECK(token.rfind("pact-enroll-", 0) == 0);
  auto rec = f.record("n1");
  CHECK(rec.enrollment().state() == ENROLLMENT_STATE_REGISTERED);
  CHECK(rec.enrollment().token_sha256().empty()); // never leaves the journal
  // The first request: no bearer token at all.
  auto first = f.csr("n1", token);
  REQUIRE_MESSAGE(first.status().code() == STATUS_CODE_OK,
                  first.status().message());
  const auto& reply = first.enroll_reply();
  CHECK(reply.ca_pem() == f.ca->current()->ca.cert_pem);
  auto v = pki::verify_cert(reply.cert_pem(), reply.ca_pem(),
                            f.wall->now_unix_ms() / 1000);
  REQUIRE(v);
  CHECK(v->common_name == "n1");
  CHECK(reply.not_after_unix_ms() == v->not_after_unix_s * 1000);
  rec = f.record("n1");
  CHECK(rec.enrollment().state() == ENROLLMENT_STATE_ACTIVE);
  CHECK(rec.enrollment().hardware_id() == hw);
  CHECK(rec.enrollment().cert_serial() == v->serial_hex);
  // The token works once.
  auto again = f.csr("n1", token);
  CHECK(again.status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(again.status().message()
        == "enrollment: invalid or already used enrollment token");
  // A renewal: the node's own credential.
  auto node_cred = f.token_for("n1", {"pact-node"});
  auto renew = f.csr("n1", "", node_cred);
  REQUIRE_MESSAGE(renew.status().code() == STATUS_CODE_OK,
                  renew.status().message());
  CHECK(f.record("n1").enrollment().csr_sha256_size() == 2);
  // ... not another node's, nor an operator's.
  auto other = f.csr("n1", "", f.token_for("n2", {"pact-node"}));
  CHECK(other.status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(other.status().message().find("a renewal needs the node's own "
                                      "credential")
        != std::string::npos);
  auto admin_renew = f.csr("n1", "", f.admin());
  CHECK(admin_renew.status().code() == STATUS_CODE_UNAUTHORIZED);
  // No token and no credential: refused by authentication.
  auto anonymous = f.csr("n1", "");
  CHECK(anonymous.status().code() == STATUS_CODE_UNAUTHORIZED);
  // Other hardware.
  auto moved = f.csr("n1", "", node_cred, "mac:aa:bb:cc:dd:ee:ff");
  CHECK(moved.status().message() == "enrollment: hardware mismatch");
}

TEST_CASE("refusals before signing, and the CA bundle") {
  fixture f;
  apply_ml(f);
  auto token = f.enroll("n1");
  auto wrong_name = f.csr("n9", token);
  CHECK(wrong_name.status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(wrong_name.status().message().rfind("enrollment: unknown node n9", 0)
        == 0);
  Request bad;
  bad.mutable_enroll()->set_node("n1");
  bad.mutable_enroll()->set_hardware_id(hw);
  bad.mutable_enroll()->set_csr_pem("garbage");
  bad.mutable_enroll()->set_enroll_token(token);
  auto malformed = f.call(bad, "");
  CHECK(malformed.status().code() == STATUS_CODE_UNAUTHORIZED);
  CHECK(malformed.status().message().rfind("enrollment: malformed CSR", 0)
        == 0);
  // The token was not used up by the refusals.
  CHECK(f.csr("n1", token).status().code() == STATUS_CODE_OK);
  // A client may not record a certificate itself.
  JournalCommand act;
  act.set_kind(COMMAND_KIND_NODE_ACTIVATE);
  act.mutable_scope()->set_node("n1");
  auto forged = f.command(act, f.admin());
  CHECK(forged.status().code() == STATUS_CODE_UNAUTHORIZED);
  // The CA bundle: public (an agent asks before it has a credential), so
  // any caller, with or without a token, gets the same certificate.
  Request bundle;
  bundle.mutable_ca_bundle();
  auto b = f.call(bundle, f.token_for("vic@site", {"pact-viewer-ml"}));
  REQUIRE(b.status().code() == STATUS_CODE_OK);
  CHECK(b.ca_bundle_reply().ca_pem() == f.ca->current()->ca.cert_pem);
  auto anon = f.call(bundle, "");
  REQUIRE(anon.status().code() == STATUS_CODE_OK);
  CHECK(anon.ca_bundle_reply().ca_pem() == f.ca->current()->ca.cert_pem);
  CHECK(anon.ca_bundle_reply().ca_pem().find("PRIVATE") == std::string::npos);
}

TEST_CASE("without a node CA the gateway signs nothing") {
  fixture f(nullptr);
  apply_ml(f);
  auto token = f.enroll("n1");
  auto r = f.csr("n1", token);
  CHECK(r.status().code() == STATUS_CODE_ERROR);
  CHECK(r.status().message().find("no node CA") != std::string::npos);
}
