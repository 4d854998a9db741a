// config_state_machine: a command carrying the author's stamped roles is
// authorized when it is applied, a node-scoped write against the node's
// enrollment as of that entry (issue 9 item 5: the gateway no longer reads
// the enrollment before proposing). A denial is an ordinary UNAUTHORIZED
// result with the gateway's message that writes nothing.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// `c` as the gateway proposes it for `who` holding `groups`: the author
/// role it could pick without knowing the node's vCluster (the first
/// role), and the roles stamped.
JournalCommand as(JournalCommand c, const std::string& who,
                  const std::vector<std::string>& groups) {
  c.mutable_author()->set_principal(who);
  c.mutable_author()->set_role(groups.empty() ? "" : groups.front());
  auto* roles = c.mutable_author_roles();
  for (const auto& g : groups)
    roles->add_groups(g);
  return c;
}

JournalCommand enroll(const std::string& node, const std::string& vc) {
  auto c = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope(node));
  c.set_vcluster(vc);
  return c;
}

/// vClusters ml and hpc; n1 in ml, n2 in hpc, n3 enrolled nowhere.
harness seeded() {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  h.ok(overlay_apply("hpc", {{"vm.a", "1"}}));
  h.ok(enroll("n1", "ml"));
  h.ok(enroll("n2", "hpc"));
  return h;
}

const std::string& last_role(const harness& h) {
  return last_of(h.sm).author().role();
}

} // namespace

TEST_CASE("a platform admin writes any node, enrolled or not") {
  auto h = seeded();
  for (const char* n : {"n1", "n2", "n3"}) {
    CAPTURE(n);
    h.ok(as(node_commit(n, "vm.a", "2"), "root@site", {"pact-platform-admin"}));
    CHECK(last_role(h) == "pact-platform-admin");
  }
}

TEST_CASE("an operator writes nodes of its vCluster, recorded with the role "
          "that allows it") {
  auto h = seeded();
  h.ok(as(node_commit("n1", "vm.a", "2"), "olga@site", {"pact-ops-ml"}));
  CHECK(last_role(h) == "pact-ops-ml");
  // The gateway stamped the first role; the entry names the one that
  // authorizes writing the node's vCluster.
  h.ok(as(node_commit("n2", "vm.a", "2"), "olga@site",
          {"pact-viewer-ml", "pact-ops-ml", "pact-regulated-hpc"}));
  CHECK(last_role(h) == "pact-regulated-hpc");
  CHECK(last_of(h.sm).author().principal() == "olga@site");
}

TEST_CASE("an operator may not write a node of another vCluster or of none") {
  auto h = seeded();
  h.refused(as(node_commit("n2", "vm.a", "2"), "olga@site", {"pact-ops-ml"}),
            STATUS_CODE_UNAUTHORIZED,
            "policy: denied: olga@site may not write to vcluster hpc");
  h.refused(as(node_commit("n3", "vm.a", "2"), "olga@site", {"pact-ops-ml"}),
            STATUS_CODE_UNAUTHORIZED,
            "policy: denied: olga@site may not write to node n3, which is "
            "enrolled in no vCluster (platform admins only)");
  // Viewers and a token without pact roles write nothing.
  for (const auto& groups :
       std::vector<std::vector<std::string>>{{"pact-viewer-ml"}, {}}) {
    h.refused(as(node_commit("n1", "vm.a", "2"), "vic@site", groups),
              STATUS_CODE_UNAUTHORIZED,
              "policy: denied: vic@site may not write to vcluster ml");
  }
  // The AI service writes only where ai_write_allowed (default false): a
  // rejection by the vCluster policy (docs/authorization.md).
  h.refused(as(node_commit("n1", "vm.a", "2"), "ai@site", {"pact-service-ai"}),
            STATUS_CODE_POLICY_REJECTED,
            "AI write is not allowed by the policy of vCluster ml "
            "(ai_write_allowed = false)");
  // Every node-scoped kind is checked, not only commits.
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, node_scope("n2"));
  rb.set_rollback_to(1);
  h.refused(as(rb, "olga@site", {"pact-ops-ml"}), STATUS_CODE_UNAUTHORIZED,
            "may not write to vcluster hpc");
  auto ext = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope("n2"));
  ext.set_extend_seconds(600);
  h.refused(as(ext, "olga@site", {"pact-ops-ml"}), STATUS_CODE_UNAUTHORIZED,
            "may not write to vcluster hpc");
  // Taking a node out of another vCluster writes to that vCluster too.
  h.refused(as(enroll("n2", "ml"), "olga@site", {"pact-ops-ml"}),
            STATUS_CODE_UNAUTHORIZED, "may not write to vcluster hpc");
  h.ok(as(enroll("n2", "ml"), "root@site", {"pact-platform-admin"}));
}

