// Snapshots, log compaction and chunked InstallSnapshot (§7).

#include <map>

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

namespace {

void small_chunks(config& cfg) {
  cfg.max_snapshot_chunk_bytes = 4;
}

/// The host of `id` snapshots its state machine and compacts the log.
void compact(network& net, node_id id) {
  auto& r = net.at(id);
  std::string image;
  for (const auto& a : r.applied)
    image += a + ";";
  REQUIRE(r.storage.create_snapshot(r.applied_index, r.conf, image));
  REQUIRE(r.storage.compact(r.applied_index));
}

} // namespace

TEST_CASE("§7 a follower whose entries were compacted away receives the "
          "snapshot in chunks, installs it and catches up") {
  network net{{1, 2, 3}, small_chunks};
  net.elect(1);
  net.crash(3);
  for (const char* s : {"a", "b", "c"})
    net.node(1).propose(s);
  net.settle();
  net.tick_all();
  compact(net, 1);
  REQUIRE(net.at(1).storage.first_index() == 5);
  net.node(1).propose("d"); // After the snapshot.
  net.settle();
  net.sent().clear();
  net.recover(3);
  net.tick_all(3);

  auto chunks = of_type(net.sent(), message_type::install_snapshot);
  CHECK(chunks.size() == 2); // "a;b;c;" is 6 bytes: 4 + 2.
  std::uint64_t expect = 0;
  for (const auto& m : chunks) {
    if (m.chunk_offset == 0)
      expect = 0;
    CHECK(m.chunk_offset == expect);
    expect += m.chunk.size();
  }
  auto& r3 = net.at(3);
  CHECK(r3.storage.snapshot_metadata().value().last_included_index == 4);
  CHECK(r3.storage.latest_snapshot().data == "a;b;c;");
  CHECK(net.raft(3).log().last_index() == 5);
  CHECK(net.raft(3).log().committed() == 5);
  REQUIRE(r3.applied.size() == 2);
  CHECK(r3.applied[0] == "snapshot:a;b;c;");
  CHECK(r3.applied[1] == "d");
  CHECK(net.raft(1).peers().find(3)->state == progress_state::replicate);
}

TEST_CASE("§7 a lost chunk is sent again and the receiver asks for the "
          "offset it needs") {
  network net{{1, 2, 3}, small_chunks};
  net.elect(1);
  net.crash(3);
  for (const char* s : {"alpha", "beta"})
    net.node(1).propose(s);
  net.settle();
  compact(net, 1);
  net.recover(3);
  bool dropped = false;
  net.drop_if([&](const message& m) {
    if (m.type == message_type::install_snapshot && m.chunk_offset == 4
        && !dropped) {
      dropped = true;
      return true;
    }
    return false;
  });
  // Resent once an election timeout's worth of heartbeats found it
  // unanswered.
  for (int i = 0; i < 2 * net.make_config(1).election_timeout_ticks; ++i)
    net.tick_all();
  CHECK(dropped);
  CHECK(net.at(3).storage.latest_snapshot().data == "alpha;beta;");
  CHECK(net.raft(3).log().committed() == 3);
}

