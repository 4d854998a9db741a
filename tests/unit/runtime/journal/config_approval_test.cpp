// config_state_machine: two-person approval and the emergency rules
// (issue 14 items 1-4 and 7). Every refusal with its status and what the
// journal holds afterwards (harness::refused checks nothing changed); the
// approval timeout and the emergency window driven by the leader time in
// the commands (injected time: no clock is read while applying).

#include <doctest/doctest.h>

#include "runtime/journal/deadlines.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr int64_t minute = 60 * 1000;

/// `c` as the gateway proposes it for `who` holding `groups`, with an
/// approval id drawn for it.
JournalCommand as(JournalCommand c, const std::string& who,
                  const std::vector<std::string>& groups,
                  const std::string& approval_id = "ap-k7qz2m4x") {
  c.mutable_author()->set_principal(who);
  c.mutable_author()->set_role(groups.empty() ? "" : groups.front());
  auto* roles = c.mutable_author_roles();
  roles->Clear();
  for (const auto& g : groups)
    roles->add_groups(g);
  if (c.approval_id().empty())
    c.set_approval_id(approval_id);
  return c;
}

JournalCommand at(JournalCommand c, int64_t ts) {
  c.set_timestamp_unix_ms(ts);
  return c;
}

/// vCluster ml with two-person approval (timeout 30 min), node n1 in it;
/// vCluster hpc without.
harness regulated() {
  auto h = enrolled_in_ml("vm.a", "1");
  h.ok(overlay_apply("hpc", {{"vm.a", "1"}}));
  auto p = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  p.mutable_policy()->set_two_person_approval(true);
  p.mutable_policy()->set_approval_timeout_seconds(1800);
  h.ok(p);
  return h;
}

JournalCommand ml_commit(const std::string& value, int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"), ts);
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.a", value);
  c.set_message("raise vm.a");
  return c;
}

JournalCommand decide(const std::string& id, bool approve, int64_t ts,
                      const std::string& msg = {}) {
  JournalCommand c;
  c.set_kind(COMMAND_KIND_APPROVAL_DECIDE);
  c.set_timestamp_unix_ms(ts);
  c.set_approval_id(id);
  c.set_approve(approve);
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_HUMAN);
  c.set_message(msg);
  return c;
}

std::string declared(const harness& h, const std::string& key) {
  for (const auto& i : h.sm.overlay("ml")->items())
    if (i.key() == key)
      return i.value();
  return {};
}

const std::vector<std::string> alice_ops{"pact-ops-ml"};
const std::vector<std::string> bob_regulated{"pact-regulated-ml"};

/// alice's commit held as ap-k7qz2m4x at t0.
harness with_pending() {
  auto h = regulated();
  auto r = h.run(as(ml_commit("2"), "alice@site", alice_ops));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  REQUIRE(r.has_approval());
  return h;
}

} // namespace

TEST_CASE("a write on a two-person vCluster is held as a pending approval") {
  auto h = regulated();
  auto before = h.sm.overlay("ml")->version();
  auto r = h.run(as(ml_commit("2"), "alice@site", alice_ops));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  REQUIRE(r.sequences_size() == 1);
  const auto& a = r.approval();
  CHECK(a.id() == "ap-k7qz2m4x");
  CHECK(a.state() == APPROVAL_STATE_PENDING);
  CHECK(a.requester().principal() == "alice@site");
  CHECK(a.action() == "commit");
  CHECK(a.vclusters_size() == 1);
  CHECK(a.expires_unix_ms() == t0_ms + 1800 * 1000);
  // Nothing applied; the request is an entry and in the state.
  CHECK(declared(h, "vm.a") == "1");
  CHECK(h.sm.overlay("ml")->version() == before);
  auto e = last_of(h.sm);
  CHECK(e.entry_type() == ENTRY_TYPE_PENDING_APPROVAL);
  CHECK(e.approval().id() == "ap-k7qz2m4x");
  CHECK(e.approval().command().state_delta().items_size() == 1);
  REQUIRE(h.sm.approval("ap-k7qz2m4x") != nullptr);
  // hpc has no two-person policy: applied at once.
  auto c = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("hpc"));
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.a", "3");
  auto direct = h.run(as(c, "carol@site", {"pact-ops-hpc"}, "ap-22222222"));
  CHECK(direct.status().code() == STATUS_CODE_OK);
  CHECK_FALSE(direct.has_approval());
}

