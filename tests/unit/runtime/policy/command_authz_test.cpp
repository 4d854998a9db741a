// command_authz: which vCluster a journal command writes to, who may run
// it (the built-in RBAC floor the gateway applies before proposing) and
// the author the journal records.

#include "runtime/policy/command_authz.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pact::policy;
using namespace pact::protocol;
using kind = role::kind;
using names = std::vector<std::string>;

namespace {

authenticated caller(std::vector<role> roles,
                     const std::string& subject = "alice") {
  authenticated who;
  who.claims.subject = subject;
  who.claims.issuer = "pact-dev";
  who.claims.audience = "pact";
  who.roles = std::move(roles);
  for (const auto& r : who.roles)
    who.claims.groups.push_back(role_name(r));
  return who;
}

JournalCommand command(CommandKind k, const Scope& scope) {
  JournalCommand c;
  c.set_kind(k);
  *c.mutable_scope() = scope;
  return c;
}

Scope vc_scope(const std::string& vc) {
  Scope s;
  s.set_vcluster(vc);
  return s;
}

Scope node_scope(const std::string& node) {
  Scope s;
  s.set_node(node);
  return s;
}

Scope global() {
  Scope s;
  s.set_global(true);
  return s;
}

JournalCommand commit(const Scope& scope) {
  return command(COMMAND_KIND_COMMIT, scope);
}

JournalCommand overlay_apply(const names& vcs) {
  // The scope is ignored by overlay apply, which names its vClusters.
  auto c = command(COMMAND_KIND_OVERLAY_APPLY, global());
  for (const auto& vc : vcs)
    c.add_overlays()->set_vcluster(vc);
  return c;
}

JournalCommand enroll(const std::string& node, const std::string& vc) {
  auto c = command(COMMAND_KIND_NODE_ENROLL, node_scope(node));
  c.set_vcluster(vc);
  return c;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const role admin{kind::platform_admin, ""};
const role ops_ml{kind::ops, "ml"};
const role ops_ai{kind::ops, "ai"};
const role viewer_ml{kind::viewer, "ml"};
const role regulated_ml{kind::regulated, "ml"};
const role service_ai{kind::service_ai, ""};

} // namespace

// -- written_vclusters -------------------------------------------------------

TEST_CASE("written_vclusters by scope kind") {
  CHECK(written_vclusters(commit(vc_scope("ml")), "") == names{"ml"});
  // The node's vCluster decides, not the command's other fields.
  CHECK(written_vclusters(commit(node_scope("n1")), "ml") == names{"ml"});
  CHECK(written_vclusters(commit(node_scope("n1")), "") == names{""});
  CHECK(written_vclusters(commit(global()), "") == names{""});
  // node_vcluster only matters for node scopes.
  CHECK(written_vclusters(commit(global()), "ml") == names{""});
  CHECK(written_vclusters(commit(vc_scope("ai")), "ml") == names{"ai"});
  // No scope at all counts as cluster-wide: only admins pass.
  CHECK(written_vclusters(commit(Scope{}), "") == names{""});
  for (auto k : {COMMAND_KIND_ROLLBACK, COMMAND_KIND_POLICY_UPDATE,
                 COMMAND_KIND_BLACKLIST_ADD, COMMAND_KIND_EMERGENCY_START,
                 COMMAND_KIND_EXTEND_WINDOW}) {
    CAPTURE(k);
    CHECK(written_vclusters(command(k, vc_scope("ml")), "") == names{"ml"});
    CHECK(written_vclusters(command(k, node_scope("n")), "ai") == names{"ai"});
  }
}

TEST_CASE("written_vclusters: overlay apply writes every vCluster named") {
  CHECK(written_vclusters(overlay_apply({"ml", "ai", "bio"}), "")
        == names{"ml", "ai", "bio"});
  CHECK(written_vclusters(overlay_apply({"ml"}), "x") == names{"ml"});
  auto scoped = overlay_apply({"ai"});
  *scoped.mutable_scope() = vc_scope("ml"); // ignored
  CHECK(written_vclusters(scoped, "") == names{"ai"});
}

TEST_CASE("written_vclusters: node enroll writes the vCluster joined") {
  CHECK(written_vclusters(enroll("n1", "ml"), "") == names{"ml"});
}

// -- command_denial ----------------------------------------------------------

TEST_CASE("a platform admin may run anything") {
  auto who = caller({admin});
  for (const auto& c :
       {commit(vc_scope("ml")), commit(node_scope("n1")), commit(global()),
        overlay_apply({"ml", "ai"}), enroll("n1", "ml"),
        command(COMMAND_KIND_BLACKLIST_ADD, global())}) {
    CAPTURE(pact::protocol::CommandKind_Name(c.kind()));
    CHECK(command_denial(who, c, "") == "");
    CHECK(command_denial(who, c, "ml") == "");
  }
}

TEST_CASE("ops write their own vCluster only") {
  auto who = caller({ops_ml});
  CHECK(command_denial(who, commit(vc_scope("ml")), "") == "");
  auto other = command_denial(who, commit(vc_scope("ai")), "");
  CHECK(other
        == "policy: denied: alice may not write to vcluster ai (needs "
           "pact-ops-ai, pact-regulated-ai, pact-service-ai or "
           "pact-platform-admin)");
  // Node scope: decided by the node's vCluster.
  CHECK(command_denial(who, commit(node_scope("n1")), "ml") == "");
  CHECK(command_denial(
          who, command(COMMAND_KIND_EXTEND_WINDOW, node_scope("n1")), "ml")
        == "");
  auto foreign = command_denial(who, commit(node_scope("n2")), "ai");
  CHECK(contains(foreign, "policy: denied: alice"));
  CHECK(contains(foreign, "vcluster ai"));
  auto loose = command_denial(who, commit(node_scope("n3")), "");
  CHECK(contains(loose, "policy: denied: alice may not write to node n3"));
  CHECK(contains(loose, "enrolled in no vCluster"));
  CHECK(contains(loose, "platform admins only"));
  auto cluster = command_denial(who, commit(global()), "");
  CHECK(cluster
        == "policy: denied: alice may not make cluster-wide changes "
           "(needs pact-platform-admin)");
  // Overlay apply: every vCluster must be writable.
  CHECK(command_denial(who, overlay_apply({"ml"}), "") == "");
  auto mixed = command_denial(who, overlay_apply({"ml", "ai"}), "");
  CHECK(contains(mixed, "vcluster ai"));
  // Enroll: into its own vCluster only.
  CHECK(command_denial(who, enroll("n1", "ml"), "") == "");
  CHECK(contains(command_denial(who, enroll("n1", "ai"), ""), "vcluster ai"));
}

TEST_CASE("regulated operators write their vCluster; several roles add up") {
  CHECK(command_denial(caller({regulated_ml}), commit(vc_scope("ml")), "")
        == "");
  CHECK(command_denial(caller({regulated_ml}), commit(vc_scope("ai")), "")
        != "");
  auto both = caller({ops_ml, ops_ai});
  CHECK(command_denial(both, overlay_apply({"ml", "ai"}), "") == "");
  CHECK(command_denial(both, commit(node_scope("n")), "ai") == "");
  CHECK(command_denial(both, commit(global()), "") != "");
}

TEST_CASE("viewers and callers without roles write nothing") {
  for (const auto& who : {caller({viewer_ml}, "val"), caller({}, "nobody")}) {
    CAPTURE(who.claims.subject);
    auto prefix = "policy: denied: " + who.claims.subject + " may not ";
    auto vc = command_denial(who, commit(vc_scope("ml")), "");
    CHECK(contains(vc, prefix + "write to vcluster ml (needs pact-ops-ml"));
    CHECK(contains(command_denial(who, commit(node_scope("n1")), "ml"),
                   prefix + "write to vcluster ml"));
    CHECK(command_denial(who, commit(global()), "")
          == prefix + "make cluster-wide changes (needs pact-platform-admin)");
    CHECK(command_denial(who, overlay_apply({"ml"}), "") != "");
    CHECK(command_denial(who, enroll("n1", "ml"), "") != "");
    CHECK(command_denial(
            who, command(COMMAND_KIND_EMERGENCY_START, node_scope("n1")), "ml")
          != "");
  }
}

// -- author_of ---------------------------------------------------------------

TEST_CASE("author_of: the subject, human, and the role that writes there") {
  auto id = author_of(caller({ops_ml}, "alice@site"), "ml");
  CHECK(id.principal() == "alice@site");
  CHECK(id.principal_type() == PRINCIPAL_TYPE_HUMAN);
  CHECK(id.role() == "pact-ops-ml");
  // Of several roles, the one that authorizes writing to the vCluster,
  // not the first one held.
  auto who = caller({viewer_ml, ops_ml, ops_ai});
  CHECK(author_of(who, "ai").role() == "pact-ops-ai");
  CHECK(author_of(who, "ml").role() == "pact-ops-ml");
  // Several write there: the first of them.
  CHECK(author_of(caller({viewer_ml, ops_ml, admin}), "ml").role()
        == "pact-ops-ml");
  CHECK(author_of(caller({viewer_ml, admin, ops_ml}), "ml").role()
        == "pact-platform-admin");
  // None writes there: the first role.
  CHECK(author_of(who, "bio").role() == "pact-viewer-ml");
  CHECK(author_of(who, "").role() == "pact-viewer-ml");
  // An admin writes everywhere, global included.
  auto both = caller({viewer_ml, admin});
  CHECK(author_of(both, "").role() == "pact-platform-admin");
  CHECK(author_of(both, "ml").role() == "pact-platform-admin");
  CHECK(author_of(caller({regulated_ml}), "ml").role() == "pact-regulated-ml");
}

TEST_CASE("author_of: the AI service role makes the author an agent") {
  auto id = author_of(caller({service_ai}, "claude@mcp"), "ml");
  CHECK(id.principal() == "claude@mcp");
  CHECK(id.principal_type() == PRINCIPAL_TYPE_AGENT);
  CHECK(id.role() == "pact-service-ai");
  // Whatever else it holds.
  auto mixed = author_of(caller({ops_ml, service_ai}, "claude@mcp"), "ml");
  CHECK(mixed.principal_type() == PRINCIPAL_TYPE_AGENT);
  CHECK(mixed.role() == "pact-ops-ml");
}

TEST_CASE("author_of: no roles gives a human author with no role") {
  auto id = author_of(caller({}, "bob"), "ml");
  CHECK(id.principal() == "bob");
  CHECK(id.principal_type() == PRINCIPAL_TYPE_HUMAN);
  CHECK(id.role().empty());
}

// docs/authentication.md: "pact_principal_type tells pact what kind of
// caller it is dealing with ... The policy layer uses it, for example, to
// keep AI principals out of emergency mode." An agent token holding an ops
// role must be journaled as an agent, or the state machine's "AI agents may
// not start emergencies" refusal never fires for it. (Regression test: the
// first author_of looked only at the pact-service-ai role.)
TEST_CASE("author_of: the token's principal type is recorded") {
  auto agent = caller({ops_ml}, "bot");
  agent.claims.principal_type = "agent";
  CHECK(author_of(agent, "ml").principal_type() == PRINCIPAL_TYPE_AGENT);
  auto service = caller({ops_ml}, "pact-agent@n1");
  service.claims.principal_type = "service";
  CHECK(author_of(service, "ml").principal_type() == PRINCIPAL_TYPE_SERVICE);
  auto human = caller({ops_ml}, "alice");
  human.claims.principal_type = "human";
  CHECK(author_of(human, "ml").principal_type() == PRINCIPAL_TYPE_HUMAN);
  // The AI service role is an agent whatever its token claims.
  auto ai = caller({service_ai}, "claude");
  ai.claims.principal_type = "human";
  CHECK(author_of(ai, "ml").principal_type() == PRINCIPAL_TYPE_AGENT);
  ai.claims.principal_type = "service";
  CHECK(author_of(ai, "ml").principal_type() == PRINCIPAL_TYPE_AGENT);
}

// BUG (runtime/policy/command_authz.cpp, written_vclusters): for
// NODE_ENROLL it returns only the vCluster joined and ignores
// `node_vcluster` (which the gateway does pass: handle_command looks up the
// node's vCluster for every node-scoped command of a non-admin). So an
// operator of vCluster ai may enroll a node of vCluster ml into ai, i.e.
// take it away from ml and from then on write to it, without any right on
// ml. (Fixed: written_vclusters also names the node's current vCluster.)
TEST_CASE("enrolling a node away from its vCluster needs a right on that "
          "vCluster") {
  auto who = caller({ops_ai}, "mallory");
  CHECK(command_denial(who, enroll("n1", "ai"), "ml") != "");
}

TEST_CASE("role_name gives the group of each role") {
  CHECK(role_name(admin) == "pact-platform-admin");
  CHECK(role_name(ops_ml) == "pact-ops-ml");
  CHECK(role_name(viewer_ml) == "pact-viewer-ml");
  CHECK(role_name(regulated_ml) == "pact-regulated-ml");
  CHECK(role_name(service_ai) == "pact-service-ai");
  for (const auto& r : {admin, ops_ml, viewer_ml, regulated_ml, service_ai})
    CHECK(parse_role(role_name(r)) == r);
}

TEST_CASE("stamp_roles then decide_at_apply: the gateway's answers, with "
          "the node's vCluster read where the command applies") {
  auto stamped = [](const authenticated& who, JournalCommand c) {
    *c.mutable_author() = author_of(who, "");
    *c.mutable_author_roles() = stamp_roles(who.roles);
    return c;
  };
  auto ops = caller({{kind::viewer, "ml"}, {kind::ops, "ml"}}, "olga");
  auto groups = stamp_roles(ops.roles).groups();
  CHECK(names(groups.begin(), groups.end())
        == names{"pact-viewer-ml", "pact-ops-ml"});
  auto c = stamped(ops, commit(node_scope("n1")));
  // Same denial and author role as command_denial/author_of with the
  // node's vCluster known.
  for (const std::string vc : {"ml", "hpc", ""}) {
    CAPTURE(vc);
    auto d = decide_at_apply(c, vc);
    CHECK(d.denial == command_denial(ops, c, vc));
    if (d.denial.empty())
      CHECK(d.role == author_of(ops, vc).role());
  }
  CHECK(decide_at_apply(c, "ml").role == "pact-ops-ml");
  CHECK(contains(decide_at_apply(c, "hpc").denial,
                 "policy: denied: olga may not write to vcluster hpc (needs "));
  // A platform admin writes any node; its role is picked as for a
  // cluster-wide write, as the gateway did without reading the enrollment.
  auto admin = caller({{kind::ops, "ml"}, {kind::platform_admin, ""}});
  auto a = decide_at_apply(stamped(admin, commit(node_scope("n1"))), "ml");
  CHECK(a.denial.empty());
  CHECK(a.role == "pact-platform-admin");
  // Stamped roles that are not pact roles are ignored, not trusted.
  auto odd = c;
  odd.mutable_author_roles()->clear_groups();
  odd.mutable_author_roles()->add_groups("pact-ops-");
  odd.mutable_author_roles()->add_groups("wheel");
  CHECK_FALSE(decide_at_apply(odd, "ml").denial.empty());
}

TEST_CASE("prepare_proposal: author, roles and time never come from the "
          "request body") {
  auto ops = caller({{kind::ops, "ml"}}, "olga");
  auto body = commit(node_scope("n2"));
  body.mutable_author()->set_principal("root");
  body.mutable_author()->set_role("pact-platform-admin");
  body.mutable_author_roles()->add_groups("pact-platform-admin");
  body.set_timestamp_unix_ms(42);
  auto p = prepare_proposal(ops, body);
  // A node-scoped write is left to the state machine...
  CHECK(p.denial.empty());
  CHECK(p.command.author().principal() == "olga");
  CHECK(p.command.author().role() == "pact-ops-ml");
  auto groups = p.command.author_roles().groups();
  CHECK(names(groups.begin(), groups.end()) == names{"pact-ops-ml"});
  CHECK(p.command.timestamp_unix_ms() == 0);
  // ... which refuses it when n2 is not in ml, forged roles or not.
  CHECK(contains(decide_at_apply(p.command, "hpc").denial,
                 "policy: denied: olga may not write to vcluster hpc"));
  // A token without pact roles gets an empty, present list: it writes
  // nothing, rather than skipping the apply-time check.
  auto none = prepare_proposal(caller({}, "nobody"), body);
  CHECK(none.command.has_author_roles());
  CHECK_FALSE(decide_at_apply(none.command, "ml").denial.empty());
  // Everything else is decided before proposing, with the same message.
  auto vc = prepare_proposal(ops, commit(vc_scope("hpc")));
  CHECK(
    contains(vc.denial, "policy: denied: olga may not write to vcluster hpc"));
  CHECK(prepare_proposal(ops, commit(vc_scope("ml"))).denial.empty());
  CHECK(prepare_proposal(ops, commit(global())).denial
        == "policy: denied: olga may not make cluster-wide changes "
           "(needs pact-platform-admin)");
}

// Issue 13 item 4: AI principals write only where the vCluster policy sets
// ai_write_allowed; the gateway checks roles, the state machine the policy.
TEST_CASE("the AI service writes only where ai_write_allowed") {
  auto who = caller({service_ai}, "claude");
  auto c = commit(vc_scope("ml"));
  CHECK(command_denial(who, c, "") == "");
  pact::protocol::VClusterPolicy off, on;
  on.set_ai_write_allowed(true);
  auto no = decide_command(who, c, "", [&](const std::string&) { return off; });
  CHECK(no.exit_code() == 3);
  CHECK(no.message
        == "AI write is not allowed by the policy of vCluster ml "
           "(ai_write_allowed = false)");
  CHECK(decide_command(who, c, "", [&](const std::string&) {
          return on;
        }).allowed());
  // Never the global scope (platform admins only), never an emergency.
  CHECK(decide_command(who, commit(global()), "",
                       [&](const std::string&) { return on; })
          .exit_code()
        == 2);
  auto em
    = decide_command(who, command(COMMAND_KIND_EMERGENCY_START, vc_scope("ml")),
                     "", [&](const std::string&) { return on; });
  CHECK(em.exit_code() == 2);
  CHECK(contains(em.message, "AI principals never"));
  // At apply, from the author's principal type and stamped roles.
  auto ops_bot = caller({ops_ml}, "bot");
  ops_bot.claims.principal_type = "agent";
  auto p = prepare_proposal(ops_bot, c);
  CHECK(p.denial.empty());
  p.command.set_timestamp_unix_ms(1);
  auto d = decide_at_apply(p.command, "",
                           [&](const std::string&) { return off; });
  CHECK(d.policy_rejection);
  CHECK(contains(d.denial, "ai_write_allowed = false"));
  CHECK(decide_at_apply(p.command, "", [&](const std::string&) {
          return on;
        }).denial.empty());
}
