// Nothing a request does reads the whole journal (issue 10 item 2: the
// journal may hold ten million entries, and the replica answers on its
// Raft loop): `pact log --verify` pages, time windows found by bisection
// and read through the scope index, watches with a scan bound, and the
// start-up check of the hash chain from the last checkpoint. Each test
// counts the reads of the state tables.

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/journal/log_selection.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"
#include "tests/unit/runtime/store/fixtures.hpp"

using namespace pact;
using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// memory_tables that count what is read: each get, each record a scan
/// visits.
class counting_tables final : public store::state_tables {
public:
  expected<std::optional<std::string>>
  get(store::state_table t, std::string_view key) const override {
    ++reads;
    return rows.get(t, key);
  }
  status scan(store::state_table t, std::string_view from, std::string_view to,
              bool descending, const store::state_visitor& fn) const override {
    return rows.scan(t, from, to, descending,
                     [&](std::string_view k, std::string_view v) {
                       ++reads;
                       return fn(k, v);
                     });
  }
  status write(const store::state_write& w) override {
    return rows.write(w);
  }

  store::memory_tables rows;
  mutable uint64_t reads = 0;
};

constexpr std::size_t cache = 8;

/// A machine over counting tables with a small cache: RECORD entries
/// stamped one second apart, on `scope_of(i)` (i from 0).
struct big_journal {
  counting_tables tables;
  config_state_machine sm{tables, cache};
  uint64_t index = 0;

  template <class ScopeOf>
  big_journal(std::size_t n, ScopeOf scope_of) {
    for (std::size_t i = 0; i < n; ++i)
      add(scope_of(i), at(static_cast<int64_t>(i)));
    tables.reads = 0;
  }

  void add(const Scope& scope, int64_t ms) {
    auto c = make_cmd(COMMAND_KIND_RECORD, scope, ms);
    c.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
    CommandResult r;
    REQUIRE(r.ParseFromString(sm.apply(++index, c.SerializeAsString())));
    REQUIRE(r.status().code() == STATUS_CODE_OK);
  }

  static int64_t at(int64_t s) {
    return t0_ms + s * 1000;
  }

  LogReply ask(const LogRequest& req, journal_reader r = journal_reader{}) {
    JournalQuery q;
    *q.mutable_log() = req;
    auto a = r.answer(sm, q);
    REQUIRE_MESSAGE(a, (a ? "" : a.err().message));
    return a->log();
  }

  /// Replaces the stored entry `seq` by `e` (tampering with the medium).
  void store_raw(const ConfigEntry& e) {
    store::state_write w;
    w.put(store::state_table::entries, sequence_key(e.sequence()),
          deterministic_bytes(e));
    REQUIRE(tables.write(w));
  }
};

/// Reads a bisection over `n` entries may take: two bisections (since and
/// until) of ceil(log2(n + 1)) probes each.
uint64_t bisections(std::size_t n) {
  return 2 * static_cast<uint64_t>(std::ceil(std::log2(n + 1.0)));
}

Scope node_n(std::size_t i) {
  return node_scope("n" + std::to_string(i % 2));
}

std::vector<uint64_t> sequences(const LogReply& r) {
  std::vector<uint64_t> out;
  for (const auto& e : r.entries())
    out.push_back(e.sequence());
  return out;
}

} // namespace

// -- pact log --verify --------------------------------------------------------

TEST_CASE("log --verify: a page checks at most its limit and says where the "
          "next one starts") {
  big_journal j(2000, node_n);
  LogRequest req;
  req.set_verify(true);
  req.set_from_sequence(1);
  req.set_limit(300);
  uint64_t pages = 0;
  for (bool more = true; more; ++pages) {
    j.tables.reads = 0;
    auto r = j.ask(req);
    CHECK(r.verified());
    CHECK(r.verify_error().empty());
    REQUIRE(r.entries_size() == 1);
    // The page's entries and the link into it: never the whole journal.
    CHECK(j.tables.reads <= 300 + 2);
    more = r.more();
    req.set_from_sequence(r.entries(0).sequence() + 1);
  }
  CHECK(pages == 7);
  CHECK(req.from_sequence() == 2001);
  // Past the end: nothing to check, nothing more.
  auto past = j.ask(req);
  CHECK(past.verified());
  CHECK_FALSE(past.more());
  CHECK(past.entries_size() == 0);
}

