// Entries in the state tables (issue 10 item 1): the state machine keeps a
// bounded cache, reads older entries back from the tables (in memory and
// in LMDB), and answers every query, snapshot and digest exactly as a
// machine that caches everything.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_query.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"
#include "tests/unit/runtime/store/fixtures.hpp"

using namespace pact;
using namespace pact::journal;
using namespace pact::journal::test;

namespace {

struct memory_backing {
  store::state_tables& tables() {
    return tables_;
  }
  store::memory_tables tables_;
};

struct lmdb_backing {
  lmdb_backing() {
    store::lmdb_options opts;
    opts.dir = dir.path() + "/journal";
    opts.map_size_bytes = std::size_t{256} << 20;
    auto s = store::lmdb_store::open(opts);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.err().message));
    store_ = std::move(*s);
  }
  store::state_tables& tables() {
    return store_->tables();
  }
  store::test::temp_dir dir;
  std::unique_ptr<store::lmdb_store> store_;
};

/// A log of `n` commands over several scopes: node commits, vCluster and
/// global commits, records, emergencies, and rollbacks to early sequences
/// (so they fold entries long out of any small cache).
std::vector<std::string> long_log(size_t n) {
  std::vector<std::string> out;
  int64_t ts = t0_ms;
  auto add = [&](JournalCommand c) {
    c.set_timestamp_unix_ms(ts += 1000);
    out.push_back(c.SerializeAsString());
  };
  add(overlay_apply("ml", {{"vm.a", "1"}}));
  add(overlay_apply("ai", {{"vm.c", "3"}}));
  for (size_t i = 0; out.size() < n; ++i) {
    auto node = "n" + std::to_string(i % 7);
    auto v = std::to_string(i);
    switch (i % 9) {
      case 0:
      case 1:
      case 2:
        add(node_commit(node, "vm.k" + std::to_string(i % 3), v));
        break;
      case 3: {
        auto c = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
        *c.mutable_state_delta()->add_items()
          = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_SET, "vm.a", v);
        add(c);
        break;
      }
      case 4: {
        auto r = make_cmd(COMMAND_KIND_RECORD, node_scope(node));
        r.set_record_type(ENTRY_TYPE_EXEC_LOG);
        add(r);
        break;
      }
      case 5: {
        auto rb = make_cmd(COMMAND_KIND_ROLLBACK,
                           i % 2 ? vcluster_scope("ml") : node_scope(node));
        rb.set_rollback_to(1 + i / 4);
        add(rb);
        break;
      }
      case 6: {
        auto em = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope(node));
        em.set_emergency_reason("hang");
        add(em);
        break;
      }
      case 7:
        add(make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope(node)));
        break;
      default: {
        auto c = make_cmd(COMMAND_KIND_COMMIT, global_scope());
        *c.mutable_state_delta()->add_items()
          = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_SET, "vm.g", v);
        add(c);
        break;
      }
    }
  }
  return out;
}

