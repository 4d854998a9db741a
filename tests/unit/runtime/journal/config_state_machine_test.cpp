// config_state_machine: the state transition of every command.

#include <doctest/doctest.h>

#include <set>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

TEST_CASE("a node commit records the delta, its expiry and the node state") {
  harness h;
  auto c = node_commit("node-001", "vm.swappiness", "10", 3600);
  c.set_timestamp_unix_ms(t0_ms + 5);
  CHECK(h.ok(c) == 1);
  const auto& e = entry_at(h.sm, 1);
  CHECK(e.sequence() == 1);
  CHECK(e.entry_type() == ENTRY_TYPE_COMMIT);
  CHECK(e.scope().node() == "node-001");
  CHECK(e.author().principal() == "alice@site");
  CHECK(e.timestamp_unix_ms() == t0_ms + 5);
  CHECK(e.ttl_seconds() == 3600);
  CHECK(e.parent() == 0);
  CHECK(e.message() == "test");
  CHECK(e.prev_hash() == zero_hash());
  CHECK(e.hash() == entry_hash(e));
  auto* rec = h.sm.node("node-001");
  REQUIRE(rec);
  CHECK(rec->state() == NODE_STATE_COMMITTED);
  REQUIRE(rec->items_size() == 1);
  CHECK(rec->items(0).key() == "vm.swappiness");
  CHECK(rec->items(0).value() == "10");
  CHECK(rec->items(0).action() == DELTA_ACTION_MODIFY);
  CHECK(rec->delta_sequence() == 1);
  CHECK(rec->delta_expires_unix_ms() == t0_ms + 5 + 3600 * 1000);
  // A second commit of the same key replaces it; parent links the scope.
  CHECK(h.ok(node_commit("node-001", "vm.swappiness", "20")) == 2);
  CHECK(entry_at(h.sm, 2).parent() == 1);
  rec = h.sm.node("node-001");
  REQUIRE(rec->items_size() == 1);
  CHECK(rec->items(0).value() == "20");
  // A REMOVE in a node delta is remembered, not applied.
  auto rm = make_cmd(COMMAND_KIND_COMMIT, node_scope("node-001"));
  *rm.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_FILES, DELTA_ACTION_REMOVE, "/etc/motd");
  rm.set_ttl_seconds(900);
  h.ok(rm);
  rec = h.sm.node("node-001");
  REQUIRE(rec->items_size() == 2);
  CHECK(rec->items(0).category() == DELTA_CATEGORY_FILES);
  CHECK(rec->items(0).action() == DELTA_ACTION_REMOVE);
}

TEST_CASE("overlay apply replaces the overlay and records the diff") {
  harness h;
  CHECK(h.ok(overlay_apply("ml", {{"vm.a", "1"}, {"vm.b", "2"}})) == 1);
  auto* o = h.sm.overlay("ml");
  REQUIRE(o);
  CHECK(o->version() == 1);
  CHECK(o->checksum().size() == 64);
  CHECK(o->attributes().base_image() == "img-1");
  CHECK(o->items_size() == 2);
  CHECK(o->policy().drift_sensitivity() == 2.0);
  auto first_checksum = o->checksum();
  h.ok(overlay_apply("ml", {{"vm.a", "1"}, {"vm.c", "3"}}));
  o = h.sm.overlay("ml");
  CHECK(o->version() == 2);
  CHECK(o->checksum() != first_checksum);
  auto d = entry_at(h.sm, 2).state_delta();
  REQUIRE(d.items_size() == 2);
  CHECK(d.items(0).key() == "vm.b");
  CHECK(d.items(0).action() == DELTA_ACTION_REMOVE);
  CHECK(d.items(0).previous() == "2");
  CHECK(d.items(1).key() == "vm.c");
  CHECK(d.items(1).action() == DELTA_ACTION_ADD);
  // The same content again: same checksum as an independent machine's.
  harness other;
  other.ok(overlay_apply("ml", {{"vm.c", "3"}, {"vm.a", "1"}}));
  CHECK(other.sm.overlay("ml")->checksum() == o->checksum());
}

TEST_CASE("overlay apply of several vClusters lands atomically") {
  harness h;
  auto c = overlay_apply("a", {{"k", "1"}});
  auto* spec = c.add_overlays();
  spec->set_vcluster("b");
  spec->mutable_policy()->set_emergency_allowed(false);
  auto r = h.run(c);
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  REQUIRE(r.sequences_size() == 2);
  CHECK(r.sequences(0) == 1);
  CHECK(r.sequences(1) == 2);
  CHECK(h.sm.overlay("a")->version() == 1);
  CHECK(h.sm.overlay("b")->version() == 2);
  CHECK_FALSE(h.sm.policy("b").emergency_allowed());
  CHECK(entry_at(h.sm, 2).has_policy());
  CHECK_FALSE(entry_at(h.sm, 1).has_policy());
  // One bad vCluster: none lands.
  auto bad = overlay_apply("c", {{"k", "1"}});
  bad.add_overlays()->set_vcluster("bad name");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "invalid vCluster name");
  CHECK(h.sm.overlay("c") == nullptr);
}

