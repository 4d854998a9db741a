// LMDB-only behaviour: what survives a reopen, map-full handling (an error
// value, nothing partial visible, earlier data intact, writes refused until
// reopened), open errors, and corruption detected at open.

#include "tests/unit/runtime/store/fixtures.hpp"

#include <lmdb.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Opens `o`, failing the test with the error message otherwise.
std::unique_ptr<lmdb_store> must_open(const lmdb_options& o) {
  auto s = lmdb_store::open(o);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.err().message));
  return std::move(*s);
}

/// Runs `fn(txn, log_dbi, meta_dbi)` in a raw LMDB write transaction on the
/// store in `dir`, to plant corruption the store must detect.
template <class Fn>
void tamper(const std::string& dir, Fn fn) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 4);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi log = 0;
  MDB_dbi meta = 0;
  REQUIRE(mdb_dbi_open(txn, "log", 0, &log) == 0);
  REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  fn(txn, log, meta);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

} // namespace

TEST_CASE("lmdb_store: everything survives a reopen") {
  lmdb_fixture f;
  REQUIRE(f.store().append(make_entries(1, {1, 2, 2, 3}, 100)));
  REQUIRE(f.store().create_snapshot(2, raft::conf_state{{1}, {2}}, "img"));
  REQUIRE(f.store().compact(1));
  REQUIRE(f.store().set_hard_state({3, 2, 4}));
  REQUIRE(f.store().set_conf_state(raft::conf_state{{1, 2}, {}}));
  auto before = dump(f.store());
  f.reopen();
  CHECK(dump(f.store()) == before);
  CHECK(f.store().first_index() == 2);
  CHECK(f.store().term(1).value() == 1);
  // The bootstrap membership of later opens is ignored.
  f.opts.bootstrap = raft::conf_state{{7}, {}};
  f.reopen();
  CHECK(dump(f.store()) == before);
}

TEST_CASE("lmdb_store: a full map is an error value, never partial") {
  temp_dir dir;
  lmdb_options o;
  o.dir = dir.path() + "/journal";
  o.map_size_bytes = 256 * 1024; // a few dozen pages
  o.bootstrap = bootstrap_conf;
  auto s = must_open(o);
  CHECK(s->map_size_bytes() >= o.map_size_bytes);

  // Write batches of 4 x 1 KiB entries plus a hard state until one fails.
  pact::status st;
  raft::index_t acked = 0;
  raft::hard_state acked_hs;
  for (raft::term_t t = 1; t < 10000; ++t) {
    auto ents = make_entries(acked + 1, {t, t, t, t}, 1024);
    raft::hard_state hs{t, 1, acked};
    write_batch b;
    b.entries = &ents;
    b.hard_state = &hs;
    st = s->save(b);
    if (!st)
      break;
    acked = ents.back().index;
    acked_hs = hs;
  }
  REQUIRE_FALSE(st.ok());
  REQUIRE(acked > 0);
  auto msg = st.err().message;
  INFO(msg);
  CHECK(contains(msg, "raft log at " + o.dir + ": save: "));
  CHECK(contains(msg, "LMDB map is full (map size "
                        + std::to_string(s->map_size_bytes()) + " bytes)"));
  CHECK(contains(msg, "raise journal.raft.map_size_mb or compact"));
  CHECK(s->failed());
  CHECK(s->failure() == msg);

  // Nothing of the failed batch is visible; earlier data is intact.
  auto intact = [&](const lmdb_store& store) {
    CHECK(store.last_index() == acked);
    CHECK(store.load_initial_state().hard == acked_hs);
    auto ents = store.entries(1, acked + 1, SIZE_MAX);
    REQUIRE(ents.ok());
    CHECK(ents.value().size() == acked);
    CHECK(ents.value().back().term == acked_hs.current_term);
  };
  intact(*s);

  // Every later write is refused with the first reason, even a tiny one.
  auto again = s->set_hard_state({99, 1, 0});
  REQUIRE_FALSE(again.ok());
  CHECK(contains(again.err().message, "refused after an earlier failure"));
  CHECK(contains(again.err().message, "LMDB map is full"));
  CHECK_FALSE(s->compact(1).ok());
  CHECK_FALSE(s->create_snapshot(1, bootstrap_conf, "x").ok());
  CHECK(s->load_initial_state().hard == acked_hs);

  // After a reopen the disk holds exactly the acknowledged batches.
  s.reset();
  s = must_open(o);
  CHECK_FALSE(s->failed());
  intact(*s);

  // The operator's fix: a larger map (or compaction) makes room again.
  s.reset();
  o.map_size_bytes = std::size_t{8} << 20;
  s = must_open(o);
  intact(*s);
  REQUIRE(s->append(make_entries(acked + 1, {acked_hs.current_term}, 1024)));
  CHECK(s->last_index() == acked + 1);
}

