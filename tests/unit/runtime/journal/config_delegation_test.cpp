// config_state_machine: DELEGATION commands (issue 17 item 2,
// docs/delegation.md). A delegated operation's request is authorized like
// a write to its node (a lattice backup: to the cluster) and, on a
// two-person vCluster, needs a grant used once; its outcome closes a
// request of the same author and operation. Refusals change nothing
// (harness::refused).

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr int64_t minute = 60 * 1000;

JournalCommand as(JournalCommand c, const std::string& who,
                  const std::vector<std::string>& groups) {
  c.mutable_author()->set_principal(who);
  c.mutable_author()->set_role(groups.empty() ? "" : groups.front());
  auto* roles = c.mutable_author_roles();
  roles->Clear();
  for (const auto& g : groups)
    roles->add_groups(g);
  if (c.approval_id().empty())
    c.set_approval_id("ap-k7qz2m4x");
  return c;
}

JournalCommand request(const std::string& action, const std::string& node,
                       int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_DELEGATION, node_scope(node), ts);
  auto& d = *c.mutable_delegation();
  d.set_action(action);
  d.set_node(node);
  d.set_backend(action == "reboot" || action == "reimage" ? "ochami"
                                                          : "lattice");
  d.set_endpoint("https://lattice:50051");
  d.set_phase("requested");
  return c;
}

JournalCommand outcome(JournalCommand req, uint64_t seq, bool ok,
                       int64_t ts = t0_ms + minute) {
  req.set_timestamp_unix_ms(ts);
  auto& d = *req.mutable_delegation();
  d.set_phase(ok ? "succeeded" : "failed");
  d.set_request_sequence(seq);
  d.set_detail(ok ? R"({"state":"drained"})" : "lattice refused");
  d.clear_grant_id();
  return req;
}

const std::vector<std::string> alice_ops{"pact-ops-ml"};

} // namespace

TEST_CASE("a drain is recorded, authorized like a node write, and closed "
          "by its outcome") {
  auto h = enrolled_in_ml("vm.a", "1");
  auto req = as(request("drain", "n1"), "alice@site", alice_ops);
  req.mutable_delegation()->set_reason("bad DIMM");
  auto seq = h.ok(req);
  auto e = entry_at(h.sm, seq);
  CHECK(e.entry_type() == ENTRY_TYPE_DELEGATION);
  CHECK(e.author().role() == "pact-ops-ml");
  CHECK(e.delegation().reason() == "bad DIMM");
  auto done = h.ok(as(outcome(req, seq, true), "alice@site", alice_ops));
  CHECK(entry_at(h.sm, done).delegation().request_sequence() == seq);
  SUBCASE("only its author records the outcome") {
    h.refused(as(outcome(req, seq, false), "carol@site", alice_ops),
              STATUS_CODE_UNAUTHORIZED, "requested by alice@site");
  }
  SUBCASE("the outcome names a request of the same operation") {
    auto other = outcome(req, seq, true);
    other.mutable_delegation()->set_action("cordon");
    other.mutable_delegation()->clear_reason();
    h.refused(as(other, "alice@site", alice_ops), STATUS_CODE_INVALID_ARGUMENT,
              "is not the request of this cordon");
    h.refused(as(outcome(req, done + 5, true), "alice@site", alice_ops),
              STATUS_CODE_INVALID_ARGUMENT, "no entry");
  }
}

TEST_CASE("who may delegate what") {
  auto h = enrolled_in_ml("vm.a", "1");
  h.refused(as(request("drain", "n1"), "vic@site", {"pact-viewer-ml"}),
            STATUS_CODE_UNAUTHORIZED, "may not drain nodes of vCluster ml");
  h.refused(as(request("reboot", "n1"), "otto@site", {"pact-ops-hpc"}),
            STATUS_CODE_UNAUTHORIZED, "policy: denied");
  // A node enrolled nowhere: platform admins only.
  h.refused(as(request("cordon", "n9"), "alice@site", alice_ops),
            STATUS_CODE_UNAUTHORIZED, "enrolled in no vCluster");
  h.ok(as(request("cordon", "n9"), "root@site", {"pact-platform-admin"}));
  // A lattice backup is cluster-wide: platform admins only.
  auto backup = make_cmd(COMMAND_KIND_DELEGATION, global_scope());
  auto& d = *backup.mutable_delegation();
  d.set_action("backup.create");
  d.set_path("/var/backups/lattice.bin");
  d.set_backend("lattice");
  d.set_phase("requested");
  h.refused(as(backup, "alice@site", alice_ops), STATUS_CODE_UNAUTHORIZED,
            "back up lattice's state");
  h.ok(as(backup, "root@site", {"pact-platform-admin"}));
}