TEST_CASE("log --verify: a tampered entry is named by the page that holds "
          "it, also at a page's first entry") {
  big_journal j(1000, node_n);
  auto tampered = entry_at(j.sm, 301);
  tampered.set_message("nothing to see here");
  LogRequest req;
  req.set_verify(true);
  req.set_limit(300);
  SUBCASE("contents changed: the entry's own hash") {
    j.store_raw(tampered);
    req.set_from_sequence(301);
    auto r = j.ask(req);
    CHECK_FALSE(r.verified());
    CHECK(r.verify_error()
          == "entry 301: hash does not match the entry's contents");
    CHECK_FALSE(r.more());
  }
  SUBCASE("re-hashed: the link from the page before") {
    tampered.set_hash(entry_hash(tampered));
    j.store_raw(tampered);
    req.set_from_sequence(1);
    CHECK(j.ask(req).verified()); // 1 ..= 300
    req.set_from_sequence(301);
    auto second = j.ask(req); // 301 ..= 600: 302's link breaks
    CHECK_FALSE(second.verified());
    CHECK(second.verify_error()
          == "entry 302: prev_hash does not match the hash of entry 301");
  }
  SUBCASE("an entry missing from the tables") {
    store::state_write w;
    w.del(store::state_table::entries, sequence_key(450));
    REQUIRE(j.tables.write(w));
    req.set_from_sequence(301);
    auto r = j.ask(req);
    CHECK_FALSE(r.verified());
    CHECK(r.verify_error() == "entry 450: expected sequence 450, found 451");
  }
}

TEST_CASE("log --verify without paging checks one page at most and does not "
          "call a longer journal verified") {
  const auto n = max_verify_page_entries + 50;
  big_journal j(n, node_n);
  LogRequest req;
  req.set_verify(true);
  req.set_limit(5);
  auto r = j.ask(req);
  CHECK(r.entries_size() == 5);
  CHECK_FALSE(r.verified());
  CHECK(r.verify_error()
        == "entry 10001: not verified: one request checks at most 10000 "
           "entries; pact log --verify pages through the journal");
  CHECK(j.tables.reads <= max_verify_page_entries + 5 + 2);
}

// -- pact log --since/--until
// ---------------------------------------------------

TEST_CASE("log window: a narrow window in a long journal reads the "
          "bisection and the entries it returns") {
  const std::size_t n = 3000;
  big_journal j(n, node_n);
  LogRequest req;
  req.set_limit(20);
  req.set_since_unix_ms(big_journal::at(1000));
  req.set_until_unix_ms(big_journal::at(1002));
  auto r = j.ask(req);
  CHECK(sequences(r) == std::vector<uint64_t>{1003, 1002, 1001});
  CHECK(j.tables.reads <= bisections(n) + 3);
  SUBCASE("an empty window in the middle reads the bisection only") {
    j.tables.reads = 0;
    req.set_since_unix_ms(big_journal::at(1000) + 1);
    req.set_until_unix_ms(big_journal::at(1001) - 1);
    CHECK(j.ask(req).entries_size() == 0);
    CHECK(j.tables.reads <= bisections(n));
  }
  SUBCASE("since alone: the newest n, not the whole run after since") {
    j.tables.reads = 0;
    req.set_since_unix_ms(big_journal::at(10));
    req.set_until_unix_ms(0);
    auto s = j.ask(req);
    CHECK(s.entries_size() == 20);
    CHECK(s.entries(0).sequence() == n);
    CHECK(j.tables.reads <= bisections(n) + 20);
  }
}