/// One command of every kind that changes current state, on top of
/// long_log's (policies, blacklists, enrollment, node states, windows,
/// multi-vCluster overlay applies, vCluster emergencies, duplicates).
std::vector<std::string> every_kind(int64_t ts) {
  std::vector<JournalCommand> cmds;
  auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("hpc"));
  pol.mutable_policy()->set_drift_sensitivity(1.5);
  cmds.push_back(pol);
  auto bl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  bl.set_blacklist_pattern("/etc/shadow");
  cmds.push_back(bl);
  auto vbl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, vcluster_scope("ml"));
  vbl.set_blacklist_pattern("/opt/secret*");
  cmds.push_back(vbl);
  auto en = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  en.set_vcluster("ml");
  cmds.push_back(en);
  auto ns = make_cmd(COMMAND_KIND_NODE_STATE_CHANGE, node_scope("n1"));
  ns.set_node_state(NODE_STATE_COMMITTED);
  cmds.push_back(ns);
  // Enrollment records (issue 16): registered, activated, renewed; n2
  // registered then revoked.
  cmds.push_back(enroll_with_token("n1", "ml", "tok-1", "uuid:1"));
  cmds.push_back(activate_cmd("n1", "uuid:1", "tok-1", "c1", ts + 100000));
  cmds.push_back(activate_cmd("n1", "uuid:1", "", "c2", ts + 100000));
  cmds.push_back(enroll_with_token("n2", "ml", "tok-2"));
  cmds.push_back(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n2")));
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n2"));
  *drift.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.d", "1");
  cmds.push_back(drift);
  auto conv = make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n2"));
  cmds.push_back(conv);
  auto ext = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope("n1"));
  ext.set_extend_seconds(600);
  cmds.push_back(ext);
  auto two = overlay_apply("ml", {{"vm.a", "9"}});
  *two.add_overlays() = overlay_apply("gpu", {{"vm.z", "1"}}).overlays(0);
  cmds.push_back(two);
  auto vem = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  vem.set_emergency_reason("all down");
  cmds.push_back(vem);
  auto dedup = node_commit("n4", "vm.q", "1");
  dedup.set_client_request_id("0123456789abcdef");
  cmds.push_back(dedup);
  cmds.push_back(dedup); // a retry: answered from the window
  cmds.push_back(make_cmd(COMMAND_KIND_EMERGENCY_END, vcluster_scope("ml")));
  // Two-person approval: held writes, a decision that applies one, an
  // expiry, an agent action's grant and its use (config_approvals.cpp).
  auto two_person = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  two_person.mutable_policy()->set_two_person_approval(true);
  two_person.mutable_policy()->set_approval_timeout_seconds(2);
  cmds.push_back(two_person);
  auto stamped = [](JournalCommand c, const std::string& who,
                    const std::string& group, const std::string& id) {
    c.mutable_author()->set_principal(who);
    c.mutable_author_roles()->add_groups(group);
    c.set_approval_id(id);
    return c;
  };
  auto held = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *held.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_SET, "vm.h", "1");
  cmds.push_back(stamped(held, "alice@site", "pact-ops-ml", "ap-aaaaaaaa"));
  auto yes = make_cmd(COMMAND_KIND_APPROVAL_DECIDE, Scope());
  yes.set_approval_id("ap-aaaaaaaa");
  yes.set_approve(true);
  cmds.push_back(stamped(yes, "bob@site", "pact-regulated-ml", "ap-aaaaaaaa"));
  cmds.push_back(stamped(held, "alice@site", "pact-ops-ml", "ap-bbbbbbbb"));
  auto ask = make_cmd(COMMAND_KIND_APPROVAL_REQUEST, node_scope("n1"));
  ask.mutable_agent_action()->set_node("n1");
  ask.mutable_agent_action()->set_action("service.restart");
  ask.mutable_agent_action()->set_service("slurmd");
  cmds.push_back(stamped(ask, "alice@site", "pact-ops-ml", "ap-cccccccc"));
  yes.set_approval_id("ap-cccccccc");
  cmds.push_back(stamped(yes, "bob@site", "pact-regulated-ml", "ap-cccccccc"));
  auto use = make_cmd(COMMAND_KIND_APPROVAL_REDEEM, node_scope("n1"));
  *use.mutable_agent_action() = ask.agent_action();
  use.set_grant_caller("alice@site");
  cmds.push_back(stamped(use, "n1", "pact-node", "ap-cccccccc"));
  // Due by now (two seconds after ap-bbbbbbbb was held).
  auto expire = make_cmd(COMMAND_KIND_APPROVAL_EXPIRE, Scope());
  expire.set_approval_id("ap-bbbbbbbb");
  cmds.push_back(expire);
  std::vector<std::string> out;
  for (auto& c : cmds) {
    c.set_timestamp_unix_ms(ts += 1000);
    out.push_back(c.SerializeAsString());
  }
  out.push_back("not a command");
  return out;
}

std::vector<uint64_t> sequences(const std::vector<ConfigEntry>& es) {
  std::vector<uint64_t> out;
  for (const auto& e : es)
    out.push_back(e.sequence());
  return out;
}

