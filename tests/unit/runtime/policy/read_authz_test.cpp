// read_authz: the one visibility rule of every read path (issue 8 item 13):
// global for any known role, a vCluster for its own roles and the roles
// that read everything, a node by its enrollment (else its reported
// vCluster), an entry by its scope; and the filters the gateway applies.

#include "runtime/policy/read_authz.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace pact::policy;
using namespace pact::protocol;
using kind = role::kind;

namespace {

const role admin{kind::platform_admin, ""};
const role ai{kind::service_ai, ""};
const role ops_ml{kind::ops, "ml"};
const role viewer_ml{kind::viewer, "ml"};
const role regulated_ml{kind::regulated, "ml"};
const role ops_other{kind::ops, "other"};

authenticated caller(std::vector<role> roles) {
  authenticated who;
  who.claims.subject = "alice";
  who.roles = std::move(roles);
  return who;
}

Scope scope_of(const std::string& key) {
  Scope s;
  if (key == "global")
    s.set_global(true);
  else if (key.rfind("vc:", 0) == 0)
    s.set_vcluster(key.substr(3));
  else if (key.rfind("node:", 0) == 0)
    s.set_node(key.substr(5));
  return s;
}

/// Enrollment of the test cluster: n-ml in ml, n-st in storage, n-free in
/// nothing (its agent reports storage), n-lost in nothing at all.
StateReply cluster() {
  StateReply r;
  r.mutable_global()->add_blacklist("/etc/shadow");
  for (const char* vc : {"ml", "storage"})
    r.add_overlays()->set_vcluster(vc);
  auto node = [&](const char* name, const char* vc) {
    auto* n = r.add_nodes();
    n->set_node(name);
    n->set_vcluster(vc);
  };
  node("n-ml", "ml");
  node("n-st", "storage");
  node("n-free", "");
  node("n-lost", "");
  auto emergency = [&](const std::string& key) {
    *r.add_emergencies()->mutable_scope() = scope_of(key);
  };
  emergency("vc:ml");
  emergency("vc:storage");
  emergency("node:n-ml");
  emergency("node:n-st");
  emergency("node:n-free");
  return r;
}

std::string reported(const std::string& node) {
  return node == "n-free" ? "storage" : node == "n-ml" ? "storage" : "";
}

std::vector<std::string> names(const StateReply& r) {
  std::vector<std::string> out;
  for (auto& o : r.overlays())
    out.push_back("vc:" + o.vcluster());
  for (auto& n : r.nodes())
    out.push_back("node:" + n.node());
  for (auto& e : r.emergencies())
    out.push_back(
      "emergency:"
      + (e.scope().has_vcluster() ? e.scope().vcluster() : e.scope().node()));
  return out;
}

} // namespace

/// What a read refusal of vCluster storage adds: the roles that read it.
const std::string storage_needs
  = "(needs pact-ops-storage, pact-regulated-storage, pact-viewer-storage, "
    "pact-service-ai or pact-platform-admin)";

TEST_CASE("global is readable by any known role, by nobody without one") {
  for (const auto& r : {admin, ai, ops_ml, viewer_ml, regulated_ml}) {
    CHECK(can_read_global({r}));
    CHECK(can_read_scope({r}, scope_of("global"), ""));
    CHECK(vcluster_denial(caller({r}), "").empty());
  }
  CHECK_FALSE(can_read_global({}));
  CHECK(vcluster_denial(caller({}), "")
        == "policy: denied: alice may not read the journal");
}

TEST_CASE("a vCluster is readable by its roles and the global readers") {
  for (const auto& r : {admin, ai, ops_ml, viewer_ml, regulated_ml})
    CHECK(can_read_vcluster({r}, "ml"));
  CHECK_FALSE(can_read_vcluster({ops_other}, "ml"));
  CHECK_FALSE(can_read_vcluster({viewer_ml}, "storage"));
  CHECK_FALSE(can_read_vcluster({ops_ml}, "")); // "" is not a vCluster
  CHECK(can_read_vcluster({ops_other, viewer_ml}, "ml"));
  CHECK(vcluster_denial(caller({ops_ml}), "storage")
        == "policy: denied: alice may not read vcluster storage "
             + storage_needs);
  CHECK(vcluster_denial(caller({ops_ml}), "ml").empty());
}

