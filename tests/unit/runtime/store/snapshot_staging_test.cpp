// A follower stages a received state stream (issue 10 item 2): in files
// of the data directory as chunks arrive, checked on the way (framing and
// SHA-256), and installed by one save that reads it back record by record.

#include "tests/unit/runtime/store/fixtures.hpp"

#include "runtime/store/codec.hpp"
#include "runtime/store/snapshot_staging.hpp"
#include "runtime/store/state_stream.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <map>

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

namespace {

/// Records of several tables, one larger than a replay block (1 MiB), so
/// that replay reassembles a record across reads.
const rows_t rows{{"cg", "global"},
                  {"e" + codec::index_key(1), std::string(3 << 20, 'x')},
                  {"e" + codec::index_key(2), ""},
                  {"mapplied", codec::index_key(7)}};

raft::snapshot_meta meta_at(raft::index_t i) {
  raft::snapshot_meta m;
  m.last_included_index = i;
  m.last_included_term = 2;
  m.conf = bootstrap_conf;
  return m;
}

/// Feeds `bytes` in `step`-byte chunks; whether every append succeeded.
bool feed(snapshot_staging& s, std::string_view bytes, std::size_t step) {
  s.begin(meta_at(7));
  for (std::size_t at = 0; at < bytes.size(); at += step)
    if (!s.append(bytes.substr(at, step)))
      return false;
  return true;
}

rows_t replayed(const snapshot_staging& s) {
  rows_t out;
  auto st = s.replay([&](std::string_view k, std::string_view v) {
    out.emplace(k, v);
    return true;
  });
  REQUIRE_MESSAGE(st, (st ? "" : st.err().message));
  return out;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

TEST_CASE("snapshot staging: a stream fed in any chunking is checked and "
          "replayed record by record, on disk and in memory") {
  auto bytes = stream_of(rows);
  temp_dir dir;
  for (auto where : {dir.path(), std::string()}) {
    for (std::size_t step :
         {std::size_t{1} << 20, std::size_t{4093}, std::size_t{3}}) {
      snapshot_staging s(where);
      REQUIRE(feed(s, bytes, step));
      CHECK(s.held_bytes() == bytes.size());
      CHECK(s.held_meta().last_included_index == 7);
      REQUIRE(s.complete());
      auto snap = s.take();
      CHECK(snap.staged);
      CHECK(snap.data.empty());
      CHECK(snap.meta.last_included_index == 7);
      CHECK(s.held_bytes() == 0);
      CHECK(s.held_meta().last_included_index == 0);
      if (!where.empty()) {
        CHECK_FALSE(exists(where + "/snapshot.incoming"));
        CHECK(exists(where + "/snapshot.received"));
      }
      CHECK(replayed(s) == rows);
      s.clear_received();
      if (!where.empty())
        CHECK_FALSE(exists(where + "/snapshot.received"));
    }
  }
}

TEST_CASE("snapshot staging: damaged, truncated, padded or malformed streams "
          "are refused by complete()") {
  auto good = stream_of({{"ck", "v"}, {"ez", "w"}});
  auto refused = [](std::string_view bytes) {
    snapshot_staging s("");
    REQUIRE(feed(s, bytes, 5));
    return !s.complete();
  };
  CHECK_FALSE(refused(good));
  for (std::size_t at : {std::size_t{0}, std::size_t{3}, std::size_t{9},
                         good.size() - 41, good.size() - 1}) {
    auto bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    CHECK(refused(bad));
  }
  CHECK(refused(good.substr(0, good.size() - 1)));
  CHECK(refused(good.substr(0, good.size() - 40)));
  CHECK(refused(good + good));
  CHECK(refused(good + std::string(4, '\0')));
  CHECK(refused({}));
  // Well summed but naming no known table, or two checksum records.
  CHECK(refused(stream_of({{"ck", "v"}, {"zk", "v"}})));
  CHECK(refused(stream_of({{"", "v"}})));
  // The empty state is a valid stream (just the checksum record).
  CHECK_FALSE(refused(stream_of({})));
}

TEST_CASE("snapshot staging: begin() starts over, discard() and a new store "
          "leave no file behind") {
  temp_dir dir;
  auto bytes = stream_of(rows);
  {
    snapshot_staging s(dir.path());
    REQUIRE(feed(s, bytes.substr(0, 1000), 100));
    CHECK(exists(dir.path() + "/snapshot.incoming"));
    // A new snapshot from byte 0 drops the bytes held.
    REQUIRE(feed(s, bytes, 1 << 16));
    CHECK(s.held_bytes() == bytes.size());
    REQUIRE(s.complete());
    s.take();
    REQUIRE(feed(s, bytes.substr(0, 10), 10));
    s.discard();
    CHECK(s.held_bytes() == 0);
    CHECK_FALSE(exists(dir.path() + "/snapshot.incoming"));
    // The received stream is left as a crash would leave it.
    CHECK(exists(dir.path() + "/snapshot.received"));
  }
  snapshot_staging after_restart(dir.path());
  after_restart.remove_leftovers();
  CHECK_FALSE(exists(dir.path() + "/snapshot.received"));
}

TEST_CASE("snapshot staging (LMDB): a save installs the staged stream as the "
          "tables and the snapshot, and removes it") {
  lmdb_fixture f;
  state_write old;
  old.put(state_table::by_scope, "stale", "");
  REQUIRE(f.store().tables().write(old));
  auto* s = f.store().staging();
  REQUIRE(s != nullptr);
  REQUIRE(feed(*s, stream_of(rows), 1 << 20));
  REQUIRE(s->complete());
  auto snap = s->take();
  write_batch b;
  b.snapshot = &snap;
  b.snapshot_in_state = true;
  b.state_from_staging = true;
  REQUIRE(f.store().save(b));
  CHECK_FALSE(exists(f.opts.dir + "/snapshot.received"));
  f.reopen();
  CHECK(f.store().first_index() == 8);
  rows_t now;
  for (auto t : {state_table::current, state_table::entries, state_table::meta,
                 state_table::by_scope, state_table::by_type})
    REQUIRE(f.store().tables().scan(
      t, {}, {}, false, [&](std::string_view k, std::string_view v) {
        now.emplace(table_key(t, k), v);
        return true;
      }));
  CHECK(now == rows);
  // It serves the same stream it received.
  REQUIRE(f.store().create_state_snapshot(7, bootstrap_conf));
  std::string served;
  for (bool done = false; !done;) {
    auto c = f.store().read_snapshot_chunk(7, served.size(), 1 << 20);
    REQUIRE(c.ok());
    served += c.value().data;
    done = c.value().done;
  }
  CHECK(served == stream_of(rows));
}

TEST_CASE("snapshot staging (LMDB): a stream changed on disk after it was "
          "checked fails the install and changes nothing") {
  lmdb_fixture f;
  auto* s = f.store().staging();
  REQUIRE(feed(*s, stream_of(rows), 1 << 20));
  REQUIRE(s->complete());
  auto snap = s->take();
  // Truncate the received file, as a failing disk or another process could.
  REQUIRE(::truncate((f.opts.dir + "/snapshot.received").c_str(), 100) == 0);
  write_batch b;
  b.snapshot = &snap;
  b.snapshot_in_state = true;
  b.state_from_staging = true;
  auto st = f.store().save(b);
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("changed after it was checked")
        != std::string::npos);
  CHECK(f.store().failed());
  f.reopen();
  CHECK(f.store().first_index() == 1);
  CHECK_FALSE(
    f.store().tables().get(state_table::current, "g").value().has_value());
}