TEST_CASE("a raw proposal neither passes two-person approval nor another's "
          "emergency") {
  auto h = regulated();
  // Raw: no stamped roles (ProposeRequest, platform admins only).
  h.refused(ml_commit("2"), STATUS_CODE_POLICY_REJECTED,
            "cannot write to a vCluster with two-person approval");
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("why");
  h.ok(as(start, "carol@site", {"pact-ops-ml"}));
  h.refused(node_commit("n1", "vm.b", "1"), STATUS_CODE_CONFLICT,
            "started by carol@site");
}

TEST_CASE("approval by a regulated admin applies the write as its requester") {
  auto h = with_pending();
  auto r = h.run(
    as(decide("ap-k7qz2m4x", true, t0_ms + minute), "bob@site", bob_regulated));
  INFO(r.status().message());
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  REQUIRE(r.sequences_size() == 2);
  CHECK(r.approval().state() == APPROVAL_STATE_APPROVED);
  CHECK(r.approval().decided_by().principal() == "bob@site");
  CHECK(r.approval().result().status().code() == STATUS_CODE_OK);
  CHECK(declared(h, "vm.a") == "2");
  auto decision = entry_at(h.sm, r.sequences(0));
  CHECK(decision.entry_type() == ENTRY_TYPE_APPROVAL_DECISION);
  CHECK(decision.author().principal() == "bob@site");
  CHECK(decision.author().role() == "pact-regulated-ml");
  auto applied = entry_at(h.sm, r.sequences(1));
  CHECK(applied.entry_type() == ENTRY_TYPE_COMMIT);
  CHECK(applied.author().principal() == "alice@site");
  CHECK(applied.message() == "raise vm.a");
  CHECK(applied.timestamp_unix_ms() == t0_ms + minute);
  // A platform admin approves too.
  auto h2 = with_pending();
  h2.ok(as(decide("ap-k7qz2m4x", true, t0_ms + minute), "root@site",
           {"pact-platform-admin"}));
}

TEST_CASE("approval refusals: own request, wrong role, AI, decided, expired") {
  auto h = with_pending();
  SUBCASE("self-approval, even as platform admin") {
    h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + minute), "alice@site",
                 {"pact-platform-admin", "pact-regulated-ml"}),
              STATUS_CODE_UNAUTHORIZED, "may not approve their own request");
  }
  SUBCASE("an operator of the vCluster is not an approver") {
    h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + minute), "carol@site",
                 {"pact-ops-ml"}),
              STATUS_CODE_UNAUTHORIZED, "needs pact-regulated-ml");
  }
  SUBCASE("regulated for another vCluster") {
    h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + minute), "carol@site",
                 {"pact-regulated-hpc"}),
              STATUS_CODE_UNAUTHORIZED, "policy: denied");
  }
  SUBCASE("an AI principal never approves") {
    auto c = as(decide("ap-k7qz2m4x", true, t0_ms + minute), "claude@mcp",
                {"pact-platform-admin"});
    c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_AGENT);
    h.refused(c, STATUS_CODE_UNAUTHORIZED, "AI principals never may");
  }
  SUBCASE("a denial needs a reason") {
    h.refused(as(decide("ap-k7qz2m4x", false, t0_ms + minute), "bob@site",
                 bob_regulated),
              STATUS_CODE_INVALID_ARGUMENT, "needs a reason");
  }
  SUBCASE("decided once") {
    h.ok(as(decide("ap-k7qz2m4x", false, t0_ms + minute, "not in the window"),
            "bob@site", bob_regulated));
    CHECK(declared(h, "vm.a") == "1");
    CHECK(h.sm.approval("ap-k7qz2m4x")->state() == APPROVAL_STATE_DENIED);
    h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + 2 * minute), "root@site",
                 {"pact-platform-admin"}),
              STATUS_CODE_CONFLICT, "was already denied by bob@site");
  }
  SUBCASE("past its deadline") {
    h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + 30 * minute), "bob@site",
                 bob_regulated),
              STATUS_CODE_CONFLICT, "has expired");
  }
  SUBCASE("unknown id") {
    h.refused(as(decide("ap-99999999", true, t0_ms + minute), "bob@site",
                 bob_regulated),
              STATUS_CODE_INVALID_ARGUMENT, "no approval ap-99999999");
  }
}

