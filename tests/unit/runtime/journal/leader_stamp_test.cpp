// leader_stamper: the leader's one clock reading per command, which never
// goes backwards even when the wall clock does.

#include <doctest/doctest.h>

#include "runtime/journal/leader_stamp.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// A command as the gateway proposes it: author set, no time.
std::string unstamped() {
  auto c = node_commit("n1", "vm.a", "1");
  c.set_timestamp_unix_ms(0);
  return c.SerializeAsString();
}

int64_t stamp_of(const std::string& bytes) {
  JournalCommand c;
  REQUIRE(c.ParseFromString(bytes));
  return c.timestamp_unix_ms();
}

/// An unstamped command stamped by `s` at `now_ms`, parsed.
JournalCommand stamped_command(leader_stamper& s, int64_t now_ms) {
  JournalCommand c;
  REQUIRE(c.ParseFromString(s.stamp(unstamped(), now_ms)));
  return c;
}

} // namespace

TEST_CASE("the stamp is the leader's clock and nothing else changes") {
  leader_stamper s;
  auto in = unstamped();
  auto out = s.stamp(in, t0_ms);
  JournalCommand got;
  REQUIRE(got.ParseFromString(out));
  CHECK(got.timestamp_unix_ms() == t0_ms);
  JournalCommand want;
  REQUIRE(want.ParseFromString(in));
  want.set_timestamp_unix_ms(t0_ms);
  CHECK(deterministic_bytes(got) == deterministic_bytes(want));
  // The stamped command is one the state machine accepts.
  config_state_machine sm;
  auto r = sm.execute(got);
  CHECK(r.status().code() == STATUS_CODE_OK);
  CHECK(entry_at(sm, 1).timestamp_unix_ms() == t0_ms);
}

TEST_CASE("a time in the request body is overwritten") {
  leader_stamper s;
  auto c = node_commit("n1", "vm.a", "1");
  c.set_timestamp_unix_ms(t0_ms * 10); // a client claiming the far future
  CHECK(stamp_of(s.stamp(c.SerializeAsString(), t0_ms)) == t0_ms);
  c.set_timestamp_unix_ms(1); // or the distant past
  CHECK(stamp_of(s.stamp(c.SerializeAsString(), t0_ms + 5)) == t0_ms + 5);
}

TEST_CASE("stamps never go backwards when the clock does") {
  leader_stamper s;
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms)) == t0_ms);
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms + 100)) == t0_ms + 100);
  // The clock steps back a minute: the stamp holds.
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms - 60000)) == t0_ms + 100);
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms + 50)) == t0_ms + 100);
  // Equal readings give equal stamps.
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms + 100)) == t0_ms + 100);
  // Once the clock passes the last stamp it is followed again.
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms + 101)) == t0_ms + 101);
  CHECK(stamp_of(s.stamp(unstamped(), t0_ms + 5000)) == t0_ms + 5000);
  // A clock reading of 0 (or negative) never produces a 0 stamp after a
  // real one.
  CHECK(stamp_of(s.stamp(unstamped(), 0)) == t0_ms + 5000);
  CHECK(stamp_of(s.stamp(unstamped(), -1)) == t0_ms + 5000);
}

TEST_CASE("every command kind is stamped") {
  leader_stamper s;
  int64_t now = t0_ms;
  for (int k = COMMAND_KIND_COMMIT; k <= COMMAND_KIND_EXTEND_WINDOW; ++k) {
    CAPTURE(k);
    auto c = make_cmd(static_cast<CommandKind>(k), node_scope("n1"), 0);
    CHECK(stamp_of(s.stamp(c.SerializeAsString(), ++now)) == now);
  }
}

TEST_CASE("bytes that are not a command come back unchanged") {
  leader_stamper s;
  // Not protobuf at all (an invalid tag), a truncated command, an empty
  // string (parses, but as no command), and a command without a kind.
  auto truncated = unstamped();
  truncated.pop_back(); // ends inside the last varint (ttl_seconds)
  JournalCommand no_kind;
  no_kind.set_message("hello");
  no_kind.set_timestamp_unix_ms(42);
  for (const std::string& in :
       {std::string("\xff\xff\xff\xff", 4), std::string("not a command"),
        truncated, std::string(), no_kind.SerializeAsString()}) {
    CAPTURE(in.size());
    CHECK(s.stamp(in, t0_ms) == in);
  }
  // The state machine refuses them deterministically instead.
  config_state_machine sm;
  CommandResult r;
  REQUIRE(r.ParseFromString(sm.apply(1, no_kind.SerializeAsString())));
  CHECK(r.status().code() == STATUS_CODE_INVALID_ARGUMENT);
}

TEST_CASE("a leader stamps no earlier than the newest applied entry") {
  // A new (or restarted) leader whose clock is behind the log's last stamp
  // continues from the log; with a clock ahead it follows the clock.
  config_state_machine sm;
  leader_stamper old_leader;
  REQUIRE(sm.execute(stamped_command(old_leader, t0_ms + 9000)).status().code()
          == STATUS_CODE_OK);
  leader_stamper behind;
  CHECK(stamp_of(behind.stamp(unstamped(), t0_ms, sm)) == t0_ms + 9000);
  leader_stamper ahead;
  CHECK(stamp_of(ahead.stamp(unstamped(), t0_ms + 9500, sm)) == t0_ms + 9500);
  // An empty log sets no floor.
  config_state_machine empty;
  leader_stamper fresh;
  CHECK(stamp_of(fresh.stamp(unstamped(), t0_ms, empty)) == t0_ms);
}

TEST_CASE("commands above 1 MiB are refused by size, up to it accepted") {
  CHECK(command_size_refusal(0).empty());
  CHECK(command_size_refusal(max_command_bytes).empty());
  CHECK(command_size_refusal(max_command_bytes + 1)
        == "command of 1048577 bytes exceeds the 1 MiB limit");
}
