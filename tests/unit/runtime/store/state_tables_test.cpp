// The state_tables conformance suite (issue 10 item 1): every case runs
// against memory_tables and the LMDB store's `state` database, and for
// LMDB checks again after a close/open (what a restart sees).

#include "tests/unit/runtime/store/fixtures.hpp"

#include "runtime/store/codec.hpp"

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

namespace {

struct memory_tables_fixture {
  state_tables& tables() {
    return tables_;
  }
  void reopen() {
  }
  memory_tables tables_;
};

struct lmdb_tables_fixture {
  state_tables& tables() {
    return f.store_->tables();
  }
  void reopen() {
    f.reopen();
  }
  lmdb_fixture f;
};

using rows = std::vector<std::pair<std::string, std::string>>;

rows scan(const state_tables& t, state_table tab, std::string_view from = {},
          std::string_view to = {}, bool descending = false,
          size_t limit = SIZE_MAX) {
  rows out;
  auto st = t.scan(tab, from, to, descending,
                   [&](std::string_view k, std::string_view v) {
                     out.emplace_back(std::string(k), std::string(v));
                     return out.size() < limit;
                   });
  REQUIRE(st);
  return out;
}

std::string seq_key(uint64_t s) {
  return codec::index_key(s);
}

} // namespace

#define PACT_TABLES memory_tables_fixture, lmdb_tables_fixture

TEST_CASE_TEMPLATE("state tables: put, get, delete, per table", F,
                   PACT_TABLES) {
  F f;
  state_write w;
  w.put(state_table::entries, seq_key(1), "one");
  w.put(state_table::meta, seq_key(1), "meta-one");
  w.put(state_table::current, "node:n1", "rec");
  REQUIRE(f.tables().write(w));
  for (int round = 0; round < 2; ++round, f.reopen()) {
    auto& t = f.tables();
    CHECK(t.get(state_table::entries, seq_key(1)).value() == "one");
    // The same key in another table is another record.
    CHECK(t.get(state_table::meta, seq_key(1)).value() == "meta-one");
    CHECK_FALSE(t.get(state_table::by_scope, seq_key(1)).value().has_value());
    CHECK(t.get(state_table::current, "node:n1").value() == "rec");
  }
  state_write d;
  d.del(state_table::current, "node:n1");
  d.del(state_table::current, "never-there");     // not an error
  d.put(state_table::entries, seq_key(1), "uno"); // overwrite
  REQUIRE(f.tables().write(d));
  f.reopen();
  CHECK_FALSE(f.tables().get(state_table::current, "node:n1")->has_value());
  CHECK(f.tables().get(state_table::entries, seq_key(1)).value() == "uno");
}

TEST_CASE_TEMPLATE("state tables: ops apply in order; clear empties all", F,
                   PACT_TABLES) {
  F f;
  state_write w;
  w.put(state_table::meta, "k", "a");
  w.del(state_table::meta, "k");
  w.put(state_table::meta, "j", "b");
  w.put(state_table::meta, "j", "c");
  REQUIRE(f.tables().write(w));
  f.reopen();
  CHECK_FALSE(f.tables().get(state_table::meta, "k")->has_value());
  CHECK(f.tables().get(state_table::meta, "j").value() == "c");
  state_write c;
  c.clear = true;
  c.put(state_table::entries, seq_key(7), "seven");
  REQUIRE(f.tables().write(c));
  f.reopen();
  CHECK(scan(f.tables(), state_table::meta).empty());
  CHECK(scan(f.tables(), state_table::entries) == rows{{seq_key(7), "seven"}});
  // An empty write is no write.
  REQUIRE(f.tables().write(state_write{}));
}

TEST_CASE_TEMPLATE("state tables: scans are ordered, bounded and per table", F,
                   PACT_TABLES) {
  F f;
  state_write w;
  // Written out of order; big-endian keys sort numerically (256 > 2).
  for (uint64_t s : {256, 2, 1, 300, 3})
    w.put(state_table::entries, seq_key(s), std::to_string(s));
  w.put(state_table::by_scope, "a", "");
  w.put(state_table::by_type, "z", "");
  REQUIRE(f.tables().write(w));
  for (int round = 0; round < 2; ++round, f.reopen()) {
    auto& t = f.tables();
    auto vals = [](const rows& r) {
      std::vector<std::string> v;
      for (auto& [k, x] : r)
        v.push_back(x);
      return v;
    };
    using V = std::vector<std::string>;
    CHECK(vals(scan(t, state_table::entries))
          == V{"1", "2", "3", "256", "300"});
    CHECK(vals(scan(t, state_table::entries, {}, {}, true))
          == V{"300", "256", "3", "2", "1"});
    // [from, to): from inclusive, to exclusive, both directions.
    CHECK(vals(scan(t, state_table::entries, seq_key(2), seq_key(256)))
          == V{"2", "3"});
    CHECK(vals(scan(t, state_table::entries, seq_key(2), seq_key(256), true))
          == V{"3", "2"});
    // Bounds between keys.
    CHECK(vals(scan(t, state_table::entries, seq_key(4), seq_key(299), true))
          == V{"256"});
    CHECK(scan(t, state_table::entries, seq_key(301)).empty());
    CHECK(scan(t, state_table::entries, seq_key(3), seq_key(3)).empty());
    CHECK(scan(t, state_table::entries, seq_key(9), seq_key(3)).empty());
    // The visitor stops the scan.
    CHECK(vals(scan(t, state_table::entries, {}, {}, true, 2))
          == V{"300", "256"});
    // Neighbouring tables never leak into a scan.
    CHECK(scan(t, state_table::by_scope) == rows{{"a", ""}});
    CHECK(scan(t, state_table::by_type, {}, {}, true) == rows{{"z", ""}});
    CHECK(scan(t, state_table::current).empty());
    CHECK(scan(t, state_table::meta, {}, {}, true).empty());
  }
}