TEST_CASE("an approval expires by the journal's own command, once due") {
  auto h = with_pending();
  pact::protocol::StateReply st;
  *st.add_approvals() = *h.sm.approval("ap-k7qz2m4x");
  auto dl = deadlines_of(st);
  REQUIRE(dl.size() == 1);
  const auto& d = dl.begin()->second;
  CHECK(d.due_unix_ms == t0_ms + 1800 * 1000);
  CHECK(wait_ms(d, t0_ms) == 1800 * 1000);
  auto expire = expiry_command(d);
  // Not yet due: refused, nothing written.
  h.refused(at(expire, t0_ms + 29 * minute), STATUS_CODE_CONFLICT,
            "not due to expire yet");
  // A client cannot expire one.
  h.refused(as(at(expire, t0_ms + 31 * minute), "root@site",
               {"pact-platform-admin"}),
            STATUS_CODE_UNAUTHORIZED, "may not expire approvals");
  auto seq = h.ok(at(expire, t0_ms + 30 * minute));
  auto e = entry_at(h.sm, seq);
  CHECK(e.entry_type() == ENTRY_TYPE_APPROVAL_DECISION);
  CHECK(e.author().principal() == journal_principal);
  CHECK(e.approval().state() == APPROVAL_STATE_EXPIRED);
  CHECK(declared(h, "vm.a") == "1"); // discarded, never applied
  h.refused(as(decide("ap-k7qz2m4x", true, t0_ms + 31 * minute), "bob@site",
               bob_regulated),
            STATUS_CODE_CONFLICT, "was already expired");
  // Proposed again (a new leader's lagging view): nothing changes.
  auto again = h.run(at(expire, t0_ms + 32 * minute));
  CHECK(again.status().code() == STATUS_CODE_OK);
  CHECK(again.sequences_size() == 0);
  // No deadline remains.
  pact::protocol::StateReply after;
  *after.add_approvals() = *h.sm.approval("ap-k7qz2m4x");
  CHECK(deadlines_of(after).empty());
}

TEST_CASE("an approved write that no longer applies reports its own failure") {
  auto h = regulated();
  auto c = ml_commit("2");
  auto* x = c.add_expect_previous();
  x->set_category(DELTA_CATEGORY_KERNEL);
  x->set_key("vm.a");
  x->set_present(true);
  x->set_value("1");
  h.ok(as(c, "alice@site", alice_ops));
  // Meanwhile a platform admin changes vm.a (approved by bob in turn).
  h.ok(as(ml_commit("5"), "root@site", {"pact-platform-admin"}, "ap-33333333"));
  h.ok(
    as(decide("ap-33333333", true, t0_ms + minute), "bob@site", bob_regulated));
  REQUIRE(declared(h, "vm.a") == "5");
  auto r = h.run(as(decide("ap-k7qz2m4x", true, t0_ms + 2 * minute), "bob@site",
                    bob_regulated));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.sequences_size() == 1); // the decision only
  CHECK(r.approval().state() == APPROVAL_STATE_APPROVED);
  CHECK(r.approval().result().status().code() == STATUS_CODE_CONFLICT);
  CHECK(declared(h, "vm.a") == "5");
}

