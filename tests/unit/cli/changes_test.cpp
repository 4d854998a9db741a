// actors/client/changes: `pact commit` targets and the delta built from
// --set and --unset: the operator's intent only, resolved against the
// declared state by the journal when it applies the commit (issue 9 item
// 5; those rules are tested in
// tests/unit/runtime/journal/config_intent_test.cpp).

#include "actors/client/changes.hpp"
#include "runtime/render/write_render.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pact;
using namespace pact::client;
using namespace pact::protocol;
using strings = std::vector<std::string>;

namespace {

StateDelta ok(const strings& sets, const strings& unsets) {
  auto d = build_delta(sets, unsets);
  if (!d)
    FAIL("build_delta refused: " << d.err().message);
  return *d;
}

error refused(const strings& sets, const strings& unsets) {
  auto d = build_delta(sets, unsets);
  REQUIRE_FALSE(d);
  return d.err();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// -- parse_target ------------------------------------------------------------

TEST_CASE("parse_target: a bare name is a node") {
  for (const char* name : {"n1", "gpu-01.rack_2", "A", "0node"}) {
    CAPTURE(name);
    auto t = parse_target(name);
    REQUIRE(t);
    REQUIRE(t->target_case() == Scope::kNode);
    CHECK(t->node() == name);
  }
  auto t = parse_target(std::string(63, 'n'));
  REQUIRE(t);
  CHECK(t->node().size() == 63);
}

TEST_CASE("parse_target: vc:X, vcluster:X, node:X and global") {
  auto vc = parse_target("vc:ml");
  REQUIRE(vc);
  REQUIRE(vc->target_case() == Scope::kVcluster);
  CHECK(vc->vcluster() == "ml");
  auto vcl = parse_target("vcluster:ml");
  REQUIRE(vcl);
  CHECK(vcl->vcluster() == "ml");
  auto node = parse_target("node:n1");
  REQUIRE(node);
  REQUIRE(node->target_case() == Scope::kNode);
  CHECK(node->node() == "n1");
  auto g = parse_target("global");
  REQUIRE(g);
  CHECK(g->target_case() == Scope::kGlobal);
}

TEST_CASE("parse_target refuses invalid names, naming them") {
  for (const char* bad : {"", "-n1", ".n1", "a/b", "n 1", "n1\n"}) {
    CAPTURE(bad);
    auto t = parse_target(bad);
    REQUIRE_FALSE(t);
    CHECK(contains(t.err().message, "'" + std::string(bad) + "'"));
    CHECK(contains(t.err().message, "not a node name"));
    CHECK(t.err().code == exit_code::general_error);
  }
  CHECK_FALSE(parse_target(std::string(64, 'n')));
  for (const char* bad :
       {"vc:", "vc:-x", "rack:7", "GLOBAL:x", ":n1", "node:a/b"}) {
    CAPTURE(bad);
    auto t = parse_target(bad);
    REQUIRE_FALSE(t);
    CHECK(contains(t.err().message, "'" + std::string(bad) + "'"));
  }
}

// -- build_delta -------------------------------------------------------------

TEST_CASE("--set sends SET, --unset REMOVE, no previous value") {
  auto d = ok({"kernel:vm.new=5", "kernel:vm.a=10"}, {"kernel:vm.b"});
  REQUIRE(d.items_size() == 3);
  const auto& add = d.items(0);
  CHECK(add.category() == DELTA_CATEGORY_KERNEL);
  CHECK(add.action() == DELTA_ACTION_SET);
  CHECK(add.key() == "vm.new");
  CHECK(add.value() == "5");
  CHECK(add.previous().empty());
  const auto& mod = d.items(1);
  CHECK(mod.action() == DELTA_ACTION_SET);
  CHECK(mod.key() == "vm.a");
  CHECK(mod.value() == "10");
  // The previous value is not the client's to say: the journal records
  // the one the change replaces when it applies it (issue 8 item 12).
  CHECK(mod.previous().empty());
  const auto& rm = d.items(2);
  CHECK(rm.action() == DELTA_ACTION_REMOVE);
  CHECK(rm.category() == DELTA_CATEGORY_KERNEL);
  CHECK(rm.key() == "vm.b");
  CHECK(rm.value().empty());
  CHECK(rm.previous().empty());
}

TEST_CASE("--set: categories, sysctl alias, values with '=' and ':'") {
  auto d = ok({"files:/etc/motd=a=b", "sysctl:vm.b=3", "mounts:/mnt:ro=nfs",
               "packages:cuda=12.4", "gpu:mig=on", "network:eth0=up",
               "services:sshd=running"},
              {});
  REQUIRE(d.items_size() == 7);
  CHECK(d.items(0).category() == DELTA_CATEGORY_FILES);
  CHECK(d.items(0).value() == "a=b"); // split at the first '='
  CHECK(d.items(1).category() == DELTA_CATEGORY_KERNEL);
  CHECK(d.items(2).category() == DELTA_CATEGORY_MOUNTS);
  CHECK(d.items(2).key() == "/mnt:ro"); // the category ends at the first ':'
  CHECK(d.items(3).category() == DELTA_CATEGORY_PACKAGES);
  CHECK(d.items(4).category() == DELTA_CATEGORY_GPU);
  CHECK(d.items(5).category() == DELTA_CATEGORY_NETWORK);
  CHECK(d.items(6).category() == DELTA_CATEGORY_SERVICES);
  for (int i = 0; i < 7; ++i)
    CHECK(d.items(i).action() == DELTA_ACTION_SET);
  // An empty value is a value.
  auto e = ok({"kernel:vm.a="}, {});
  CHECK(e.items(0).value().empty());
  CHECK(e.items(0).action() == DELTA_ACTION_SET);
}

// Messages quote the whole flag value as typed.
TEST_CASE("malformed --set and --unset texts name the text") {
  struct bad_case {
    strings sets;
    strings unsets;
    std::string text;
    std::string why;
  };
  for (const auto& c : std::vector<bad_case>{
         {{"kernel:vm.a"}, {}, "--set 'kernel:vm.a'", "CATEGORY:KEY=VALUE"},
         {{"vm.a=1"}, {}, "--set 'vm.a=1'", "CATEGORY:KEY"},
         {{":vm.a=1"}, {}, "--set ':vm.a=1'", "CATEGORY:KEY"},
         {{"kernel:=1"}, {}, "--set 'kernel:=1'", "CATEGORY:KEY"},
         {{"=1"}, {}, "--set '=1'", "CATEGORY:KEY"},
         {{""}, {}, "--set ''", "CATEGORY:KEY=VALUE"},
         {{}, {"kernel"}, "--unset 'kernel'", "CATEGORY:KEY"},
         {{}, {"kernel:"}, "--unset 'kernel:'", "CATEGORY:KEY"},
         {{}, {":vm.a"}, "--unset ':vm.a'", "CATEGORY:KEY"},
         {{}, {""}, "--unset ''", "CATEGORY:KEY"},
       }) {
    CAPTURE(c.text);
    auto err = refused(c.sets, c.unsets);
    CHECK(contains(err.message, c.text));
    CHECK(contains(err.message, c.why));
    CHECK(err.code == exit_code::general_error);
  }
}

TEST_CASE("an unknown category is named") {
  auto set = refused({"disk:sda=ssd"}, {});
  CHECK(contains(set.message, "unknown category 'disk'"));
  CHECK(contains(set.message, "--set 'disk:sda=ssd'"));
  auto unset = refused({}, {"Kernel:vm.a"}); // case matters
  CHECK(contains(unset.message, "unknown category 'Kernel'"));
  CHECK(contains(unset.message, "--unset 'Kernel:vm.a'"));
}

TEST_CASE("the same key twice is refused") {
  auto twice = refused({"kernel:vm.a=1", "kernel:vm.a=2"}, {});
  CHECK(contains(twice.message, "--set 'kernel:vm.a=2'"));
  CHECK(contains(twice.message, "twice"));
  // Set and unset of one key, and the sysctl alias of kernel.
  CHECK(contains(refused({"kernel:vm.a=1"}, {"kernel:vm.a"}).message,
                 "--unset 'kernel:vm.a'"));
  CHECK(contains(refused({"sysctl:vm.b=1"}, {"kernel:vm.b"}).message, "twice"));
  CHECK(contains(refused({}, {"kernel:vm.a", "kernel:vm.a"}).message, "twice"));
  // Equal keys in different categories are different items.
  CHECK(ok({"kernel:x=1", "packages:x=1"}, {}).items_size() == 2);
}

TEST_CASE("nothing to commit") {
  auto err = refused({}, {});
  CHECK(contains(err.message, "nothing to commit"));
  CHECK(contains(err.message, "--set CATEGORY:KEY=VALUE"));
}

// -- parse_expectations ------------------------------------------------------

TEST_CASE("--if-previous: KEY=VALUE expects a value, KEY expects unset") {
  auto x = parse_expectations({"kernel:vm.swappiness=10", "files:/etc/a=b=c",
                               "sysctl:vm.gone", "kernel:vm.empty="});
  REQUIRE(x);
  REQUIRE(x->size() == 4);
  CHECK((*x)[0].category() == DELTA_CATEGORY_KERNEL);
  CHECK((*x)[0].key() == "vm.swappiness");
  CHECK((*x)[0].present());
  CHECK((*x)[0].value() == "10");
  CHECK((*x)[1].value() == "b=c"); // split at the first '='
  CHECK_FALSE((*x)[2].present());
  CHECK((*x)[2].value().empty());
  CHECK((*x)[3].present()); // an empty value is a value
  CHECK((*x)[3].value().empty());
  auto none = parse_expectations({});
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("--if-previous: malformed or repeated keys are errors") {
  for (const char* bad : {"vm.a=1", "bogus:vm.a=1", ":vm.a", "kernel:"}) {
    CAPTURE(bad);
    auto x = parse_expectations({bad});
    REQUIRE_FALSE(x);
    CHECK(contains(x.err().message, "--if-previous"));
  }
  auto twice = parse_expectations({"kernel:vm.a=1", "sysctl:vm.a"});
  REQUIRE_FALSE(twice);
  CHECK(contains(twice.err().message, "named twice"));
}

TEST_CASE("unchanged_lines names each unchanged target with its version") {
  CommandResult r;
  auto* a = r.add_unchanged();
  a->mutable_scope()->set_vcluster("ml");
  a->set_version(7);
  auto* b = r.add_unchanged();
  b->mutable_scope()->set_global(true);
  b->set_version(3);
  auto* c = r.add_unchanged();
  c->mutable_scope()->set_node("n1");
  c->set_version(9);
  CHECK(render::unchanged_lines(r)
        == std::vector<std::string>{"vcluster ml: unchanged (version 7)",
                                    "global: unchanged (version 3)",
                                    "node n1: unchanged (version 9)"});
  CHECK(render::unchanged_lines(CommandResult{}).empty());
}

TEST_CASE("--ttl is checked in the flag's words, not the journal's field") {
  // Tester, issue 11: `pact commit --ttl 10` said "ttl_seconds 10 is below
  // the minimum", naming a field the user never typed.
  auto node = parse_target("n1");
  REQUIRE(node);
  CHECK(check_ttl_flag(*node, 86400, false));
  CHECK(check_ttl_flag(*node, 900, true));
  CHECK(check_ttl_flag(*node, 864000, true));
  for (unsigned bad : {0U, 10U, 899U, 864001U}) {
    auto st = check_ttl_flag(*node, bad, true);
    REQUIRE_FALSE(st);
    CHECK(st.err().message
          == "commit: --ttl " + std::to_string(bad)
               + " is outside 900 .. 864000 seconds");
    CHECK(st.err().message.find("ttl_seconds") == std::string::npos);
  }
  // A vCluster or global commit does not expire: --ttl there is an error,
  // not silently dropped; its default is no error.
  auto vc = parse_target("vc:ml");
  REQUIRE(vc);
  CHECK(check_ttl_flag(*vc, 86400, false));
  auto st = check_ttl_flag(*vc, 3600, true);
  REQUIRE_FALSE(st);
  CHECK(st.err().message
        == "commit: --ttl applies only to a node's commit (its node delta "
           "expires); vc:ml changes do not expire");
  auto global = parse_target("global");
  REQUIRE(global);
  CHECK_FALSE(check_ttl_flag(*global, 3600, true));
}

TEST_CASE("--set refuses paths and sysctl keys that would leave the root; "
          "--unset may clear them") {
  CHECK(contains(refused({"files:/etc/../../x=a"}, {}).message,
                 "--set 'files:/etc/../../x=a': file path '/etc/../../x' has "
                 "a '.' or '..' component"));
  CHECK(contains(refused({"kernel:../../etc/passwd=1"}, {}).message,
                 "sysctl key '../../etc/passwd' has an empty or '..' "
                 "component"));
  CHECK(contains(refused({"mounts:/=x"}, {}).message,
                 "mount point '/' names the root directory itself"));
  // A key an older pact let in can still be cleared.
  CHECK(ok({}, {"files:/etc/../../x"}).items_size() == 1);
  CHECK(ok({"kernel:net/ipv4/conf/eth0.100/rp_filter=1"}, {}).items_size()
        == 1);
}

TEST_CASE("check_node_name refuses odd names and never echoes a long one") {
  CHECK(check_node_name("node-042"));
  auto empty = check_node_name("");
  REQUIRE_FALSE(empty);
  CHECK(empty.err().message
        == "'' is not a node name (1-63 of [A-Za-z0-9._-])");
  auto slash = check_node_name("../etc");
  REQUIRE_FALSE(slash);
  CHECK(slash.err().message.find("'../etc' is not a node name") == 0);
  auto huge = check_node_name(std::string(100000, 'a') + "/");
  REQUIRE_FALSE(huge);
  CHECK(huge.err().message
        == "'" + std::string(64, 'a')
             + "...' is not a node name (1-63 of [A-Za-z0-9._-])");
}
