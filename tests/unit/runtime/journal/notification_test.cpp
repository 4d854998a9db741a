// Notifications of emergency starts and ends (runtime/journal/
// notification.hpp): which entries announce something, the Loki push body,
// the retry schedule, and that the entries carry their vCluster.

#include "runtime/journal/notification.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;
using namespace pact::protocol;
using json = nlohmann::json;

TEST_CASE("emergency entries carry the vCluster of their scope") {
  auto h = enrolled_in_ml("vm.swappiness", "10");
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("GPU ECC storm");
  auto seq = h.ok(start);
  auto e = entry_at(h.sm, seq);
  CHECK(e.vcluster() == "ml");
  auto n = notification_of(e);
  REQUIRE(n);
  CHECK(n->event == "emergency_start");
  CHECK(n->vcluster == "ml");
  CHECK(n->timestamp_unix_ms == e.timestamp_unix_ms());
  auto line = json::parse(n->line);
  CHECK(line["sequence"] == seq);
  CHECK(line["scope"] == "node:n1");
  CHECK(line["node"] == "n1");
  CHECK(line["vcluster"] == "ml");
  CHECK(line["reason"] == "GPU ECC storm");
  CHECK(line["author"]["principal"] == "alice@site");
  CHECK(line["author"]["type"] == "human");
  auto end = h.ok(make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope("n1")));
  auto m = notification_of(entry_at(h.sm, end));
  REQUIRE(m);
  CHECK(m->event == "emergency_end");
  CHECK(m->vcluster == "ml");
  auto ended = json::parse(m->line);
  CHECK(ended["reason"] == "GPU ECC storm"); // the original reason
  CHECK(ended["owner"] == "alice@site");
  CHECK(ended["forced"] == false);
  CHECK(ended["window_ran_out"] == false);
}

TEST_CASE("a vCluster emergency is labelled with that vCluster") {
  auto h = enrolled_in_ml("vm.swappiness", "10");
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  start.set_emergency_reason("fabric down");
  auto n = notification_of(entry_at(h.sm, h.ok(start)));
  REQUIRE(n);
  CHECK(n->vcluster == "ml");
  CHECK(json::parse(n->line).count("node") == 0);
}

TEST_CASE("other entries announce nothing") {
  auto h = enrolled_in_ml("vm.swappiness", "10");
  for (const auto& e : all_entries(h.sm))
    CHECK_FALSE(notification_of(e));
}

TEST_CASE("the push body groups values by label set, in nanoseconds") {
  notification a{"emergency_start", "ml", 1700000000123, R"({"a":1})"};
  notification b{"emergency_end", "ml", 1700000000456, R"({"b":2})"};
  notification c{"emergency_start", "ml", 1700000000789, R"({"c":3})"};
  notification d{"emergency_start", "", 1700000000999, R"({"d":4})"};
  auto body = json::parse(loki_push_body({a, b, c, d}));
  REQUIRE(body["streams"].size() == 3);
  auto& first = body["streams"][0];
  CHECK(
    first["stream"]
    == json{{"app", "pact"}, {"event", "emergency_start"}, {"vcluster", "ml"}});
  CHECK(first["values"]
        == json::array({json::array({"1700000000123000000", R"({"a":1})"}),
                        json::array({"1700000000789000000", R"({"c":3})"})}));
  CHECK(body["streams"][1]["stream"]["event"] == "emergency_end");
  // No vCluster (an unenrolled node): the label is left out, not empty.
  CHECK(body["streams"][2]["stream"]
        == json{{"app", "pact"}, {"event", "emergency_start"}});
}

TEST_CASE("pushes are retried 1 s, 2 s, 4 s ... at most 60 s apart") {
  CHECK(push_backoff::delay_ms(1) == 1000);
  CHECK(push_backoff::delay_ms(2) == 2000);
  CHECK(push_backoff::delay_ms(3) == 4000);
  CHECK(push_backoff::delay_ms(6) == 32000);
  CHECK(push_backoff::delay_ms(7) == 60000);
  CHECK(push_backoff::delay_ms(1000) == 60000);
}