TEST_CASE("an emergency belongs to its owner") {
  auto h = regulated();
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("GPU ECC errors");
  auto em_seq = h.ok(as(start, "alice@site", alice_ops));
  SUBCASE("the owner writes without a second person, flagged") {
    auto c = node_commit("n1", "vm.b", "7");
    auto r = h.run(as(c, "alice@site", alice_ops));
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    CHECK_FALSE(r.has_approval());
    auto e = last_of(h.sm);
    CHECK(e.entry_type() == ENTRY_TYPE_COMMIT);
    CHECK(e.approval_skipped());
    CHECK(e.emergency_sequence() == em_seq);
  }
  SUBCASE("anyone else's write is refused naming the owner") {
    h.refused(as(node_commit("n1", "vm.b", "7"), "root@site",
                 {"pact-platform-admin"}),
              STATUS_CODE_CONFLICT, "started by alice@site");
  }
  SUBCASE("ending: own, not another's, force by platform admins only") {
    auto end = make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope("n1"));
    h.refused(as(end, "carol@site", {"pact-ops-ml"}), STATUS_CODE_CONFLICT,
              "belongs to alice@site");
    auto force = end;
    force.set_force(true);
    h.refused(as(force, "carol@site", {"pact-ops-ml"}),
              STATUS_CODE_UNAUTHORIZED, "may not force-end alice@site's");
    force.set_message({});
    auto seq = h.ok(as(force, "root@site", {"pact-platform-admin"}));
    auto e = entry_at(h.sm, seq);
    CHECK(e.entry_type() == ENTRY_TYPE_EMERGENCY_END);
    CHECK(e.emergency_forced());
    CHECK(e.emergency_owner().principal() == "alice@site");
    CHECK(e.emergency_reason() == "GPU ECC errors");
    CHECK(e.author().principal() == "root@site");
    CHECK(e.message() == "force-ended alice@site's emergency");
    CHECK(h.sm.node("n1")->state() != NODE_STATE_EMERGENCY);
  }
  SUBCASE("the session actor ends it when the window runs out") {
    const auto& em = *h.sm.emergency(node_scope("n1"));
    CHECK(em.window_ends_unix_ms() == t0_ms + 14400 * 1000LL);
    pact::protocol::StateReply st;
    *st.add_emergencies() = em;
    auto dl = deadlines_of(st);
    REQUIRE(dl.size() == 1);
    auto end = expiry_command(dl.begin()->second);
    h.refused(at(end, t0_ms + 14399 * 1000LL), STATUS_CODE_CONFLICT,
              "has not run out");
    auto seq = h.ok(at(end, t0_ms + 14400 * 1000LL));
    auto e = entry_at(h.sm, seq);
    CHECK(e.emergency_expired());
    CHECK_FALSE(e.emergency_forced());
    CHECK(e.author().principal() == journal_principal);
    CHECK(h.sm.emergency(node_scope("n1")) == nullptr);
  }
}

TEST_CASE("a vCluster emergency covers its nodes") {
  auto h = regulated();
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  start.set_emergency_reason("fabric outage");
  h.ok(as(start, "alice@site", alice_ops));
  CHECK(h.sm.node("n1")->state() == NODE_STATE_EMERGENCY);
  h.refused(as(node_commit("n1", "vm.b", "7"), "carol@site", {"pact-ops-ml"}),
            STATUS_CODE_CONFLICT, "vc:ml is in an emergency");
  auto end = make_cmd(COMMAND_KIND_EMERGENCY_END, vcluster_scope("ml"));
  h.ok(as(end, "alice@site", alice_ops));
  CHECK(h.sm.node("n1")->state() == NODE_STATE_OBSERVE_ONLY);
}