TEST_CASE("a vCluster commit edits the overlay and bumps its version") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto c = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.a", "5");
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_GPU, DELTA_ACTION_ADD, "mig", "on");
  CHECK(h.ok(c) == 2);
  auto* o = h.sm.overlay("ml");
  CHECK(o->version() == 2);
  REQUIRE(o->items_size() == 2);
  CHECK(o->items(0).category() == DELTA_CATEGORY_KERNEL);
  CHECK(o->items(0).value() == "5");
  CHECK(o->items(1).key() == "mig");
  auto rm = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *rm.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_GPU, DELTA_ACTION_REMOVE, "mig");
  h.ok(rm);
  CHECK(h.sm.overlay("ml")->items_size() == 1);
}

TEST_CASE("a global commit edits the global declared state") {
  harness h;
  auto c = make_cmd(COMMAND_KIND_COMMIT, global_scope());
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "ntp", "ntp1");
  h.ok(c);
  CHECK(h.sm.global().items_size() == 1);
  CHECK(h.sm.global().version() == 1);
}

TEST_CASE("policy update resolves defaults and keeps the blacklist") {
  harness h;
  CHECK(h.sm.policy("ml").SerializeAsString()
        == default_policy().SerializeAsString());
  auto add = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  h.ok(add);
  REQUIRE(h.sm.overlay("ml"));
  auto bl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, vcluster_scope("ml"));
  bl.set_blacklist_pattern("/tmp/**");
  h.ok(bl);
  auto c = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  c.mutable_policy()->set_drift_sensitivity(3.5);
  c.mutable_policy()->set_enforcement_mode(ENFORCEMENT_MODE_ENFORCE);
  c.mutable_policy()->add_exec_whitelist("nvidia-smi");
  c.mutable_policy()->add_exec_whitelist("dmesg");
  c.mutable_policy()->add_exec_whitelist("nvidia-smi");
  uint64_t seq = h.ok(c);
  auto p = h.sm.policy("ml");
  CHECK(p.drift_sensitivity() == 3.5);
  CHECK(p.enforcement_mode() == ENFORCEMENT_MODE_ENFORCE);
  CHECK(p.base_commit_window_seconds() == 900);
  CHECK(p.emergency_window_seconds() == 14400);
  CHECK(p.approval_timeout_seconds() == 1800);
  CHECK(p.audit_retention_days() == 2555);
  CHECK(p.emergency_allowed());
  CHECK_FALSE(p.ai_exec_allowed());
  CHECK_FALSE(p.regulated());
  CHECK_FALSE(p.two_person_approval());
  REQUIRE(p.exec_whitelist_size() == 2);
  CHECK(p.exec_whitelist(0) == "dmesg");
  REQUIRE(p.blacklist_size() == 1);
  CHECK(p.blacklist(0) == "/tmp/**");
  CHECK(h.sm.overlay("ml")->version() == seq);
  CHECK(last_of(h.sm).entry_type() == ENTRY_TYPE_POLICY_UPDATE);
}

TEST_CASE("blacklist add and remove, global and per vCluster") {
  harness h;
  auto add = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  add.set_blacklist_pattern("/etc/shadow");
  h.ok(add);
  CHECK(h.sm.blacklist(global_scope())
        == std::vector<std::string>{"/etc/shadow"});
  const auto& e = last_of(h.sm);
  CHECK(e.entry_type() == ENTRY_TYPE_BLACKLIST_UPDATE);
  CHECK(e.blacklist_change().pattern() == "/etc/shadow");
  CHECK_FALSE(e.blacklist_change().removed());
  h.ok(overlay_apply("ml", {}));
  auto vadd = make_cmd(COMMAND_KIND_BLACKLIST_ADD, vcluster_scope("ml"));
  vadd.set_blacklist_pattern("/opt/secret/**");
  uint64_t seq = h.ok(vadd);
  CHECK(h.sm.blacklist(vcluster_scope("ml"))
        == std::vector<std::string>{"/opt/secret/**"});
  CHECK(h.sm.overlay("ml")->version() == seq);
  // Blacklisted keys cannot be committed, globally or per vCluster.
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  h.ok(enroll);
  h.refused(node_commit("n1", "/opt/secret/key", "1"),
            STATUS_CODE_POLICY_REJECTED,
            "blacklisted by pattern '/opt/secret/**'");
  auto shadow = node_commit("n2", "x", "1");
  shadow.mutable_state_delta()->mutable_items(0)->set_key("/etc/shadow");
  h.refused(shadow, STATUS_CODE_POLICY_REJECTED, "/etc/shadow");
  auto rm = make_cmd(COMMAND_KIND_BLACKLIST_REMOVE, vcluster_scope("ml"));
  rm.set_blacklist_pattern("/opt/secret/**");
  h.ok(rm);
  CHECK(h.sm.blacklist(vcluster_scope("ml")).empty());
  CHECK(last_of(h.sm).blacklist_change().removed());
  h.ok(node_commit("n1", "/opt/secret/key", "1"));
}