TEST_CASE("log window with a scope: read through the scope's index, even "
          "when the scope has many entries outside the window") {
  const std::size_t n = 3000;
  // Every other entry on n0; the few on rare are the 3 oldest of node:rare.
  big_journal j(n, [](std::size_t i) {
    return i == 5 || i == 7 || i == 9 ? node_scope("rare") : node_n(i);
  });
  LogRequest req;
  req.set_limit(20);
  req.set_scope("node:n0");
  req.set_since_unix_ms(big_journal::at(100));
  req.set_until_unix_ms(big_journal::at(104));
  auto r = j.ask(req);
  CHECK(sequences(r) == std::vector<uint64_t>{105, 103, 101});
  // Bisections, three index keys and their entries (the scope has 1,497
  // entries after the window).
  CHECK(j.tables.reads <= bisections(n) + 2 * 3);
  SUBCASE("a rare scope over the whole journal") {
    j.tables.reads = 0;
    req.set_scope("node:rare");
    req.set_since_unix_ms(big_journal::at(0));
    req.set_until_unix_ms(big_journal::at(n));
    CHECK(sequences(j.ask(req)) == std::vector<uint64_t>{10, 8, 6});
    CHECK(j.tables.reads <= bisections(n) + 2 * 3);
  }
  SUBCASE("log --scope without a window reads its own entries only") {
    j.tables.reads = 0;
    LogRequest plain;
    plain.set_limit(20);
    plain.set_scope("node:rare");
    CHECK(sequences(j.ask(plain)) == std::vector<uint64_t>{10, 8, 6});
    CHECK(j.tables.reads <= 2 * 3);
  }
}

TEST_CASE("export page with --since deep in the journal: its start by "
          "bisection") {
  const std::size_t n = 3000;
  big_journal j(n, node_n);
  LogRequest req;
  req.set_from_sequence(1);
  req.set_limit(10);
  req.set_since_unix_ms(big_journal::at(2500));
  auto r = j.ask(req);
  REQUIRE(r.entries_size() == 10);
  CHECK(r.entries(0).sequence() == 2501);
  CHECK(r.more());
  CHECK(j.tables.reads <= bisections(n) / 2 + 11);
}

TEST_CASE("stamps never go back along the log: a command stamped below the "
          "newest entry is applied at its time") {
  // A new leader whose clock is behind stamps below its predecessor's
  // last entries (leader_stamp.hpp); bisection needs ordered stamps.
  big_journal j(3, node_n);
  j.add(node_scope("n1"), big_journal::at(1) - 500);
  CHECK(entry_at(j.sm, 4).timestamp_unix_ms() == big_journal::at(2));
  j.add(node_scope("n1"), big_journal::at(9));
  CHECK(entry_at(j.sm, 5).timestamp_unix_ms() == big_journal::at(9));
  // execute() (tools) alike.
  auto c = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"), big_journal::at(3));
  c.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
  REQUIRE(j.sm.execute(c).status().code() == STATUS_CODE_OK);
  CHECK(entry_at(j.sm, 6).timestamp_unix_ms() == big_journal::at(9));
  CHECK(
    verify_chain({entry_at(j.sm, 4), entry_at(j.sm, 5), entry_at(j.sm, 6)}).ok);
}

// -- pact watch
// -------------------------------------------------------------------

TEST_CASE("watch: a sparse vCluster resuming far behind reads a bounded "
          "stretch per answer and resumes where it stopped") {
  // Nodes n0/n1 are enrolled nowhere: their entries concern no vCluster.
  big_journal j(1000, node_n);
  j.add(vcluster_scope("ml"), big_journal::at(2000));
  journal_reader r(100);
  WatchRequest req;
  req.set_vcluster("ml");
  uint64_t answers = 0;
  WatchReply w;
  do {
    j.tables.reads = 0;
    w = r.watch(j.sm, req);
    CHECK(j.tables.reads <= 100);
    CHECK(w.last_sequence() > req.after_sequence());
    req.set_after_sequence(w.last_sequence());
    ++answers;
  } while (w.entries_size() == 0);
  CHECK(answers == 11);
  REQUIRE(w.entries_size() == 1);
  CHECK(w.entries(0).sequence() == 1001);
  CHECK(w.last_sequence() == 1001);
  // Caught up: an answer without entries says so with the journal's end.
  auto idle = r.watch(j.sm, req);
  CHECK(idle.entries_size() == 0);
  CHECK(idle.last_sequence() == j.sm.last_sequence());
}

