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

} // namespace pact::journal