namespace {

struct memory_store_fixture {
  raft_store& store() {
    return store_;
  }
  void reopen() {
  }
  memory_store store_{bootstrap_conf};
};

struct lmdb_store_fixture {
  raft_store& store() {
    return *f.store_;
  }
  void reopen() {
    f.reopen();
  }
  lmdb_fixture f;
};

} // namespace

TEST_CASE_TEMPLATE("state tables: a batch writes the log and the state "
                   "together",
                   F, memory_store_fixture, lmdb_store_fixture) {
  F f;
  auto ents = make_entries(1, {1, 1, 1});
  raft::hard_state hs{1, 1, 3};
  state_write w;
  w.put(state_table::meta, "applied", seq_key(3));
  w.put(state_table::entries, seq_key(1), "one");
  write_batch b;
  b.entries = &ents;
  b.hard_state = &hs;
  b.state = &w;
  CHECK_FALSE(b.empty());
  REQUIRE(f.store().save(b));
  f.reopen();
  CHECK(f.store().last_index() == 3);
  CHECK(f.store().tables().get(state_table::meta, "applied").value()
        == seq_key(3));
  // A batch of nothing but an empty write set writes nothing.
  state_write none;
  write_batch empty;
  empty.state = &none;
  CHECK(empty.empty());
  REQUIRE(f.store().save(empty));
  // Writes through tables() are saves.
  state_write more;
  more.put(state_table::current, "g", "global");
  REQUIRE(f.store().tables().write(more));
  f.reopen();
  CHECK(f.store().tables().get(state_table::current, "g").value() == "global");
}

TEST_CASE("state tables: a failed save writes neither the log nor the state") {
  memory_store s{bootstrap_conf};
  auto ents = make_entries(1, {1});
  state_write w;
  w.put(state_table::meta, "applied", seq_key(1));
  write_batch b;
  b.entries = &ents;
  b.state = &w;
  s.fail_next_write("disk on fire");
  REQUIRE_FALSE(s.save(b));
  CHECK(s.last_index() == 0);
  CHECK_FALSE(s.tables().get(state_table::meta, "applied")->has_value());
  CHECK_FALSE(s.tables().write(w)); // refused after the failure
}

TEST_CASE("state tables (LMDB): a full map fails the whole batch, state "
          "included, and reads keep answering") {
  temp_dir dir;
  lmdb_options o;
  o.dir = dir.path() + "/journal";
  o.map_size_bytes = 256 * 1024;
  o.bootstrap = bootstrap_conf;
  auto opened = lmdb_store::open(o);
  REQUIRE(opened.has_value());
  auto s = std::move(*opened);
  pact::status st;
  uint64_t acked = 0;
  for (uint64_t n = 1; n < 10000; ++n) {
    auto ents = make_entries(n, {1});
    state_write w;
    w.put(state_table::entries, seq_key(n), std::string(2048, 'x'));
    w.put(state_table::meta, "applied", seq_key(n));
    write_batch b;
    b.entries = &ents;
    b.state = &w;
    st = s->save(b);
    if (!st)
      break;
    acked = n;
  }
  REQUIRE_FALSE(st);
  REQUIRE(acked > 0);
  CHECK(s->full());
  CHECK(st.err().message.find("LMDB map is full") != std::string::npos);
  auto check_intact = [&](lmdb_store& store) {
    CHECK(store.last_index() == acked);
    CHECK(store.tables().get(state_table::meta, "applied").value()
          == seq_key(acked));
    CHECK_FALSE(store.tables()
                  .get(state_table::entries, seq_key(acked + 1))
                  ->has_value());
  };
  check_intact(*s);
  s.reset();
  auto again = lmdb_store::open(o);
  REQUIRE(again.has_value());
  check_intact(**again);
}

TEST_CASE("state tables (LMDB): share the environment with the Raft log") {
  lmdb_fixture f;
  REQUIRE(f.store().append(make_entries(1, {1, 1})));
  state_write w;
  w.put(state_table::entries, seq_key(1), "x");
  REQUIRE(f.store_->tables().write(w));
  f.reopen();
  CHECK(f.store().last_index() == 2);
  CHECK(f.store_->tables().get(state_table::entries, seq_key(1)).value()
        == "x");
}