TEST_CASE("a chunk goes unanswered for a while: it is sent again once per "
          "election timeout, not on every heartbeat answer, and the copies' "
          "answers do not multiply the chunks") {
  network net{{1, 2, 3}, small_chunks};
  net.elect(1);
  net.crash(3);
  for (const char* s : {"alpha", "beta", "gamma", "delta"})
    net.node(1).propose(s);
  net.settle();
  compact(net, 1);
  net.recover(3);
  net.sent().clear();
  // A slow follower: its answers to chunks are late (held back here) while
  // its heartbeat answers arrive.
  bool slow = true;
  net.drop_if([&](const message& m) {
    return slow && m.type == message_type::install_snapshot_response;
  });
  const int timeout = net.make_config(1).election_timeout_ticks;
  for (int i = 0; i < 3 * timeout; ++i)
    net.tick_all();
  auto sent = of_type(net.sent(), message_type::install_snapshot);
  // The first chunk, then one copy per election timeout (not 3 * timeout).
  CHECK(sent.size() >= 2);
  CHECK(sent.size() <= 4);
  for (const auto& m : sent)
    CHECK(m.chunk_offset == 0);
  // The follower answers again: every copy it got is answered, yet each
  // further chunk is sent about once.
  slow = false;
  net.sent().clear();
  for (int i = 0; i < 3 * timeout; ++i)
    net.tick_all();
  CHECK(net.at(3).storage.latest_snapshot().data == "alpha;beta;gamma;delta;");
  auto rest = of_type(net.sent(), message_type::install_snapshot);
  std::map<std::uint64_t, int> copies;
  for (const auto& m : rest)
    ++copies[m.chunk_offset];
  for (const auto& [offset, n] : copies)
    CHECK_MESSAGE(n <= 2, "chunk at " << offset << " sent " << n << " times");
}

TEST_CASE("§7 out-of-order chunks are refused with the expected offset") {
  memory_storage s{conf_state{{1, 2}, {}}};
  core c{core_config(2, s)};
  message m;
  m.type = message_type::install_snapshot;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.snapshot.last_included_index = 5;
  m.snapshot.last_included_term = 1;
  m.chunk_offset = 4;
  m.chunk = "efgh";
  c.step(m);
  auto out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::install_snapshot_response);
  CHECK(out[0].reject);
  CHECK(out[0].hint_index == 0);
  m.chunk_offset = 0;
  m.chunk = "abcd";
  c.step(m);
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].reject);
  CHECK(out[0].hint_index == 4);
  m.chunk_offset = 4;
  m.chunk = "ef";
  m.chunk_done = true;
  c.step(m);
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::append_entries_response);
  CHECK(out[0].log_index == 5);
  REQUIRE(c.log().unstable_snapshot());
  CHECK(c.log().unstable_snapshot()->data == "abcdef");
  CHECK(c.log().committed() == 5);
}

TEST_CASE("a snapshot the host refuses is discarded and asked for again "
          "from byte 0") {
  memory_storage s{conf_state{{1, 2}, {}}};
  auto cfg = core_config(2, s);
  std::vector<std::string> judged;
  cfg.accept_snapshot = [&](const snapshot& snap) {
    judged.push_back(snap.data);
    return snap.data == "good";
  };
  core c{cfg};
  message m;
  m.type = message_type::install_snapshot;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.snapshot.last_included_index = 5;
  m.snapshot.last_included_term = 1;
  m.chunk = "bad!";
  m.chunk_done = true;
  c.step(m);
  auto out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::install_snapshot_response);
  CHECK(out[0].reject);
  CHECK(out[0].hint_index == 0);
  CHECK_FALSE(c.log().unstable_snapshot());
  CHECK(c.log().committed() == 0);
  // Nothing of it is kept: a later chunk at offset 4 is refused.
  m.chunk_offset = 4;
  c.step(m);
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].reject);
  CHECK(out[0].hint_index == 0);
  m.chunk_offset = 0;
  m.chunk = "good";
  c.step(m);
  out = c.take_messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == message_type::append_entries_response);
  REQUIRE(c.log().unstable_snapshot());
  CHECK(c.log().committed() == 5);
  CHECK(judged == std::vector<std::string>{"bad!", "good"});
}

namespace {

/// A host's receiver that keeps the bytes "elsewhere" (here: a string the
/// test reads) and hands the snapshot over staged, with no data.
class host_receiver final : public snapshot_receiver {
public:
  const snapshot_meta& held_meta() const override {
    return meta;
  }
  std::uint64_t held_bytes() const override {
    return bytes.size();
  }
  void begin(const snapshot_meta& m) override {
    meta = m;
    bytes.clear();
  }
  bool append(std::string_view b) override {
    if (fail_appends > 0) {
      --fail_appends;
      return false;
    }
    bytes.append(b);
    return true;
  }
  bool complete() override {
    return bytes == "abcdef";
  }
  snapshot take() override {
    snapshot out;
    out.meta = meta;
    out.staged = true;
    taken = bytes;
    discard();
    return out;
  }
  void discard() override {
    meta = snapshot_meta{};
    bytes.clear();
  }