std::vector<uint64_t> audit_sequences(const config_state_machine& sm,
                                      uint64_t after, size_t limit) {
  auto a = sm.audit(after, limit);
  REQUIRE(a.has_value());
  std::vector<uint64_t> out;
  for (const auto& r : *a)
    out.push_back(r.sequence());
  return out;
}

/// Every query the gateway makes gives the same answer on both machines.
void check_same_answers(const config_state_machine& a,
                        const config_state_machine& b) {
  CHECK(a.last_sequence() == b.last_sequence());
  CHECK(a.snapshot() == b.snapshot());
  CHECK(a.digest() == b.digest());
  CHECK(deterministic_bytes(last_of(a)) == deterministic_bytes(last_of(b)));
  for (uint64_t s : {uint64_t{1}, uint64_t{2}, a.last_sequence() / 2})
    CHECK(deterministic_bytes(entry_at(a, s))
          == deterministic_bytes(entry_at(b, s)));
  CHECK(all_entries(a).size() == a.last_sequence());
  CHECK(sequences(all_entries(a)) == sequences(all_entries(b)));
  for (size_t n : {size_t{1}, size_t{5}, size_t{50}, size_t{100000}}) {
    CHECK(sequences(newest_of(a, n)) == sequences(newest_of(b, n)));
    for (const auto& sc : {node_scope("n3"), vcluster_scope("ml"),
                           global_scope(), node_scope("nobody")})
      CHECK(sequences(newest_of(a, n, sc)) == sequences(newest_of(b, n, sc)));
  }
  for (uint64_t after : {uint64_t{0}, uint64_t{17}, a.last_sequence() - 3})
    for (size_t limit : {size_t{1}, size_t{4}, size_t{100000}})
      CHECK(audit_sequences(a, after, limit)
            == audit_sequences(b, after, limit));
  journal_reader r;
  for (const char* vc : {"", "ml", "ai"})
    for (uint64_t after : {uint64_t{0}, uint64_t{40}}) {
      WatchRequest w;
      w.set_vcluster(vc);
      w.set_after_sequence(after);
      CHECK(deterministic_bytes(r.watch(a, w))
            == deterministic_bytes(r.watch(b, w)));
    }
  JournalQuery q;
  q.mutable_log()->set_verify(true);
  q.mutable_log()->set_limit(3);
  auto va = r.answer(a, q);
  auto vb = r.answer(b, q);
  REQUIRE(va.has_value());
  REQUIRE(vb.has_value());
  CHECK(va->log().verified());
  CHECK(deterministic_bytes(*va) == deterministic_bytes(*vb));
}

} // namespace

TEST_CASE("the state machine's memory does not grow with the journal") {
  store::memory_tables tables;
  constexpr size_t bound = 64;
  config_state_machine sm{tables, bound};
  uint64_t index = 0;
  int64_t ts = t0_ms;
  for (int i = 0; i < 10000; ++i) {
    auto c = i % 4 == 0 ? make_cmd(COMMAND_KIND_RECORD,
                                   node_scope("n" + std::to_string(i % 50)))
                        : node_commit("n" + std::to_string(i % 50), "vm.a",
                                      std::to_string(i));
    if (i % 4 == 0)
      c.set_record_type(ENTRY_TYPE_EXEC_LOG);
    c.set_timestamp_unix_ms(ts += 10);
    CommandResult r;
    REQUIRE(r.ParseFromString(sm.apply(++index, c.SerializeAsString())));
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    if (i % 1000 == 999)
      CHECK(sm.entries().cached() <= bound);
  }
  CHECK(sm.last_sequence() == 10000);
  CHECK(sm.entries().cached() <= bound);
  // Every entry and both index records went to the tables.
  for (auto t : {store::state_table::entries, store::state_table::by_scope,
                 store::state_table::by_type}) {
    size_t n = 0;
    REQUIRE(tables.scan(t, {}, {}, false, [&](auto, auto) { return ++n; }));
    CHECK(n == 10000);
  }
  // The oldest entries come back from the tables, chain intact.
  CHECK(entry_at(sm, 1).scope().node() == "n0");
  CHECK(entry_at(sm, 2).prev_hash() == entry_at(sm, 1).hash());
  CHECK(sequences(newest_of(sm, 3, node_scope("n7")))
        == std::vector<uint64_t>{9958, 9908, 9858});
  auto audit = sm.audit(0, SIZE_MAX);
  REQUIRE(audit.has_value());
  CHECK(audit->size() == 2500);
  CHECK(audit->front().sequence() == 1);
  CHECK(audit->back().sequence() == 9997);
}

