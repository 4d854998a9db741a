// read_authz, per request (issue 9 item 3): the gateway's decisions on each
// read path — log, watch, state and status naming a node, boot config, raw
// proposals — and the node-to-vCluster resolver it builds them on. The
// gateway only asks; these say yes or no, and how.

#include "runtime/policy/read_authz.hpp"

#include <doctest/doctest.h>

#include <map>
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

authenticated caller(std::vector<role> roles) {
  authenticated who;
  who.claims.subject = "alice";
  who.roles = std::move(roles);
  return who;
}

Scope node_scope(const std::string& n) {
  Scope s;
  s.set_node(n);
  return s;
}

Scope vc_scope(const std::string& vc) {
  Scope s;
  s.set_vcluster(vc);
  return s;
}

Scope global_scope() {
  Scope s;
  s.set_global(true);
  return s;
}

/// n-ml is in ml, n-st in storage; the rest in nothing.
std::string of(const std::string& node) {
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
  auto ml = vc_scope("ml");
  auto st = vc_scope("storage");
  CHECK(log_request_denial(caller({ops_ml}), &ml).empty());
  CHECK(log_request_denial(caller({ops_ml}), &st)
        == "policy: denied: alice may not read vcluster storage");
  auto g = global_scope();
  CHECK(log_request_denial(caller({viewer_ml}), &g).empty());
  CHECK(log_request_denial(caller({}), &g)
        == "policy: denied: alice may not read the journal");
  // A node's vCluster is not known before the answer: it passes here.
  auto n = node_scope("n-st");
  CHECK(log_request_denial(caller({ops_ml}), &n).empty());
}

TEST_CASE("a log answer: the node asked for, then every entry") {
  auto n = node_scope("n-st");
  auto one = entries({node_scope("n-st")});
  CHECK(log_denial(caller({ops_ml}), &n, one, of)
        == "policy: denied: alice may not read node n-st (vcluster storage)");
  CHECK(log_denial(caller({admin}), &n, one, of).empty());
  auto mixed = entries({global_scope(), vc_scope("ml"), node_scope("n-ml"),
                        node_scope("n-st")});
  CHECK(log_denial(caller({ops_ml}), nullptr, mixed, of)
        == "policy: denied: alice may not read entry 4 (node:n-st)");
  Scope none;
  CHECK(log_denial(caller({ops_ml}), &none,
                   entries({global_scope(), node_scope("n-ml")}), of)
          .empty());
  CHECK(log_denial(caller({ai}), nullptr, mixed, of).empty());
}

TEST_CASE("a watch: one vCluster for its readers, all for the global "
          "readers") {
  CHECK(watch_denial(caller({ops_ml}), "ml").empty());
  CHECK(watch_denial(caller({ops_ml}), "storage")
        == "policy: denied: alice may not read vcluster storage");
  CHECK(watch_denial(caller({ops_ml}), "")
        == "policy: denied: alice may not read the entries of every "
           "vCluster; name a vCluster it may read");
  CHECK(watch_denial(caller({ai}), "").empty());
}

TEST_CASE("a read naming a node: denied when known and unreadable, silent "
          "when unknown") {
  CHECK(named_node_denial(caller({ops_ml}), "n-st", true, "storage")
        == "policy: denied: alice may not read node n-st (vcluster storage)");
  CHECK(named_node_denial(caller({ops_ml}), "n-st", false, "storage").empty());
  CHECK(named_node_denial(caller({ops_ml}), "n-ml", true, "ml").empty());
  CHECK(named_node_denial(caller({ops_ml}), "n-x", true, "")
        == "policy: denied: alice may not read node n-x (in no vCluster)");
}

TEST_CASE("a boot stream: the vCluster it resolved and the node") {
  CHECK(boot_denial(caller({ops_ml}), "n-ml", boot_stream("ml"), of).empty());
  // The journal resolved the node's enrollment to another vCluster.
  CHECK(boot_denial(caller({ops_ml}), "n-ml", boot_stream("storage"), of)
        == "policy: denied: alice may not read vcluster storage");
  CHECK(boot_denial(caller({ops_ml}), "n-st", boot_stream("ml"), of)
        == "policy: denied: alice may not read node n-st (vcluster storage)");
  CHECK(boot_denial(caller({ops_ml}), "", boot_stream("ml"), of).empty());
  CHECK(boot_denial(caller({admin}), "n-st", boot_stream("storage"), of)
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
  CHECK(enrolled == std::map<std::string, std::string>{{"n-ml", "ml"},
                                                      {"n-free", ""}});
  CHECK(enrolled_in(state, "n-ml") == std::optional<std::string>("ml"));
  CHECK(enrolled_in(state, "n-free") == std::optional<std::string>(""));
  CHECK_FALSE(enrolled_in(state, "n-x"));
  auto resolve = node_resolver(enrolled, [](const std::string& n) {
    return n == "n-x" ? std::string("storage") : std::string("ai");
  });
  CHECK(resolve("n-ml") == "ml");        // enrollment wins over the report
  CHECK(resolve("n-free") == "ai");      // enrolled nowhere: the report
  CHECK(resolve("n-x") == "storage");    // unknown to the journal
}