TEST_CASE("malformed delegations are refused") {
  auto h = enrolled_in_ml("vm.a", "1");
  auto base = as(request("drain", "n1"), "alice@site", alice_ops);
  auto bad = base;
  bad.mutable_delegation()->set_action("cancel-dag");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "unknown action");
  bad = base;
  bad.mutable_delegation()->set_node("n2");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "names its node");
  bad = base;
  bad.mutable_delegation()->set_backend("csm");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "goes to lattice");
  bad = base;
  bad.mutable_delegation()->set_force(true);
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "--force belongs");
  bad = base;
  bad.mutable_delegation()->set_phase("done");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "phase must be");
  bad = base;
  bad.mutable_delegation()->set_reason(std::string(1025, 'x'));
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "too long");
}

TEST_CASE("on a two-person vCluster a delegation needs a grant, used once") {
  auto h = enrolled_in_ml("vm.a", "1");
  auto p = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  p.mutable_policy()->set_two_person_approval(true);
  p.mutable_policy()->set_approval_timeout_seconds(1800);
  h.ok(p);
  auto req = as(request("drain", "n1"), "alice@site", alice_ops);
  req.mutable_delegation()->set_reason("fw");
  auto r = h.sm.execute(req);
  CHECK(r.status().code() == STATUS_CODE_POLICY_REJECTED);
  CHECK(r.status().approval_required());
  CHECK(r.status().message().find("approval required") != std::string::npos);
  // The grant: an agent-action approval for exactly this drain.
  auto ask = make_cmd(COMMAND_KIND_APPROVAL_REQUEST, node_scope("n1"));
  auto* x = ask.mutable_agent_action();
  x->set_node("n1");
  x->set_action("drain");
  x->set_detail("fw");
  REQUIRE(h.run(as(ask, "alice@site", alice_ops)).status().code()
          == STATUS_CODE_OK);
  auto decide = make_cmd(COMMAND_KIND_APPROVAL_DECIDE, global_scope(),
                         t0_ms + minute);
  decide.clear_scope();
  decide.set_approval_id("ap-k7qz2m4x");
  decide.set_approve(true);
  h.ok(as(decide, "bob@site", {"pact-regulated-ml"}));
  auto with_grant = req;
  with_grant.set_timestamp_unix_ms(t0_ms + 2 * minute);
  with_grant.mutable_delegation()->set_grant_id("ap-k7qz2m4x");
  SUBCASE("not for another operation") {
    auto other = with_grant;
    other.mutable_delegation()->set_reason("something else");
    h.refused(other, STATUS_CODE_UNAUTHORIZED, "grants a different action");
  }
  SUBCASE("not for someone else") {
    auto other = as(with_grant, "carol@site", alice_ops);
    h.refused(other, STATUS_CODE_UNAUTHORIZED, "was granted to alice@site");
  }
  SUBCASE("once") {
    auto used = h.run(with_grant);
    REQUIRE(used.status().code() == STATUS_CODE_OK);
    REQUIRE(used.sequences_size() == 2);
    CHECK(entry_at(h.sm, used.sequences(0)).entry_type()
          == ENTRY_TYPE_APPROVAL_DECISION);
    CHECK(entry_at(h.sm, used.sequences(1)).delegation().grant_id()
          == "ap-k7qz2m4x");
    CHECK(h.sm.approval("ap-k7qz2m4x")->state() == APPROVAL_STATE_REDEEMED);
    auto again = with_grant;
    again.set_timestamp_unix_ms(t0_ms + 3 * minute);
    h.refused(again, STATUS_CODE_CONFLICT, "used");
  }
}

TEST_CASE("a grant on a vCluster without two-person approval is refused") {
  auto h = enrolled_in_ml("vm.a", "1");
  auto req = as(request("uncordon", "n1"), "alice@site", alice_ops);
  req.mutable_delegation()->set_grant_id("ap-k7qz2m4x");
  h.refused(req, STATUS_CODE_INVALID_ARGUMENT, "is not needed");
}