TEST_CASE("blacklist patterns mean what they mean on the agents") {
  // The journal used fnmatch on the whole key: `*` crossed `/`, and it took
  // patterns no agent can use ("vm.*", "/var/**log"), which every agent
  // then refused (tester, issue 11).
  harness h;
  h.ok(overlay_apply("ml", {}));
  for (const char* bad :
       {"vm.*", "relative/**", "/var/**log", "/a/[b", "/a//b", "/a/b\\"}) {
    CAPTURE(bad);
    auto add = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
    add.set_blacklist_pattern(bad);
    h.refused(add, STATUS_CODE_INVALID_ARGUMENT, "blacklist pattern");
    auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
    pol.mutable_policy()->add_blacklist(bad);
    h.refused(pol, STATUS_CODE_INVALID_ARGUMENT, "blacklist pattern");
  }
  CHECK(h.sm.blacklist(global_scope()).empty());
  auto add = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  add.set_blacklist_pattern("/scratch/*");
  h.ok(add);
  auto key = [&](const std::string& k) {
    auto c = node_commit("n1", "x", "1");
    c.mutable_state_delta()->mutable_items(0)->set_key(k);
    return c;
  };
  // `*` is one segment: the file below it is not excluded ...
  h.ok(key("/scratch/a/b"));
  // ... the one directly in it is, however the path is spelled.
  for (const char* k : {"/scratch/a", "/scratch//a", "/scratch/./a",
                        "/scratch/x/../a", "/scratch/a/"}) {
    CAPTURE(k);
    h.refused(key(k), STATUS_CODE_POLICY_REJECTED,
              "blacklisted by pattern '/scratch/*'");
  }
  // A key that is not a path (a sysctl key) is never a blacklisted path.
  h.ok(node_commit("n1", "scratch.a", "1"));
}

TEST_CASE("node lifecycle: enroll, drift, converge, state change") {
  harness h;
  h.ok(overlay_apply("ml", {}));
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  h.ok(enroll);
  CHECK(h.sm.node("n1")->vcluster() == "ml");
  CHECK(h.sm.node("n1")->state() == NODE_STATE_OBSERVE_ONLY);
  CHECK(last_of(h.sm).entry_type() == ENTRY_TYPE_NODE_ENROLLED);
  CHECK(last_of(h.sm).vcluster() == "ml");
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  *drift.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_MOUNTS, DELTA_ACTION_ADD, "/scratch", "{}");
  h.ok(drift);
  CHECK(h.sm.node("n1")->state() == NODE_STATE_DRIFTED);
  CHECK(h.sm.node("n1")->items_size() == 0);
  h.ok(make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1")));
  CHECK(h.sm.node("n1")->state() == NODE_STATE_CONVERGING);
  CHECK(last_of(h.sm).entry_type() == ENTRY_TYPE_AUTO_CONVERGE);
  auto st = make_cmd(COMMAND_KIND_NODE_STATE_CHANGE, node_scope("n1"));
  st.set_node_state(NODE_STATE_COMMITTED);
  h.ok(st);
  CHECK(h.sm.node("n1")->state() == NODE_STATE_COMMITTED);
  CHECK(last_of(h.sm).node_state() == NODE_STATE_COMMITTED);
}