TEST_CASE("a node is readable through its vCluster; enrollment wins over "
          "the report") {
  CHECK(node_vcluster("ml", "storage") == "ml");
  CHECK(node_vcluster("", "storage") == "storage");
  CHECK(node_vcluster("", "").empty());
  CHECK(can_read_node({ops_ml}, "ml"));
  CHECK_FALSE(can_read_node({ops_ml}, "storage"));
  // In no vCluster: only the roles that read everything.
  CHECK_FALSE(can_read_node({ops_ml}, ""));
  CHECK(can_read_node({admin}, ""));
  CHECK(can_read_node({ai}, "storage"));
  CHECK(node_denial(caller({ops_ml}), "n-st", "storage")
        == "policy: denied: alice may not read node n-st (vcluster storage) "
             + storage_needs);
  CHECK(node_denial(caller({ops_ml}), "n-x", "")
        == "policy: denied: alice may not read node n-x (in no vCluster; needs "
           "pact-service-ai or pact-platform-admin)");
  CHECK(node_denial(caller({viewer_ml}), "n-ml", "ml").empty());
}

TEST_CASE("scopes: each target by its own rule; no target is unreadable") {
  CHECK(can_read_scope({ops_ml}, scope_of("vc:ml"), ""));
  CHECK_FALSE(can_read_scope({ops_ml}, scope_of("vc:storage"), ""));
  CHECK(can_read_scope({ops_ml}, scope_of("node:n"), "ml"));
  CHECK_FALSE(can_read_scope({ops_ml}, scope_of("node:n"), "storage"));
  CHECK_FALSE(can_read_scope({admin}, Scope{}, ""));
}

TEST_CASE("reading every vCluster at once is for admins and the AI service") {
  CHECK(reads_everything({admin}));
  CHECK(reads_everything({ops_ml, ai}));
  CHECK_FALSE(reads_everything({ops_ml, viewer_ml, regulated_ml}));
  CHECK(all_denial(caller({admin}), "the entries").empty());
  CHECK(all_denial(caller({ops_ml}), "the entries")
        == "policy: denied: alice may not read the entries of every "
           "vCluster; name a vCluster it may read");
}

TEST_CASE("filter_state keeps global state and what the caller may read") {
  auto r = cluster();
  filter_state({ops_ml}, r, reported);
  // n-ml is enrolled in ml (its stale report of storage does not count);
  // n-free reports storage; n-lost is in no vCluster.
  CHECK(names(r)
        == std::vector<std::string>{"vc:ml", "node:n-ml", "emergency:ml",
                                    "emergency:n-ml"});
  CHECK(r.global().blacklist_size() == 1);
  auto st = cluster();
  filter_state({viewer_ml, role{kind::viewer, "storage"}}, st, reported);
  CHECK(names(st)
        == std::vector<std::string>{"vc:ml", "vc:storage", "node:n-ml",
                                    "node:n-st", "node:n-free", "emergency:ml",
                                    "emergency:storage", "emergency:n-ml",
                                    "emergency:n-st", "emergency:n-free"});
  auto all = cluster();
  filter_state({admin}, all, reported);
  CHECK(names(all) == names(cluster()));
  auto none = cluster();
  filter_state({ops_other}, none, reported);
  CHECK(names(none).empty());
}

TEST_CASE("filter_status drops nodes of other vClusters") {
  StatusReply r;
  for (const char* n : {"n-ml", "n-st", "n-free", "n-lost"})
    r.add_nodes()->mutable_report()->set_node_id(n);
  std::map<std::string, std::string> of{
    {"n-ml", "ml"}, {"n-st", "storage"}, {"n-free", "storage"}};
  auto lookup = [&](const std::string& n) {
    auto it = of.find(n);
    return it == of.end() ? std::string() : it->second;
  };
  auto ml = r;
  filter_status({ops_ml}, ml, lookup);
  REQUIRE(ml.nodes_size() == 1);
  CHECK(ml.nodes(0).report().node_id() == "n-ml");
  auto everything = r;
  filter_status({ai}, everything, lookup);
  CHECK(everything.nodes_size() == 4);
  auto nobody = r;
  filter_status({ops_other}, nobody, lookup);
  CHECK(nobody.nodes_size() == 0);
}

TEST_CASE("first_unreadable finds the first entry outside the caller's "
          "vClusters") {
  google::protobuf::RepeatedPtrField<ConfigEntry> entries;
  uint64_t seq = 0;
  for (const char* key :
       {"global", "vc:ml", "node:n-ml", "node:n-st", "vc:storage"}) {
    auto* e = entries.Add();
    e->set_sequence(++seq);
    *e->mutable_scope() = scope_of(key);
  }
  auto of = [](const std::string& n) {
    return n == "n-ml" ? std::string("ml") : std::string("storage");
  };
  auto* bad = first_unreadable({ops_ml}, entries, of);
  REQUIRE(bad != nullptr);
  CHECK(bad->sequence() == 4);
  CHECK(first_unreadable({admin}, entries, of) == nullptr);
  entries.RemoveLast();
  entries.RemoveLast();
  CHECK(first_unreadable({viewer_ml}, entries, of) == nullptr);
  CHECK(first_unreadable({ops_other}, entries, of)->sequence() == 2);
}