TEST_CASE_TEMPLATE("a small entry cache answers exactly like a large one", B,
                   memory_backing, lmdb_backing) {
  B backing;
  auto log = long_log(400);
  config_state_machine big; // everything cached
  config_state_machine small{backing.tables(), 3};
  for (size_t i = 0; i < log.size(); ++i) {
    CAPTURE(i);
    REQUIRE(big.apply(i + 1, log[i]) == small.apply(i + 1, log[i]));
  }
  CHECK(small.entries().cached() <= 3);
  CHECK(big.entries().cached() == big.last_sequence());
  // Rollbacks folded entries read back from the tables.
  size_t rollbacks = 0;
  for (const auto& e : all_entries(big))
    rollbacks += e.entry_type() == ENTRY_TYPE_ROLLBACK;
  CHECK(rollbacks > 10);
  check_same_answers(big, small);
}

TEST_CASE_TEMPLATE("restore into tables, then continue", B, memory_backing,
                   lmdb_backing) {
  B backing;
  auto log = long_log(300);
  config_state_machine straight;
  std::vector<std::string> results;
  for (size_t i = 0; i < log.size(); ++i)
    results.push_back(straight.apply(i + 1, log[i]));
  config_state_machine first;
  for (size_t i = 0; i < 150; ++i)
    first.apply(i + 1, log[i]);
  config_state_machine restored{backing.tables(), 5};
  // Something to replace: the restore drops what the tables held.
  restored.apply(1, log[0]);
  REQUIRE(restored.restore(first.snapshot()));
  CHECK(restored.snapshot() == first.snapshot());
  CHECK(restored.entries().cached() <= 5);
  for (size_t i = 150; i < log.size(); ++i)
    CHECK(restored.apply(i + 1, log[i]) == results[i]);
  check_same_answers(straight, restored);
  // A refused image changes neither the tables nor the cache.
  auto before = restored.snapshot();
  CHECK_FALSE(restored.restore("\xff\xff not a snapshot"));
  CHECK(restored.snapshot() == before);
}

TEST_CASE("entry_log: entries taken for persisting stay readable until "
          "persisted") {
  store::memory_tables tables;
  entry_log log{&tables, 2};
  harness h;
  for (int i = 0; i < 6; ++i)
    h.ok(node_commit("n1", "vm.a", std::to_string(i)));
  for (auto& e : all_entries(h.sm))
    log.append(e);
  CHECK(log.cached() == 6); // nothing persisted: nothing dropped
  auto w = log.take_pending();
  CHECK_FALSE(w.empty());
  CHECK(log.pending().empty());
  CHECK(log.cached() == 6); // in flight: still only in memory
  REQUIRE(tables.write(w));
  log.persisted();
  CHECK(log.cached() == 2);
  CHECK(log.cache_front() == 5);
  auto e1 = log.get(1);
  REQUIRE(e1.has_value());
  REQUIRE(e1->has_value());
  CHECK((*e1)->sequence() == 1);
  CHECK_FALSE(log.get(7)->has_value());
  CHECK_FALSE(log.get(0)->has_value());
  std::vector<uint64_t> seen;
  REQUIRE(log.scan(3, [&](const ConfigEntry& e) {
    seen.push_back(e.sequence());
    return true;
  }));
  CHECK(seen == std::vector<uint64_t>{4, 5, 6});
  // A corrupt record is an error naming the entry, not a wrong answer.
  store::state_write bad;
  bad.put(store::state_table::entries, sequence_key(2), "\xff garbage");
  REQUIRE(tables.write(bad));
  auto e2 = log.get(2);
  REQUIRE_FALSE(e2.has_value());
  CHECK(e2.err().message.find("entry 2") != std::string::npos);
  CHECK_FALSE(log.scan(0, [](const ConfigEntry&) { return true; }));
}