TEST_CASE("lmdb_store: open errors are values naming the path") {
  temp_dir dir;
  lmdb_options o;
  SUBCASE("no directory configured") {
    auto s = lmdb_store::open(o);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "no data directory"));
  }
  SUBCASE("the directory cannot be created") {
    auto file = dir.path() + "/plain-file";
    std::ofstream{file} << "x";
    o.dir = file + "/journal";
    auto s = lmdb_store::open(o);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "raft log at " + o.dir + ": open: "));
  }
  SUBCASE("a zero map size") {
    o.dir = dir.path() + "/j";
    o.map_size_bytes = 0;
    auto s = lmdb_store::open(o);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "map size"));
  }
  SUBCASE("the same directory twice in one process") {
    o.dir = dir.path() + "/j";
    auto first = must_open(o);
    o.dir = dir.path() + "/./j"; // another spelling of the same place
    auto second = lmdb_store::open(o);
    REQUIRE_FALSE(second.has_value());
    CHECK(contains(second.err().message, "already open in this process"));
    first.reset();
    CHECK(lmdb_store::open(o).has_value()); // released on close
  }
  SUBCASE("the same directory in another process") {
    o.dir = dir.path() + "/j";
    // A child process holds it open (as a running pact-journal would)
    // until the parent closes the pipe.
    int ready[2];
    int hold[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(hold) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(ready[0]);
      ::close(hold[1]);
      auto s = lmdb_store::open(o);
      char c = s.has_value() ? 'y' : 'n';
      (void)!::write(ready[1], &c, 1);
      (void)!::read(hold[0], &c, 1); // until the parent closes hold[1]
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    REQUIRE(c == 'y');
    auto second = lmdb_store::open(o);
    REQUIRE_FALSE(second.has_value());
    CHECK(contains(second.err().message, "in use by another process"));
    CHECK(contains(second.err().message, "owner.lock"));
    ::close(hold[1]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::close(ready[0]);
    CHECK(lmdb_store::open(o).has_value()); // released when it exited
  }
}

TEST_CASE("lmdb_store: corruption is reported at open") {
  lmdb_fixture f;
  REQUIRE(f.store().append(make_entries(1, {1, 1, 1, 1})));
  f.store_.reset();
  SUBCASE("a hole in the log") {
    tamper(f.opts.dir, [](MDB_txn* t, MDB_dbi log, MDB_dbi) {
      auto key = codec::index_key(2);
      MDB_val k{key.size(), key.data()};
      REQUIRE(mdb_del(t, log, &k, nullptr) == 0);
    });
    auto s = lmdb_store::open(f.opts);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "log is not contiguous: expected entry 2"));
  }
  SUBCASE("a malformed entry") {
    tamper(f.opts.dir, [](MDB_txn* t, MDB_dbi log, MDB_dbi) {
      auto key = codec::index_key(3);
      std::string bad = "short";
      MDB_val k{key.size(), key.data()};
      MDB_val v{bad.size(), bad.data()};
      REQUIRE(mdb_put(t, log, &k, &v, 0) == 0);
    });
    auto s = lmdb_store::open(f.opts);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "entry 3 is corrupt"));
  }
  SUBCASE("an unknown format version") {
    tamper(f.opts.dir, [](MDB_txn* t, MDB_dbi, MDB_dbi meta) {
      std::string key = "format";
      std::string v2 = codec::index_key(2);
      MDB_val k{key.size(), key.data()};
      MDB_val v{v2.size(), v2.data()};
      REQUIRE(mdb_put(t, meta, &k, &v, 0) == 0);
    });
    auto s = lmdb_store::open(f.opts);
    REQUIRE_FALSE(s.has_value());
    CHECK(contains(s.err().message, "unsupported store format"));
  }
}