TEST_CASE("records: exec, shell, approvals go to the audit list") {
  harness h;
  auto exec = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  exec.set_record_type(ENTRY_TYPE_EXEC_LOG);
  exec.set_message("nvidia-smi");
  h.ok(exec);
  auto boot = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  boot.set_record_type(ENTRY_TYPE_BOOT_CONFIG);
  h.ok(boot);
  auto shell = make_cmd(COMMAND_KIND_RECORD, vcluster_scope("ml"));
  shell.set_record_type(ENTRY_TYPE_SHELL_SESSION);
  h.ok(shell);
  REQUIRE(audit_of(h.sm).size() == 2);
  CHECK(audit_of(h.sm)[0].sequence() == 1);
  CHECK(audit_of(h.sm)[0].entry_type() == ENTRY_TYPE_EXEC_LOG);
  CHECK(audit_of(h.sm)[1].sequence() == 3);
  CHECK(audit_of(h.sm)[1].author().principal() == "alice@site");
  // AI exec needs the vCluster's ai_exec_allowed.
  auto ai = exec;
  *ai.mutable_author() = agent();
  h.refused(ai, STATUS_CODE_POLICY_REJECTED, "AI exec is not allowed");
  auto allow = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  allow.mutable_policy()->set_ai_exec_allowed(true);
  h.ok(allow);
  auto ai_vc = ai;
  *ai_vc.mutable_scope() = vcluster_scope("ml");
  h.ok(ai_vc);
  CHECK(audit_of(h.sm).size() == 3);
}

TEST_CASE("an exec record carries its ExecRecord; an AI caller needs "
          "ai_exec_allowed") {
  harness h;
  auto exec = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  exec.set_record_type(ENTRY_TYPE_EXEC_LOG);
  auto* x = exec.mutable_exec();
  x->mutable_caller()->set_principal("olga");
  x->add_argv("echo");
  x->add_argv("hi");
  x->set_phase("finished");
  x->set_exit_code(3);
  h.ok(exec);
  auto e = last_of(h.sm);
  CHECK(e.exec().caller().principal() == "olga");
  CHECK(e.exec().argv_size() == 2);
  CHECK(e.exec().exit_code() == 3);
  // Written by the node's agent: the AI principal is the exec's caller.
  auto ai = exec;
  ai.mutable_exec()->mutable_caller()->set_principal_type(PRINCIPAL_TYPE_AGENT);
  h.refused(ai, STATUS_CODE_POLICY_REJECTED, "AI exec is not allowed");
  // An exec belongs only on an exec-log record.
  auto boot = exec;
  boot.set_record_type(ENTRY_TYPE_BOOT_CONFIG);
  h.refused(boot, STATUS_CODE_INVALID_ARGUMENT, "exec belongs only");
}

TEST_CASE("log returns the most recent entries newest first, by scope") {
  harness h;
  h.ok(node_commit("n1", "a", "1"));
  h.ok(node_commit("n2", "a", "1"));
  h.ok(node_commit("n1", "b", "1"));
  auto all = newest_of(h.sm, 2);
  REQUIRE(all.size() == 2);
  CHECK(all[0].sequence() == 3);
  CHECK(all[1].sequence() == 2);
  auto n1 = newest_of(h.sm, 10, node_scope("n1"));
  REQUIRE(n1.size() == 2);
  CHECK(n1[0].sequence() == 3);
  CHECK(n1[1].sequence() == 1);
  CHECK(newest_of(h.sm, 10, vcluster_scope("n1")).empty());
  CHECK(newest_of(h.sm, 0).empty());
  CHECK(entry_at(h.sm, 2).scope().node() == "n2");
  CHECK(!h.sm.entry(4)->has_value());
  CHECK(!h.sm.entry(0)->has_value());
}

TEST_CASE("merge_node_list equals merging through a map") {
  // Random deltas against a growing list: the in-place merge must keep the
  // canonical order and the latest item per key, like merge_node.
  uint32_t seed = 7;
  auto next = [&] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  pact::journal::item_list list;
  for (int round = 0; round < 200; ++round) {
    StateDelta d;
    std::set<std::pair<int, std::string>> used;
    for (int i = 0; i < 3; ++i) {
      auto cat = static_cast<int>(1 + next() % 7);
      auto key = "k" + std::to_string(next() % 20);
      if (!used.insert({cat, key}).second)
        continue;
      auto* item = d.add_items();
      item->set_category(static_cast<DeltaCategory>(cat));
      item->set_action(next() % 3 == 0 ? DELTA_ACTION_REMOVE
                                       : DELTA_ACTION_ADD);
      item->set_key(key);
      if (item->action() != DELTA_ACTION_REMOVE)
        item->set_value(std::to_string(round));
    }
    auto expected_map = pact::journal::to_map(list);
    pact::journal::merge_node(expected_map, d);
    pact::journal::item_list expected;
    pact::journal::to_list(expected_map, &expected);
    pact::journal::merge_node_list(&list, d);
    REQUIRE(list.size() == expected.size());
    for (int i = 0; i < list.size(); ++i)
      CHECK(list.Get(i).SerializeAsString()
            == expected.Get(i).SerializeAsString());
  }
}