TEST_CASE_TEMPLATE("the durable state reloads to the same machine after "
                   "every command",
                   B, memory_backing, lmdb_backing) {
  B backing;
  auto log = long_log(120);
  for (auto& c : every_kind(t0_ms + 10'000'000))
    log.push_back(c);
  // Standalone: the machine writes its tables after every command.
  config_state_machine live{backing.tables(), 4};
  for (size_t i = 0; i < log.size(); ++i) {
    CAPTURE(i);
    live.apply(i + 1, log[i]);
    config_state_machine loaded{backing.tables(), 4};
    REQUIRE(loaded.load());
    CHECK(loaded.applied() == live.applied());
    CHECK(loaded.last_sequence() == live.last_sequence());
    REQUIRE(loaded.digest() == live.digest());
    if (i % 16 == 0 || i + 1 == log.size())
      CHECK(loaded.snapshot() == live.snapshot());
  }
  CHECK(live.overlay("gpu") != nullptr);
  CHECK_FALSE(live.recent_requests().empty());
  REQUIRE(live.approvals().size() == 3);
  CHECK(live.approval("ap-aaaaaaaa")->state() == APPROVAL_STATE_APPROVED);
  CHECK(live.approval("ap-bbbbbbbb")->state() == APPROVAL_STATE_EXPIRED);
  CHECK(live.approval("ap-cccccccc")->state() == APPROVAL_STATE_REDEEMED);
  live.skip(log.size() + 1);
  config_state_machine loaded{backing.tables(), 4};
  REQUIRE(loaded.load());
  CHECK(loaded.applied() == log.size() + 1);
  CHECK(loaded.digest() == live.digest());
}

TEST_CASE("a loaded machine hands its writes to the host and continues as "
          "if never stopped") {
  auto log = long_log(200);
  config_state_machine straight;
  std::vector<std::string> results;
  for (size_t i = 0; i < log.size(); ++i)
    results.push_back(straight.apply(i + 1, log[i]));
  store::memory_tables tables;
  {
    config_state_machine first{tables, 4};
    for (size_t i = 0; i < 120; ++i)
      first.apply(i + 1, log[i]);
  }
  config_state_machine resumed{tables, 4};
  REQUIRE(resumed.load());
  CHECK(resumed.durable());
  auto before = tables.size();
  for (size_t i = 120; i < 140; ++i)
    CHECK(resumed.apply(i + 1, log[i]) == results[i]);
  // The host persists: nothing was written, and reads see everything.
  CHECK(tables.size() == before);
  CHECK(resumed.last_sequence()
        == entry_at(resumed, resumed.last_sequence()).sequence());
  auto w = resumed.take_writes();
  REQUIRE(tables.write(w));
  resumed.writes_persisted();
  CHECK(resumed.entries().cached() <= 4);
  for (size_t i = 140; i < log.size(); ++i)
    CHECK(resumed.apply(i + 1, log[i]) == results[i]);
  REQUIRE(tables.write(resumed.take_writes()));
  resumed.writes_persisted();
  check_same_answers(straight, resumed);
  config_state_machine again{tables, 4};
  REQUIRE(again.load());
  CHECK(again.digest() == straight.digest());
}

TEST_CASE("load refuses corrupt current-state records and keeps the state") {
  store::memory_tables tables;
  config_state_machine sm{tables, 4};
  auto log = long_log(30);
  for (size_t i = 0; i < log.size(); ++i)
    sm.apply(i + 1, log[i]);
  store::state_write bad;
  bad.put(store::state_table::current, "nn3", "\xff\xff not a record");
  REQUIRE(tables.write(bad));
  auto digest = sm.digest();
  auto st = sm.load();
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("nn3") != std::string::npos);
  CHECK(sm.applied() == log.size());
  CHECK(sm.digest() == digest);
}