  snapshot_meta meta;
  std::string bytes;
  std::string taken;
  int fail_appends = 0;
};

} // namespace

TEST_CASE("a host's snapshot receiver keeps the chunks; a chunk it cannot "
          "keep restarts the transfer; the snapshot is handed over staged") {
  memory_storage s{conf_state{{1, 2}, {}}};
  host_receiver rx;
  auto cfg = core_config(2, s);
  cfg.receiver = &rx;
  core c{cfg};
  message m;
  m.type = message_type::install_snapshot;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.snapshot.last_included_index = 5;
  m.snapshot.last_included_term = 1;
  auto chunk = [&](std::uint64_t offset, std::string bytes, bool done) {
    m.chunk_offset = offset;
    m.chunk = std::move(bytes);
    m.chunk_done = done;
    c.step(m);
    auto out = c.take_messages();
    REQUIRE(out.size() == 1);
    return out[0];
  };
  auto r = chunk(0, "abc", false);
  CHECK_FALSE(r.reject);
  CHECK(r.hint_index == 3);
  CHECK(rx.bytes == "abc");
  // The disk is full: nothing is held and the leader starts over.
  rx.fail_appends = 1;
  r = chunk(3, "def", true);
  CHECK(r.reject);
  CHECK(r.hint_index == 0);
  CHECK(rx.held_bytes() == 0);
  CHECK_FALSE(c.log().unstable_snapshot());
  CHECK(chunk(0, "abc", false).hint_index == 3);
  r = chunk(3, "def", true);
  CHECK(r.type == message_type::append_entries_response);
  CHECK(r.log_index == 5);
  CHECK(rx.taken == "abcdef");
  REQUIRE(c.log().unstable_snapshot());
  CHECK(c.log().unstable_snapshot()->staged);
  CHECK(c.log().unstable_snapshot()->data.empty());
  CHECK(c.log().committed() == 5);
  // A chunk of a snapshot already covered is answered with the commit
  // index, and the receiver holds nothing of it.
  r = chunk(0, "abc", false);
  CHECK(r.type == message_type::append_entries_response);
  CHECK(rx.held_bytes() == 0);
}

TEST_CASE("§7 if the log already has the snapshot's last entry, the entries "
          "after it are retained") {
  memory_storage s{conf_state{{1, 2}, {}}};
  s.append(entries_with_terms({1, 1, 1, 1}));
  s.set_hard_state({1, 1, 0});
  core c{core_config(2, s)};
  message m;
  m.type = message_type::install_snapshot;
  m.from = 1;
  m.to = 2;
  m.term = 1;
  m.snapshot.last_included_index = 2;
  m.snapshot.last_included_term = 1;
  m.chunk = "img";
  m.chunk_done = true;
  c.step(m);
  CHECK_FALSE(c.log().unstable_snapshot());
  CHECK(c.log().last_index() == 4);
  CHECK(c.log().committed() == 2);
}

TEST_CASE("a replica restarts from a compacted log and snapshot") {
  network net{{1, 2, 3}};
  net.elect(1);
  for (const char* s : {"a", "b"})
    net.node(1).propose(s);
  net.settle();
  net.tick_all();
  compact(net, 2);
  net.crash(2);
  net.recover(2);
  CHECK(net.raft(2).log().first_index() == 4);
  CHECK(net.raft(2).log().committed() == 3);
  net.node(1).propose("c");
  net.settle();
  net.tick_all();
  CHECK(net.raft(2).log().committed() == 4);
  CHECK(net.at(2).applied.back() == "c");
}
