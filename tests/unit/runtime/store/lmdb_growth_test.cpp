// LMDB map growth (lmdb_options::grow): a full map grows while the volume
// has room and the write goes through; with no room (simulated through the
// injected free-space probe) the store is full, with the operator's
// message, and nothing of the batch is written.

#include "tests/unit/runtime/store/fixtures.hpp"

#include <sys/stat.h>

using namespace pact;
using namespace pact::store;
using namespace pact::store::test;

namespace {

constexpr std::uint64_t gib = std::uint64_t{1} << 30;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A growing store with a 256 KiB map whose volume reports `free` bytes.
lmdb_options growing(const temp_dir& dir, std::optional<std::uint64_t> free) {
  lmdb_options o;
  o.dir = dir.path() + "/journal";
  o.map_size_bytes = 256 * 1024;
  o.bootstrap = bootstrap_conf;
  o.grow = true;
  o.disk_reserve_bytes = 64 * 1024 * 1024;
  o.free_bytes = [free](const std::string&) { return free; };
  return o;
}

std::unique_ptr<lmdb_store> must_open(const lmdb_options& o) {
  auto s = lmdb_store::open(o);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.err().message));
  return std::move(*s);
}

/// Saves batches of four 1 KiB entries until `total` entries or a failure;
/// returns the last acknowledged index and the failure, if any.
std::pair<raft::index_t, pact::status> fill(lmdb_store& s,
                                            raft::index_t total) {
  raft::index_t acked = s.last_index();
  while (acked < total) {
    auto ents = make_entries(acked + 1, {1, 1, 1, 1}, 1024);
    if (auto st = s.append(ents); !st)
      return {acked, st};
    acked = ents.back().index;
  }
  return {acked, {}};
}

} // namespace

TEST_CASE("lmdb growth: a full map grows while the volume has room") {
  temp_dir dir;
  auto o = growing(dir, 10 * gib);
  auto s = must_open(o);
  auto before = s->map_size_bytes();
  // About 4 MiB of entries into a 256 KiB map.
  auto [acked, st] = fill(*s, 4000);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.err().message));
  CHECK(acked == 4000);
  CHECK(s->map_size_bytes() > before);
  CHECK(s->map_growths() >= 4); // doubled each time
  CHECK_FALSE(s->failed());
  CHECK_FALSE(s->full());
  // A reopen with the original option maps the whole file again.
  s.reset();
  s = must_open(o);
  CHECK(s->last_index() == 4000);
  auto ents = s->entries(1, 4001, SIZE_MAX);
  REQUIRE(ents.ok());
  CHECK(ents.value().size() == 4000);
}

TEST_CASE("lmdb growth: one batch larger than twice the map grows in rounds") {
  temp_dir dir;
  auto s = must_open(growing(dir, 10 * gib));
  auto ents = make_entries(1, std::vector<raft::term_t>(1500, 1), 1024);
  REQUIRE(s->append(ents));
  CHECK(s->last_index() == 1500);
  CHECK(s->map_growths() >= 2);
}

TEST_CASE("lmdb growth: no room on the volume leaves the store full, "
          "nothing written") {
  temp_dir dir;
  // Exactly the reserve is free: no room to grow.
  auto o = growing(dir, 64 * 1024 * 1024);
  auto s = must_open(o);
  auto [acked, st] = fill(*s, 100000);
  REQUIRE_FALSE(st.ok());
  REQUIRE(acked > 0);
  auto msg = st.err().message;
  CHECK(msg
        == "raft log at " + o.dir + ": save: LMDB map is full (map size "
             + std::to_string(s->map_size_bytes())
             + " bytes) and its volume has no room to grow it (67108864 "
               "bytes free, 67108864 kept in reserve): free or expand the "
               "volume, or compact");
  CHECK(s->full());
  CHECK(s->failed());
  CHECK(s->map_growths() == 0);
  CHECK(s->last_index() == acked);
  CHECK_FALSE(s->set_hard_state({2, 1, 0}).ok()); // refused from now on
  // The disk holds exactly the acknowledged batches.
  s.reset();
  s = must_open(o);
  CHECK(s->last_index() == acked);
  CHECK_FALSE(s->failed());
}

TEST_CASE("lmdb growth: growth stops at the volume's room less the reserve") {
  temp_dir dir;
  // A volume of reserve + 2 MiB that the store has to itself: what the
  // file uses is no longer free.
  auto o = growing(dir, 0);
  const std::uint64_t volume = o.disk_reserve_bytes + 2 * 1024 * 1024;
  o.free_bytes = [volume](const std::string& d) {
    struct stat st {};
    auto used = ::stat((d + "/data.mdb").c_str(), &st) == 0
                  ? static_cast<std::uint64_t>(st.st_size)
                  : 0;
    return std::optional<std::uint64_t>{volume - used};
  };
  auto s = must_open(o);
  auto [acked, st] = fill(*s, 100000);
  REQUIRE_FALSE(st.ok());
  CHECK(s->full());
  CHECK(s->map_growths() >= 1);
  CHECK(s->map_size_bytes() <= 2 * 1024 * 1024);
  CHECK(acked * 1024 > 2 * 256 * 1024); // well past the first map
  CHECK(contains(st.err().message, "no room to grow it"));
  s.reset();
  CHECK(must_open(o)->last_index() == acked);
}

TEST_CASE("lmdb growth: a volume whose free space cannot be told is not "
          "grown into") {
  temp_dir dir;
  auto s = must_open(growing(dir, std::nullopt));
  auto [acked, st] = fill(*s, 100000);
  REQUIRE_FALSE(st.ok());
  CHECK(contains(st.err().message,
                 "and the free space of its volume cannot be told"));
  CHECK(s->full());
}

TEST_CASE("lmdb growth: without grow the map is a fixed limit") {
  temp_dir dir;
  auto o = growing(dir, 10 * gib);
  o.grow = false;
  auto s = must_open(o);
  auto [acked, st] = fill(*s, 100000);
  REQUIRE_FALSE(st.ok());
  CHECK(contains(st.err().message, "raise journal.raft.map_size_mb"));
  CHECK(s->map_growths() == 0);
}

TEST_CASE("statvfs_free_bytes reads the volume, nullopt for no path") {
  temp_dir dir;
  auto free = statvfs_free_bytes(dir.path());
  REQUIRE(free.has_value());
  CHECK(*free > 0);
  CHECK_FALSE(statvfs_free_bytes(dir.path() + "/missing/x").has_value());
}

TEST_CASE("lmdb growth: an open snapshot view is closed first, then reopened "
          "by a fresh snapshot") {
  // LMDB may remap only with no transaction open; the state snapshot's view
  // holds one. Growth closes it and says so; the next snapshot reopens it.
  temp_dir dir;
  auto s = must_open(growing(dir, 10 * gib));
  auto [first, st] = fill(*s, 8);
  REQUIRE(st);
  REQUIRE(s->create_state_snapshot(first, bootstrap_conf));
  CHECK_FALSE(s->snapshot_view_lost());
  auto before = s->map_size_bytes();
  auto [acked, st2] = fill(*s, 1000);
  REQUIRE_MESSAGE(st2, (st2 ? "" : st2.err().message));
  CHECK(s->map_size_bytes() > before);
  CHECK(s->snapshot_view_lost());
  CHECK(s->read_snapshot_chunk(first, 0, 4096).error()
        == raft::storage_error::snapshot_temporarily_unavailable);
  REQUIRE(s->create_state_snapshot(acked, bootstrap_conf));
  CHECK_FALSE(s->snapshot_view_lost());
  CHECK(s->read_snapshot_chunk(acked, 0, 4096).ok());
}