// -- start-up verification
// ----------------------------------------------------------

namespace {

/// Loads a machine over `t` and persists what load() handed over (the
/// checkpoint), as the replica's next write does.
status load_and_persist(counting_tables& t, config_state_machine& sm) {
  if (auto st = sm.load(); !st)
    return st;
  auto w = sm.take_writes();
  if (auto st = t.write(w); !st)
    return st;
  sm.writes_persisted();
  return {};
}

std::string checkpoint_of(const counting_tables& t) {
  auto v = t.rows.get(store::state_table::meta, "verified");
  REQUIRE(v);
  return v->value_or("");
}

} // namespace

TEST_CASE("start-up: the chain is checked from the checkpoint, which then "
          "moves to the head with the next write") {
  big_journal j(200, node_n);
  CHECK(checkpoint_of(j.tables).empty()); // never loaded: none yet
  {
    config_state_machine first{j.tables, cache};
    REQUIRE(load_and_persist(j.tables, first));
    auto cp = checkpoint_of(j.tables);
    REQUIRE(cp.size() == 40);
    CHECK(cp.substr(0, 8) == sequence_key(200));
    CHECK(cp.substr(8) == entry_at(first, 200).hash());
  }
  // Forty more arrive; a restart checks those (and the checkpoint's entry)
  // only, not the 200 before.
  for (int i = 0; i < 40; ++i)
    j.add(node_scope("n1"), big_journal::at(300 + i));
  j.tables.reads = 0;
  config_state_machine second{j.tables, cache};
  REQUIRE(load_and_persist(j.tables, second));
  CHECK(j.tables.reads <= 40 + 1 + cache + 2 + 20);
  CHECK(checkpoint_of(j.tables).substr(0, 8) == sequence_key(240));
  // Nothing new: nothing to check, nothing written.
  j.tables.reads = 0;
  config_state_machine third{j.tables, cache};
  REQUIRE(third.load());
  CHECK(third.take_writes().empty());
  CHECK(third.digest() == j.sm.digest());
}

TEST_CASE("start-up: a tampered entry after the checkpoint stops the load, "
          "naming it") {
  big_journal j(100, node_n);
  {
    config_state_machine first{j.tables, cache};
    REQUIRE(load_and_persist(j.tables, first));
  }
  for (int i = 0; i < 50; ++i)
    j.add(node_scope("n1"), big_journal::at(200 + i));
  SUBCASE("contents changed") {
    auto e = entry_at(j.sm, 120);
    e.set_message("rewritten");
    j.store_raw(e);
    config_state_machine sm{j.tables, cache};
    auto st = sm.load();
    REQUIRE_FALSE(st);
    CHECK(st.err().message
          == "the journal's hash chain is broken at entry 120: hash does not "
             "match the entry's contents (checked at start-up from the "
             "checkpoint at entry 100; the journal will not start on a "
             "tampered or corrupt journal)");
  }
  SUBCASE("re-hashed: its successor's link") {
    auto e = entry_at(j.sm, 120);
    e.set_message("rewritten");
    e.set_hash(entry_hash(e));
    j.store_raw(e);
    config_state_machine sm{j.tables, cache};
    auto st = sm.load();
    REQUIRE_FALSE(st);
    CHECK(st.err().message.find("broken at entry 121: prev_hash does not "
                                "match the hash of entry 120")
          != std::string::npos);
  }
  SUBCASE("the checkpoint's own entry") {
    auto e = entry_at(j.sm, 100);
    e.set_message("rewritten");
    e.set_hash(entry_hash(e));
    j.store_raw(e);
    config_state_machine sm{j.tables, cache};
    auto st = sm.load();
    REQUIRE_FALSE(st);
    CHECK(st.err().message.find("broken at entry 100: the entry no longer "
                                "has the hash it had when it was verified")
          != std::string::npos);
  }
  SUBCASE("before the checkpoint: left to pact log --verify") {
    auto e = entry_at(j.sm, 50);
    e.set_message("rewritten");
    j.store_raw(e);
    config_state_machine sm{j.tables, cache};
    CHECK(sm.load());
    LogRequest req;
    req.set_verify(true);
    req.set_from_sequence(1);
    auto r = j.ask(req);
    CHECK_FALSE(r.verified());
    CHECK(r.verify_error()
          == "entry 50: hash does not match the entry's contents");
  }
}