// Per request (issue 9 item 3): the gateway's decision on each read path —
// log, watch, state and status naming a node, boot config, raw proposals —
// and the node-to-vCluster resolver it builds them on. The gateway only
// asks; these say yes or no, and how.

namespace {

/// n-ml is in ml, n-st in storage; the rest in nothing.
std::string vc_of(const std::string& node) {
  return node == "n-ml" ? "ml" : node == "n-st" ? "storage" : "";
}

google::protobuf::RepeatedPtrField<ConfigEntry>
entries(const std::vector<Scope>& scopes) {
  google::protobuf::RepeatedPtrField<ConfigEntry> out;
  uint64_t seq = 0;
  for (const auto& s : scopes) {
    auto* e = out.Add();
    e->set_sequence(++seq);
    *e->mutable_scope() = s;
  }
  return out;
}

google::protobuf::RepeatedPtrField<BootChunk>
boot_stream(const std::string& vc) {
  google::protobuf::RepeatedPtrField<BootChunk> out;
  out.Add()->mutable_overlay()->set_vcluster(vc);
  out.Add()->mutable_complete()->set_vcluster(vc);
  return out;
}

} // namespace

TEST_CASE("a log request: every vCluster for the global readers, a "
          "vCluster or global for its readers, a node later") {
  CHECK(log_request_denial(caller({admin}), nullptr).empty());
  CHECK(log_request_denial(caller({ops_ml}), nullptr)
        == "policy: denied: alice may not read the entries of every "
           "vCluster; name a vCluster it may read");
  auto ml = scope_of("vc:ml");
  auto st = scope_of("vc:storage");
  CHECK(log_request_denial(caller({ops_ml}), &ml).empty());
  CHECK(log_request_denial(caller({ops_ml}), &st)
        == "policy: denied: alice may not read vcluster storage "
             + storage_needs);
  auto g = scope_of("global");
  CHECK(log_request_denial(caller({viewer_ml}), &g).empty());
  CHECK(log_request_denial(caller({}), &g)
        == "policy: denied: alice may not read the journal");
  // A node's vCluster is not known before the answer: it passes here.
  auto n = scope_of("node:n-st");
  CHECK(log_request_denial(caller({ops_ml}), &n).empty());
}

TEST_CASE("export and verify pages: the whole journal, for the global "
          "readers, with no advice to name a vCluster") {
  // Issue 10, a tester's finding: a viewer's `pact log --verify --scope
  // vc:ml` was told to "name a vCluster it may read", though it had; the
  // verify pages read the whole chain and take no scope (nor does
  // --export).
  CHECK(whole_journal_denial(caller({admin}), "which --verify checks").empty());
  CHECK(whole_journal_denial(caller({ai}), "which --export writes").empty());
  auto why = whole_journal_denial(caller({viewer_ml}), "which --verify checks");
  CHECK(why
        == "policy: denied: alice may not read the whole journal, which "
           "--verify checks (the hash chain links the entries of every "
           "vCluster): that needs a role that reads every vCluster");
  CHECK(why.find("name a vCluster") == std::string::npos);
  CHECK(whole_journal_denial(caller({ops_ml}), "which --export writes")
          .find("which --export writes")
        != std::string::npos);
}

TEST_CASE("a log answer: the node asked for, then every entry") {
  auto n = scope_of("node:n-st");
  auto one = entries({scope_of("node:n-st")});
  CHECK(log_denial(caller({ops_ml}), &n, one, vc_of)
        == "policy: denied: alice may not read node n-st (vcluster storage) "
             + storage_needs);
  CHECK(log_denial(caller({admin}), &n, one, vc_of).empty());
  auto mixed = entries({scope_of("global"), scope_of("vc:ml"),
                        scope_of("node:n-ml"), scope_of("node:n-st")});
  CHECK(log_denial(caller({ops_ml}), nullptr, mixed, vc_of)
        == "policy: denied: alice may not read entry 4 (node:n-st)");
  Scope none;
  CHECK(log_denial(caller({ops_ml}), &none,
                   entries({scope_of("global"), scope_of("node:n-ml")}), vc_of)
          .empty());
  CHECK(log_denial(caller({ai}), nullptr, mixed, vc_of).empty());
}

TEST_CASE("a watch: one vCluster for its readers, all for the global "
          "readers") {
  CHECK(watch_denial(caller({ops_ml}), "ml").empty());
  CHECK(watch_denial(caller({ops_ml}), "storage")
        == "policy: denied: alice may not read vcluster storage "
             + storage_needs);
  CHECK(watch_denial(caller({ops_ml}), "")
        == "policy: denied: alice may not read the entries of every "
           "vCluster; name a vCluster it may read");
  CHECK(watch_denial(caller({ai}), "").empty());
}

