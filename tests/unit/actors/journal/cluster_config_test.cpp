// Member lists that replicas compare when they connect (issue 8 item 8;
// troubleshooting guide "Raft peer configuration").

#include <doctest/doctest.h>

#include "actors/journal/cluster_config.hpp"

namespace pact::journal {

namespace {

std::map<uint64_t, endpoint> members_of(std::vector<std::string> list) {
  auto plan = plan_membership(1, list, false);
  REQUIRE(plan);
  return plan->members;
}

} // namespace

TEST_CASE("the member list text is canonical and includes this replica") {
  auto m = members_of(
    {"2=127.0.0.1:9445", "1=http://127.0.0.1:9444", "3=127.0.0.1:9446"});
  CHECK(m.size() == 3);
  CHECK(members_text(m)
        == "1=http://127.0.0.1:9444,2=http://127.0.0.1:9445,"
           "3=http://127.0.0.1:9446");
}

TEST_CASE("identical lists agree whatever their order or spelling") {
  auto mine = members_of({"1=127.0.0.1:1", "2=127.0.0.1:2", "3=127.0.0.1:3"});
  auto theirs
    = members_of({"3=http://127.0.0.1:3", "1=127.0.0.1:1", "2=127.0.0.1:2"});
  CHECK(members_mismatch(mine, 3, members_text(theirs)).empty());
}

TEST_CASE("a mistyped port names the member, both values and the peer") {
  auto mine = members_of({"1=127.0.0.1:1", "2=127.0.0.1:2", "3=127.0.0.1:3"});
  auto theirs
    = members_of({"1=127.0.0.1:1", "2=127.0.0.1:22", "3=127.0.0.1:3"});
  CHECK(members_mismatch(mine, 3, members_text(theirs))
        == "member 2 is http://127.0.0.1:2 here but http://127.0.0.1:22 "
           "at peer 3");
}

TEST_CASE("a member missing on either side is named") {
  auto three = members_of({"1=h:1", "2=h:2", "3=h:3"});
  auto two = members_of({"1=h:1", "2=h:2"});
  CHECK(members_mismatch(three, 2, members_text(two))
        == "member 3 (http://h:3) is listed here but not at peer 2");
  CHECK(members_mismatch(two, 3, members_text(three))
        == "member 3 (http://h:3) is listed at peer 3 but not here");
}

TEST_CASE("an unreadable list from a peer is a mismatch, not a crash") {
  auto mine = members_of({"1=h:1", "2=h:2"});
  for (std::string bad : {"garbage", "=", "x=1", ",,,", "0=http://h:1"})
    CHECK(members_mismatch(mine, 2, bad).find("unreadable")
          != std::string::npos);
  CHECK_FALSE(members_mismatch(mine, 2, "").empty());
}

TEST_CASE("a log that ends below what its holder acknowledged is lost") {
  // An emptied data directory (term 0, log 0) that acknowledged entry 686
  // to the leader of term 2.
  CHECK(forgot_acknowledged(0, 0, 2, 686));
  // Restored from an old copy: older term, shorter log.
  CHECK(forgot_acknowledged(1, 100, 2, 686));
  // Same term, shorter log: only data loss shortens it.
  CHECK(forgot_acknowledged(2, 685, 2, 686));
}

TEST_CASE("a log at or beyond its acknowledgement, or in a later term, is "
          "not lost") {
  CHECK_FALSE(forgot_acknowledged(2, 686, 2, 686));
  CHECK_FALSE(forgot_acknowledged(2, 900, 2, 686));
  // Nothing acknowledged (a follower's hello, a new member).
  CHECK_FALSE(forgot_acknowledged(0, 0, 2, 0));
  // A newer leader may have truncated entries the stale leader matched.
  CHECK_FALSE(forgot_acknowledged(3, 100, 2, 686));
}

} // namespace pact::journal