TEST_CASE("start-up: tables without a checkpoint are checked from entry 1; "
          "a checkpoint past the head is refused") {
  big_journal j(30, node_n);
  auto e = entry_at(j.sm, 3);
  e.set_message("rewritten");
  j.store_raw(e);
  config_state_machine sm{j.tables, cache};
  auto st = sm.load();
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("broken at entry 3:") != std::string::npos);
  CHECK(st.err().message.find("checkpoint at entry 0") != std::string::npos);

  big_journal k(10, node_n);
  store::state_write w;
  w.put(store::state_table::meta, "verified",
        sequence_key(11) + std::string(32, 'x'));
  REQUIRE(k.tables.write(w));
  config_state_machine sm2{k.tables, cache};
  auto st2 = sm2.load();
  REQUIRE_FALSE(st2);
  CHECK(st2.err().message.find("broken at entry 11: the checkpoint names an "
                               "entry the journal does not hold (it ends at "
                               "entry 10)")
        != std::string::npos);
}

TEST_CASE("start-up over LMDB: the checkpoint is stored with the state and a "
          "tampered entry after it stops the load") {
  store::test::temp_dir dir;
  store::lmdb_options opts;
  opts.dir = dir.path() + "/journal";
  opts.map_size_bytes = std::size_t{64} << 20;
  auto opened = store::lmdb_store::open(opts);
  REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.err().message));
  auto& tables = (*opened)->tables();
  config_state_machine live{tables, cache}; // standalone: writes each command
  uint64_t index = 0;
  auto add = [&](int64_t s) {
    auto c = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"), t0_ms + s * 1000);
    c.set_record_type(ENTRY_TYPE_SERVICE_LIFECYCLE);
    live.apply(++index, c.SerializeAsString());
  };
  for (int i = 0; i < 20; ++i)
    add(i);
  {
    config_state_machine first{tables, cache};
    REQUIRE(first.load());
    REQUIRE(tables.write(first.take_writes()));
  }
  auto cp = tables.get(store::state_table::meta, "verified");
  REQUIRE(cp);
  REQUIRE(cp->has_value());
  CHECK((*cp)->substr(0, 8) == sequence_key(20));
  for (int i = 20; i < 30; ++i)
    add(i);
  auto e = entry_at(live, 25);
  e.set_message("rewritten");
  store::state_write w;
  w.put(store::state_table::entries, sequence_key(25), deterministic_bytes(e));
  REQUIRE(tables.write(w));
  config_state_machine again{tables, cache};
  auto st = again.load();
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("broken at entry 25: hash does not match the "
                              "entry's contents (checked at start-up from "
                              "the checkpoint at entry 20")
        != std::string::npos);
}

TEST_CASE("start-up after restore(image): restore checked the chain, so the "
          "checkpoint is its last entry") {
  big_journal j(20, node_n);
  counting_tables copy;
  config_state_machine sm{copy, cache}; // standalone: restore writes at once
  REQUIRE(sm.restore(j.sm.snapshot()));
  CHECK(checkpoint_of(copy).substr(0, 8) == sequence_key(20));
  config_state_machine again{copy, cache};
  REQUIRE(again.load());
  CHECK(again.take_writes().empty()); // nothing arrived since
  CHECK(again.digest() == j.sm.digest());
}