TEST_CASE("a read naming a node: denied when known and unreadable, silent "
          "when unknown") {
  CHECK(named_node_denial(caller({ops_ml}), "n-st", true, "storage")
        == "policy: denied: alice may not read node n-st (vcluster storage) "
             + storage_needs);
  CHECK(named_node_denial(caller({ops_ml}), "n-st", false, "storage").empty());
  CHECK(named_node_denial(caller({ops_ml}), "n-ml", true, "ml").empty());
  CHECK(named_node_denial(caller({ops_ml}), "n-x", true, "")
        == "policy: denied: alice may not read node n-x (in no vCluster; needs "
           "pact-service-ai or pact-platform-admin)");
}

TEST_CASE("a boot stream: the vCluster it resolved and the node") {
  CHECK(
    boot_denial(caller({ops_ml}), "n-ml", boot_stream("ml"), vc_of).empty());
  // The journal resolved the node's enrollment to another vCluster.
  CHECK(boot_denial(caller({ops_ml}), "n-ml", boot_stream("storage"), vc_of)
        == "policy: denied: alice may not read vcluster storage "
             + storage_needs);
  CHECK(boot_denial(caller({ops_ml}), "n-st", boot_stream("ml"), vc_of)
        == "policy: denied: alice may not read node n-st (vcluster storage) "
             + storage_needs);
  CHECK(boot_denial(caller({ops_ml}), "", boot_stream("ml"), vc_of).empty());
  CHECK(boot_denial(caller({admin}), "n-st", boot_stream("storage"), vc_of)
          .empty());
}

TEST_CASE("raw proposals are for platform admins only") {
  CHECK(raw_propose_denial(caller({admin})).empty());
  for (const auto& r : {ai, ops_ml, viewer_ml})
    CHECK(raw_propose_denial(caller({r}))
          == "policy: denied: alice may not append raw commands (platform "
             "admins only)");
}

TEST_CASE("the resolver: enrollment first, then the agent's report") {
  StateReply state;
  auto add = [&](const char* n, const char* vc) {
    auto* r = state.add_nodes();
    r->set_node(n);
    r->set_vcluster(vc);
  };
  add("n-ml", "ml");
  add("n-free", "");
  auto enrolled = enrollments(state);
  CHECK(enrolled
        == std::map<std::string, std::string>{{"n-ml", "ml"}, {"n-free", ""}});
  CHECK(enrolled_in(state, "n-ml") == std::optional<std::string>("ml"));
  CHECK(enrolled_in(state, "n-free") == std::optional<std::string>(""));
  CHECK_FALSE(enrolled_in(state, "n-x"));
  auto resolve = node_resolver(enrolled, [](const std::string& n) {
    return n == "n-x" ? std::string("storage") : std::string("ai");
  });
  CHECK(resolve("n-ml") == "ml");     // enrollment wins over the report
  CHECK(resolve("n-free") == "ai");   // enrolled nowhere: the report
  CHECK(resolve("n-x") == "storage"); // unknown to the journal
}

TEST_CASE("a node that booted without an enrollment: report, then booted") {
  StateReply state;
  auto* r = state.add_nodes();
  r->set_node("n-boot");
  r->set_booted_vcluster("ml");
  auto* e = state.add_nodes();
  e->set_node("n-ml");
  e->set_vcluster("ml");
  e->set_booted_vcluster("storage"); // enrolled: the enrollment wins
  CHECK(listed_vcluster(*r) == "ml");
  CHECK(listed_vcluster(*e) == "ml");
  CHECK(enrollments(state).at("n-boot").empty()); // booting enrolls nobody
  CHECK(booted_vclusters(state)
        == std::map<std::string, std::string>{{"n-boot", "ml"},
                                              {"n-ml", "storage"}});
  auto none = [](const std::string&) { return std::string(); };
  auto resolve = node_resolver(enrollments(state), none,
                               booted_vclusters(state));
  CHECK(resolve("n-boot") == "ml");
  CHECK(resolve("n-ml") == "ml");
  // The agent's live report is newer than its last boot record.
  auto moved = node_resolver(
    enrollments(state), [](const std::string&) { return std::string("ai"); },
    booted_vclusters(state));
  CHECK(moved("n-boot") == "ai");
  // A gateway the agent does not report to shows it to ml's viewers.
  auto st = state;
  filter_state({viewer_ml}, st, none);
  REQUIRE(st.nodes_size() == 2);
  auto other = state;
  filter_state({role{kind::viewer, "storage"}}, other, none);
  CHECK(other.nodes_size() == 0);
}