TEST_CASE("the enrollment counts as of the entry: enrolled or moved after "
          "the proposal") {
  auto h = seeded();
  // Proposed while n3 was enrolled nowhere; the enrollment landed first.
  auto early = as(node_commit("n3", "vm.a", "2"), "olga@site", {"pact-ops-ml"});
  h.ok(enroll("n3", "ml"));
  h.ok(early);
  CHECK(last_role(h) == "pact-ops-ml");
  // Proposed while n1 was in ml; moved to hpc before it applied.
  auto late = as(node_commit("n1", "vm.a", "3"), "olga@site", {"pact-ops-ml"});
  h.ok(enroll("n1", "hpc"));
  h.refused(late, STATUS_CODE_UNAUTHORIZED, "may not write to vcluster hpc");
}

TEST_CASE("non-node commands are checked with the same rules") {
  auto h = seeded();
  auto vc = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("hpc"));
  *vc.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.a", "5");
  h.refused(as(vc, "olga@site", {"pact-ops-ml"}), STATUS_CODE_UNAUTHORIZED,
            "may not write to vcluster hpc");
  auto g = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  g.set_blacklist_pattern("/tmp/**");
  h.refused(as(g, "olga@site", {"pact-ops-ml"}), STATUS_CODE_UNAUTHORIZED,
            "may not make cluster-wide changes");
  h.ok(as(vc, "hank@site", {"pact-ops-hpc"}));
  CHECK(last_role(h) == "pact-ops-hpc");
}

TEST_CASE("commands without stamped roles are applied as they are") {
  // Entries appended before issue 9 were authorized by the gateway; a
  // replay must give the results it gave then.
  auto h = seeded();
  auto c = node_commit("n2", "vm.a", "2");
  c.mutable_author()->set_role("pact-ops-ml");
  h.ok(c);
  CHECK(last_role(h) == "pact-ops-ml");
}

TEST_CASE("apply-time authorization replays to the same state") {
  auto log = [] {
    std::vector<JournalCommand> out{
      overlay_apply("ml", {{"vm.a", "1"}}),
      as(node_commit("n1", "vm.a", "2"), "olga@site", {"pact-ops-ml"}),
      enroll("n1", "ml"),
      as(node_commit("n1", "vm.a", "3"), "olga@site", {"pact-ops-ml"}),
      as(node_commit("n9", "vm.a", "4"), "olga@site", {"pact-ops-ml"}),
    };
    return out;
  }();
  harness a;
  harness b;
  std::vector<StatusCode> codes;
  for (const auto& c : log) {
    codes.push_back(a.run(c).status().code());
    b.run(c);
  }
  CHECK(codes
        == std::vector<StatusCode>{STATUS_CODE_OK, STATUS_CODE_UNAUTHORIZED,
                                   STATUS_CODE_OK, STATUS_CODE_OK,
                                   STATUS_CODE_UNAUTHORIZED});
  CHECK(a.sm.digest() == b.sm.digest());
  CHECK(a.sm.snapshot() == b.sm.snapshot());
  // And a replica restored from a's snapshot holds the same state.
  config_state_machine c;
  REQUIRE(c.restore(a.sm.snapshot()));
  CHECK(c.digest() == a.sm.digest());
}