TEST_CASE("emergency start refusals: AI principals, policy") {
  auto h = regulated();
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("why");
  auto ai = as(start, "claude@mcp", {"pact-platform-admin"});
  ai.mutable_author()->set_principal_type(PRINCIPAL_TYPE_AGENT);
  h.refused(ai, STATUS_CODE_UNAUTHORIZED, "AI principals never may");
  auto p = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("hpc"));
  p.mutable_policy()->set_emergency_allowed(false);
  h.ok(p);
  auto hpc = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("hpc"));
  hpc.set_emergency_reason("why");
  h.refused(as(hpc, "root@site", {"pact-platform-admin"}),
            STATUS_CODE_POLICY_REJECTED, "emergency_allowed = false");
}

TEST_CASE("an agent action's approval is a single-use grant for its "
          "requester") {
  auto h = regulated();
  JournalCommand req = make_cmd(COMMAND_KIND_APPROVAL_REQUEST,
                                node_scope("n1"));
  auto* x = req.mutable_agent_action();
  x->set_node("n1");
  x->set_action("exec");
  x->add_argv("systemctl");
  x->add_argv("stop");
  x->add_argv("slurmd");
  auto r = h.run(as(req, "alice@site", alice_ops));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.approval().state() == APPROVAL_STATE_PENDING);
  CHECK(r.approval().action() == "exec");
  // A viewer cannot ask for more than read-only commands.
  auto viewer = as(req, "vic@site", {"pact-viewer-ml"}, "ap-44444444");
  h.refused(viewer, STATUS_CODE_UNAUTHORIZED, "read-only commands");
  h.ok(
    as(decide("ap-k7qz2m4x", true, t0_ms + minute), "bob@site", bob_regulated));
  auto grant = *h.sm.approval("ap-k7qz2m4x");
  CHECK(grant.state() == APPROVAL_STATE_APPROVED);
  CHECK(grant.expires_unix_ms() == t0_ms + minute + 1800 * 1000);
  JournalCommand redeem = make_cmd(COMMAND_KIND_APPROVAL_REDEEM,
                                   node_scope("n1"), t0_ms + 2 * minute);
  redeem.set_approval_id("ap-k7qz2m4x");
  *redeem.mutable_agent_action() = req.agent_action();
  redeem.set_grant_caller("alice@site");
  auto node = as(redeem, "n1", {"pact-node"});
  node.clear_approval_id();
  node.set_approval_id("ap-k7qz2m4x");
  SUBCASE("by someone else") {
    auto other = node;
    other.set_grant_caller("mallory@site");
    h.refused(other, STATUS_CODE_UNAUTHORIZED, "was granted to alice@site");
  }
  SUBCASE("for another command") {
    auto other = node;
    other.mutable_agent_action()->set_argv(2, "sshd");
    h.refused(other, STATUS_CODE_UNAUTHORIZED, "grants a different action");
  }
  SUBCASE("by another node's credential") {
    auto other = as(redeem, "n2", {"pact-node"});
    h.refused(other, STATUS_CODE_UNAUTHORIZED, "policy: denied");
  }
  SUBCASE("once") {
    h.ok(node);
    CHECK(h.sm.approval("ap-k7qz2m4x")->state() == APPROVAL_STATE_REDEEMED);
    h.refused(at(node, t0_ms + 3 * minute), STATUS_CODE_CONFLICT,
              "was already used");
  }
  SUBCASE("within the window") {
    h.refused(at(node, t0_ms + minute + 1800 * 1000), STATUS_CODE_CONFLICT,
              "expired unused");
  }
}

TEST_CASE("the emergency owner's agent action is granted at once") {
  auto h = regulated();
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("debug");
  h.ok(as(start, "alice@site", alice_ops, "ap-55555555"));
  JournalCommand req = make_cmd(COMMAND_KIND_APPROVAL_REQUEST,
                                node_scope("n1"));
  req.mutable_agent_action()->set_node("n1");
  req.mutable_agent_action()->set_action("service.restart");
  req.mutable_agent_action()->set_service("slurmd");
  auto r = h.run(as(req, "alice@site", alice_ops));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.approval().state() == APPROVAL_STATE_APPROVED);
  CHECK(last_of(h.sm).approval_skipped());
  // Someone else asks on her node: refused.
  h.refused(as(req, "carol@site", {"pact-ops-ml"}, "ap-66666666"),
            STATUS_CODE_CONFLICT, "started by alice@site");
}

