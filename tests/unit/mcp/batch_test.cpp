// JSON-RPC batches (issue 8 item 10): accepted only in sessions that agreed
// to MCP 2025-03-26, the one revision that has them; refused with -32600
// otherwise, as before.

#include <doctest/doctest.h>

#include <string>

#include "mcp/server.hpp"

using namespace pact::mcp;

namespace {

server make_server() {
  tool echo;
  echo.name = "echo";
  echo.input_schema = {{"type", "object"}};
  echo.call = [](const json&, call_context&) -> tool_result {
    return {"hi", nullptr, false};
  };
  return server{"pact-mcp", "9.9.9", {echo}};
}

void initialize(server& s, const std::string& version) {
  auto r = s.handle({{"jsonrpc", "2.0"},
                     {"id", 0},
                     {"method", "initialize"},
                     {"params", {{"protocolVersion", version}}}});
  REQUIRE(r);
  REQUIRE((*r)["result"]["protocolVersion"] == version);
}

json reply_to(server& s, const std::string& line) {
  auto out = s.handle_line(line);
  REQUIRE(out);
  return json::parse(*out);
}

const char* two_pings_and_a_notification
  = R"([{"jsonrpc":"2.0","id":1,"method":"ping"},)"
    R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
    R"({"jsonrpc":"2.0","id":"b","method":"tools/call",)"
    R"("params":{"name":"echo"}}])";

} // namespace

TEST_CASE("under 2025-03-26 a batch gets an array of the responses") {
  auto s = make_server();
  initialize(s, "2025-03-26");
  auto r = reply_to(s, two_pings_and_a_notification);
  REQUIRE(r.is_array());
  REQUIRE(r.size() == 2);
  CHECK(r[0]["id"] == 1);
  CHECK(r[0]["result"] == json::object());
  CHECK(r[1]["id"] == "b");
  CHECK(r[1]["result"]["content"][0]["text"] == "hi");
}

TEST_CASE("a batch's bad members get their own errors in the array") {
  auto s = make_server();
  initialize(s, "2025-03-26");
  auto r = reply_to(s, R"([1,{"jsonrpc":"2.0","id":5,"method":"nope"},)"
                       R"([{"jsonrpc":"2.0","id":6,"method":"ping"}],)"
                       R"({"jsonrpc":2.0,"id":7,"method":"ping"},)"
                       R"({"jsonrpc":"2.0","id":8,"method":"initialize",)"
                       R"("params":{"protocolVersion":"2025-03-26"}}])");
  REQUIRE(r.is_array());
  REQUIRE(r.size() == 5);
  CHECK(r[0]["error"]["code"] == invalid_request);
  CHECK(r[0]["id"].is_null());
  CHECK(r[1]["error"]["code"] == method_not_found);
  CHECK(r[1]["id"] == 5);
  CHECK(r[2]["error"]["code"] == invalid_request); // no nested batches
  CHECK(r[2]["id"].is_null());
  CHECK(r[3]["error"]["code"] == invalid_request);
  CHECK(r[3]["id"] == 7);
  CHECK(r[4]["error"]["code"] == invalid_request); // initialize: not batched
  CHECK(r[4]["id"] == 8);
}

TEST_CASE("batches that need no answer, and empty or oversized ones") {
  auto s = make_server();
  initialize(s, "2025-03-26");
  CHECK_FALSE(
    s.handle_line(R"([{"jsonrpc":"2.0","method":"notifications/initialized"},)"
                  R"({"jsonrpc":"2.0","id":3,"result":{}}])"));
  auto empty = reply_to(s, "[]");
  CHECK(empty.is_object());
  CHECK(empty["error"]["code"] == invalid_request);
  CHECK(empty["id"].is_null());
  json big = json::array();
  for (std::size_t i = 0; i <= max_batch_size; ++i)
    big.push_back({{"jsonrpc", "2.0"}, {"id", i}, {"method", "ping"}});
  auto r = s.handle(big);
  REQUIRE(r);
  CHECK((*r)["error"]["code"] == invalid_request);
  big.erase(big.size() - 1);
  auto full = s.handle(big);
  REQUIRE(full);
  CHECK(full->size() == max_batch_size);
}

TEST_CASE("other protocol versions refuse batches with -32600") {
  for (auto version : {"2025-06-18", "2024-11-05"}) {
    CAPTURE(version);
    auto s = make_server();
    initialize(s, version);
    auto r = reply_to(s, two_pings_and_a_notification);
    REQUIRE(r.is_object());
    CHECK(r["error"]["code"] == invalid_request);
    CHECK(r["id"].is_null());
    CHECK(r["error"]["message"].get<std::string>().find(version)
          != std::string::npos);
  }
  auto fresh = make_server();
  auto r = reply_to(fresh, two_pings_and_a_notification);
  CHECK(r["error"]["code"] == invalid_request);
}

TEST_CASE("the one initialize decides whether batches are accepted") {
  auto s = make_server();
  initialize(s, "2025-03-26");
  CHECK(reply_to(s, two_pings_and_a_notification).is_array());
  auto t = make_server();
  initialize(t, "2025-06-18");
  CHECK(reply_to(t, two_pings_and_a_notification).is_object());
}
