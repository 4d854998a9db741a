// Deduplication of retried commands (issue 8 item 2; Raft thesis §6.3): a
// command whose (author, client request id) was already applied is
// answered with its first result and not applied again, deterministically
// and across snapshots.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

namespace pact::journal::test {

namespace {

JournalCommand with_id(JournalCommand c, const std::string& id,
                       int64_t ts = t0_ms) {
  c.set_client_request_id(id);
  c.set_timestamp_unix_ms(ts);
  return c;
}

JournalCommand blacklist_add(const std::string& pattern) {
  auto c = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  c.set_blacklist_pattern(pattern);
  return c;
}

} // namespace

TEST_CASE("a retried command is applied once and answered as the first time") {
  harness h;
  auto c = with_id(node_commit("n1", "vm.swappiness", "10"), "req-1");
  auto first = h.run(c);
  REQUIRE(first.status().code() == STATUS_CODE_OK);
  CHECK_FALSE(first.duplicate());
  // The retry arrives with a later leader stamp (a new attempt).
  auto again = h.run(with_id(c, "req-1", t0_ms + 2000));
  CHECK(again.status().code() == STATUS_CODE_OK);
  CHECK(again.duplicate());
  CHECK(
    std::vector<uint64_t>(again.sequences().begin(), again.sequences().end())
    == std::vector<uint64_t>(first.sequences().begin(),
                             first.sequences().end()));
  CHECK(h.sm.last_sequence() == 1);
}

TEST_CASE("a refusal is remembered too: the retry gets the same refusal") {
  harness h;
  h.ok(blacklist_add("/opt/a/**"));
  auto c = with_id(blacklist_add("/opt/a/**"), "req-2");
  auto first = h.run(c);
  CHECK(first.status().code() == STATUS_CODE_CONFLICT);
  auto again = h.run(c);
  CHECK(again.duplicate());
  CHECK(again.status().code() == STATUS_CODE_CONFLICT);
  CHECK(again.status().message() == first.status().message());
}

TEST_CASE("ids are per author, and commands without an id never dedupe") {
  harness h;
  auto a = with_id(blacklist_add("/opt/x/**"), "same");
  auto b = with_id(blacklist_add("/opt/y/**"), "same");
  *b.mutable_author() = human("bob@site");
  CHECK_FALSE(h.run(a).duplicate());
  CHECK_FALSE(h.run(b).duplicate());
  CHECK(h.sm.last_sequence() == 2);
  auto n1 = node_commit("n1", "vm.swappiness", "1");
  auto n2 = node_commit("n1", "vm.swappiness", "2");
  CHECK_FALSE(h.run(n1).duplicate());
  CHECK_FALSE(h.run(n2).duplicate());
  CHECK(h.sm.last_sequence() == 4);
}

TEST_CASE("a retry after the window is applied again") {
  harness h;
  auto c = with_id(blacklist_add("/opt/w/**"), "late");
  CHECK(h.run(c).status().code() == STATUS_CODE_OK);
  auto later = with_id(blacklist_add("/opt/w/**"), "late",
                       t0_ms + dedup_window_ms + 1);
  auto r = h.run(later);
  CHECK_FALSE(r.duplicate());
  CHECK(r.status().code() == STATUS_CODE_CONFLICT); // executed: present
}

TEST_CASE("the window is bounded by count and forgets oldest first") {
  harness h;
  for (size_t i = 0; i < 5; ++i)
    h.run(with_id(blacklist_add("/p/" + std::to_string(i)),
                  "id-" + std::to_string(i), t0_ms + static_cast<int64_t>(i)));
  CHECK(h.sm.recent_requests().size() == 5);
  // Everything older than the window goes when a new result is remembered.
  h.run(
    with_id(blacklist_add("/p/new"), "id-new", t0_ms + dedup_window_ms + 10));
  CHECK(h.sm.recent_requests().size() == 1);
  CHECK(h.sm.recent_requests().front().key() == "alice@site\nid-new");
}

TEST_CASE("an over-long client request id is refused") {
  harness h;
  auto c = with_id(blacklist_add("/opt/z/**"),
                   std::string(max_client_request_id_bytes + 1, 'x'));
  h.refused(c, STATUS_CODE_INVALID_ARGUMENT, "client request id");
}

TEST_CASE("the remembered results survive a snapshot and restore") {
  harness h;
  auto c = with_id(node_commit("n1", "vm.swappiness", "10"), "snap-1");
  auto first = h.run(c);
  auto image = h.sm.snapshot();
  config_state_machine restored;
  REQUIRE(restored.restore(image));
  CHECK(restored.snapshot() == image);
  CHECK(restored.digest() == h.sm.digest());
  std::string bytes;
  REQUIRE(c.SerializeToString(&bytes));
  CommandResult again;
  REQUIRE(again.ParseFromString(restored.apply(h.index + 1, bytes)));
  CHECK(again.duplicate());
  CHECK(again.sequences(0) == first.sequences(0));
  CHECK(restored.last_sequence() == 1);
}

} // namespace pact::journal::test