TEST_CASE("approvals survive a snapshot and a reload") {
  auto h = with_pending();
  auto image = h.sm.snapshot();
  config_state_machine copy;
  REQUIRE(copy.restore(image));
  CHECK(copy.digest() == h.sm.digest());
  REQUIRE(copy.approval("ap-k7qz2m4x") != nullptr);
  CHECK(copy.approval("ap-k7qz2m4x")->state() == APPROVAL_STATE_PENDING);
}

TEST_CASE("an emergency's owner still needs a second person to change the "
          "policy") {
  auto h = regulated();
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  start.set_emergency_reason("quick fix");
  h.ok(as(start, "alice@site", alice_ops, "ap-22222222"));
  auto off = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  off.mutable_policy()->set_two_person_approval(false);
  auto r = h.run(as(off, "alice@site", alice_ops));
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.approval().state() == APPROVAL_STATE_PENDING);
  CHECK(h.sm.policy("ml").two_person_approval());
}

TEST_CASE("emergencies and enrollment, overlap, reasons, unknown nodes") {
  auto h = regulated();
  auto vc_start = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  vc_start.set_emergency_reason("   \t");
  h.refused(as(vc_start, "alice@site", alice_ops), STATUS_CODE_INVALID_ARGUMENT,
            "not only blanks");
  auto ghost = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("ghost"));
  ghost.set_emergency_reason("typo");
  h.refused(as(ghost, "root@site", {"pact-platform-admin"}),
            STATUS_CODE_INVALID_ARGUMENT, "not known to the journal");
  // carol's node emergency, then alice's vCluster emergency over it: no.
  auto node_start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  node_start.set_emergency_reason("node");
  h.ok(as(node_start, "carol@site", {"pact-ops-ml"}, "ap-33333333"));
  vc_start.set_emergency_reason("fabric");
  h.refused(as(vc_start, "alice@site", alice_ops), STATUS_CODE_CONFLICT,
            "node:n1 of vcluster ml is in an emergency started by carol");
  // Her own vCluster emergency over her node: ending the node's keeps the
  // node in the vCluster's.
  h.ok(as(vc_start, "carol@site", {"pact-ops-ml"}, "ap-44444444"));
  h.ok(as(make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope("n1")), "carol@site",
          {"pact-ops-ml"}, "ap-55555555"));
  CHECK(h.sm.node("n1")->state() == NODE_STATE_EMERGENCY);
  // Enrolling into it: others are refused; the owner's node joins it.
  auto en = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n9"));
  en.set_vcluster("ml");
  h.refused(as(en, "root@site", {"pact-platform-admin"}, "ap-66666666"),
            STATUS_CODE_CONFLICT, "vc:ml is in an emergency started by carol");
  auto joined = h.run(as(en, "carol@site", {"pact-ops-ml"}, "ap-77777777"));
  REQUIRE(joined.status().code() == STATUS_CODE_OK);
  CHECK_FALSE(joined.has_approval());
  REQUIRE(h.sm.node("n9") != nullptr);
  CHECK(h.sm.node("n9")->state() == NODE_STATE_EMERGENCY);
  h.ok(as(make_cmd(COMMAND_KIND_EMERGENCY_END, vcluster_scope("ml")),
          "carol@site", {"pact-ops-ml"}, "ap-88888888"));
  CHECK(h.sm.node("n9")->state() == NODE_STATE_OBSERVE_ONLY);
  CHECK(h.sm.node("n1")->state() != NODE_STATE_EMERGENCY);
}
