// The agent's side of two-person approval (runtime/policy/agent_action.hpp):
// the action a grant names, which actions wait for a second person, the
// redeem command and how its answer is read.

#include "runtime/policy/agent_action.hpp"

#include <doctest/doctest.h>

using namespace pact::policy;
using namespace pact::protocol;

namespace {

authenticated caller(const std::vector<std::string>& groups,
                     const std::string& type = "human") {
  authenticated who;
  who.claims.subject = "alice";
  who.claims.principal_type = type;
  who.claims.groups = groups;
  who.roles = parse_roles(groups);
  return who;
}

VClusterPolicy two_person() {
  VClusterPolicy p;
  p.set_two_person_approval(true);
  return p;
}

} // namespace

TEST_CASE("the action a grant names: the argv as sent, or the service") {
  auto ex = exec_action("n1", {"systemctl", "stop", "x y"});
  CHECK(ex.node() == "n1");
  CHECK(ex.action() == "exec");
  REQUIRE(ex.argv_size() == 3);
  CHECK(ex.argv(2) == "x y");
  CHECK(ex.service().empty());
  auto rs = restart_action("n1", "chronyd");
  CHECK(rs.action() == "service.restart");
  CHECK(rs.service() == "chronyd");
  CHECK(rs.argv_size() == 0);
  CHECK(bad_approval_id_text("ap-\x1b[31m")
          .rfind("'ap-?[31m' is not an "
                 "approval id",
                 0)
        == 0);
  CHECK(approval_required_text("ml")
        == "approval required (two-person policy on vcluster: ml)");
}

TEST_CASE("exec and restart wait for a second person on two-person "
          "vClusters only") {
  auto ops = caller({"pact-ops-ml"});
  CHECK(needs_second_person(ops, "exec", "ml", two_person()));
  CHECK(needs_second_person(ops, "service.restart", "ml", two_person()));
  CHECK_FALSE(needs_second_person(ops, "exec", "ml", VClusterPolicy()));
  CHECK_FALSE(
    needs_second_person(ops, "service.restart", "ml", VClusterPolicy()));
  // `regulated` alone means stricter audit, not a second person.
  VClusterPolicy audited;
  audited.set_regulated(true);
  CHECK_FALSE(needs_second_person(ops, "exec", "ml", audited));
  // Reads and the interactive shell never wait; nor does what is refused.
  CHECK_FALSE(needs_second_person(ops, "service.status", "ml", two_person()));
  CHECK_FALSE(needs_second_person(ops, "shell", "ml", two_person()));
  CHECK_FALSE(needs_second_person(caller({"pact-ops-other"}), "exec", "ml",
                                  two_person()));
}

TEST_CASE("the redeem command names the grant, the action and its node") {
  auto what = exec_action("n1", {"rm", "-f", "/tmp/x"});
  auto cmd = redeem_command("ap-abcdefgh", what, "redeem-1");
  CHECK(cmd.kind() == COMMAND_KIND_APPROVAL_REDEEM);
  CHECK(cmd.scope().node() == "n1");
  CHECK(cmd.approval_id() == "ap-abcdefgh");
  CHECK(cmd.agent_action().SerializeAsString() == what.SerializeAsString());
  CHECK(cmd.client_request_id() == "redeem-1");
  CHECK(cmd.grant_caller().empty()); // proposed with the operator's token
}

TEST_CASE("only an answer showing this use lets the action run") {
  CommandResult r;
  r.mutable_status()->set_code(STATUS_CODE_OK);
  r.mutable_approval()->set_id("ap-abcdefgh");
  r.mutable_approval()->set_state(APPROVAL_STATE_REDEEMED);
  CHECK(redeem_doubt(r, "ap-abcdefgh").empty());
  auto dup = r;
  dup.set_duplicate(true);
  CHECK(redeem_doubt(dup, "ap-abcdefgh").find("already used")
        != std::string::npos);
  auto other = r;
  other.mutable_approval()->set_id("ap-zzzzzzzz");
  CHECK_FALSE(redeem_doubt(other, "ap-abcdefgh").empty());
  auto approved = r;
  approved.mutable_approval()->set_state(APPROVAL_STATE_APPROVED);
  CHECK_FALSE(redeem_doubt(approved, "ap-abcdefgh").empty());
  CHECK_FALSE(redeem_doubt(CommandResult(), "ap-abcdefgh").empty());
}

TEST_CASE("a write held for approval is told from one applied") {
  CommandResult applied;
  applied.mutable_status()->set_code(STATUS_CODE_OK);
  applied.add_sequences(7);
  CHECK_FALSE(held_for_approval(applied));
  auto held = applied;
  held.mutable_approval()->set_state(APPROVAL_STATE_PENDING);
  CHECK(held_for_approval(held));
  auto decided = held;
  decided.mutable_approval()->set_state(APPROVAL_STATE_APPROVED);
  CHECK_FALSE(held_for_approval(decided));
}
