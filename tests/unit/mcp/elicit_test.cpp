// Elicitation (MCP client/elicitation): a running call asks the human
// through the client with elicitation/create and blocks until the client's
// response is routed back, the call is cancelled or the session ends.

#include <doctest/doctest.h>

#include <memory>

#include "mcp/server.hpp"
#include "tests/unit/mcp/capture_sink.hpp"

using namespace pact::mcp;
using namespace pact::mcp::test;

namespace {

const json confirm_schema
  = {{"type", "object"},
     {"properties", {{"confirm", {{"type", "boolean"}}}}},
     {"required", json::array({"confirm"})}};

/// A tool that asks once: its text is "cannot" without the capability,
/// the client's result when it answered, "nothing" otherwise.
tool asking() {
  tool t;
  t.name = "ask";
  t.input_schema = {{"type", "object"}};
  t.call = [](const json&, call_context& ctx) -> tool_result {
    if (!ctx.can_elicit())
      return {"cannot", nullptr, false};
    auto answer = ctx.elicit("Commit to node n1?", confirm_schema);
    return {answer ? answer->dump() : "nothing", nullptr, false};
  };
  return t;
}

std::string response_line(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
}

std::string text_of(const json& reply) {
  return reply["result"]["content"][0]["text"].get<std::string>();
}

} // namespace

TEST_CASE("at 2025-11-25 the request names form mode; the answer returns") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-11-25",
               {{"elicitation", {{"form", json::object()}}}});
  s.receive_line(call_line(1, "ask"));
  auto req = out.sent("elicitation/create");
  REQUIRE(req.is_object());
  CHECK(req["jsonrpc"] == "2.0");
  REQUIRE(req["id"].is_string());
  CHECK(req["id"].get<std::string>().rfind("pact-elicit-", 0) == 0);
  CHECK(req["params"]["message"] == "Commit to node n1?");
  CHECK(req["params"]["requestedSchema"] == confirm_schema);
  CHECK(req["params"]["mode"] == "form");
  // A response to an id we never used changes nothing.
  s.receive_line(response_line("pact-elicit-999", {{"action", "accept"}}));
  s.receive_line(response_line(5, {{"action", "accept"}}));
  CHECK_FALSE(out.has_reply(1));
  json answer = {{"action", "accept"}, {"content", {{"confirm", true}}}};
  s.receive_line(response_line(req["id"], answer));
  CHECK(json::parse(text_of(out.reply(1))) == answer);
  CHECK(s.wait_idle(patience));
}

TEST_CASE("at 2025-06-18 the request has no mode; {} declares the capability") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-06-18", {{"elicitation", json::object()}});
  s.receive_line(call_line(1, "ask"));
  auto req = out.sent("elicitation/create");
  REQUIRE(req.is_object());
  CHECK_FALSE(req["params"].contains("mode"));
  s.receive_line(response_line(req["id"], {{"action", "decline"}}));
  CHECK(text_of(out.reply(1)) == R"({"action":"decline"})");
  CHECK(s.wait_idle(patience));
}

TEST_CASE("an error response gives nothing") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-11-25", {{"elicitation", json::object()}});
  s.receive_line(call_line(1, "ask"));
  auto req = out.sent("elicitation/create");
  REQUIRE(req.is_object());
  s.receive_line(
    json{{"jsonrpc", "2.0"},
         {"id", req["id"]},
         {"error", {{"code", -32601}, {"message", "no elicitation"}}}}
      .dump());
  CHECK(text_of(out.reply(1)) == "nothing");
  CHECK(s.wait_idle(patience));
}

TEST_CASE("cancelling a call that waits wakes it and cancels our request") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-11-25", {{"elicitation", json::object()}});
  s.receive_line(call_line("c", "ask"));
  auto req = out.sent("elicitation/create");
  REQUIRE(req.is_object());
  s.receive_line(cancel_line("c"));
  auto note = out.sent("notifications/cancelled");
  REQUIRE(note.is_object());
  CHECK(note["params"]["requestId"] == req["id"]);
  CHECK_FALSE(note.contains("id"));
  CHECK(s.wait_idle(patience));
  CHECK_FALSE(out.has_reply("c"));
  // The client's late answer is ignored.
  s.receive_line(response_line(req["id"], {{"action", "accept"}}));
  CHECK(out.messages().size() == 3); // initialize, request, notification
}

TEST_CASE("the end of the session wakes a waiting call without writing") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-11-25", {{"elicitation", json::object()}});
  s.receive_line(call_line(1, "ask"));
  REQUIRE(out.sent("elicitation/create").is_object());
  CHECK(s.shutdown(patience));
  CHECK(out.messages().size() == 2);
}

TEST_CASE("only a well-formed JSON-RPC 2.0 result answers the question") {
  for (json bad : {json{{"id", "x"}, {"result", {{"action", "accept"}}}},
                   json{{"jsonrpc", "1.0"},
                        {"id", "x"},
                        {"result", {{"action", "accept"}}}},
                   json{{"jsonrpc", "2.0"}, {"id", "x"}, {"result", "accept"}},
                   json{{"jsonrpc", "2.0"},
                        {"id", "x"},
                        {"result", {{"action", "accept"}}},
                        {"error", {{"code", 1}, {"message", "m"}}}}}) {
    CAPTURE(bad.dump());
    capture out;
    server s{"pact-mcp", "9", {asking()}};
    s.start(out.sink());
    open_session(s, out, "2025-11-25", {{"elicitation", json::object()}});
    s.receive_line(call_line(1, "ask"));
    auto req = out.sent("elicitation/create");
    REQUIRE(req.is_object());
    bad["id"] = req["id"];
    s.receive_line(bad.dump());
    CHECK(text_of(out.reply(1)) == "nothing");
    CHECK(s.shutdown(patience));
  }
}

TEST_CASE("at end of input a waiting call gets nothing and still answers") {
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(s, out, "2025-11-25", {{"elicitation", json::object()}});
  s.receive_line(call_line(1, "ask"));
  REQUIRE(out.sent("elicitation/create").is_object());
  s.end_of_input();
  // Woken without an answer; its reply is still written (a pipe reads on).
  CHECK(text_of(out.reply(1)) == "nothing");
  // A call that asks after the end does not wait at all.
  s.receive_line(call_line(2, "ask"));
  CHECK(text_of(out.reply(2)) == "nothing");
  CHECK(s.shutdown(patience));
}

TEST_CASE("without the capability, or before 2025-06-18, no elicitation") {
  struct session_case {
    const char* version;
    json capabilities;
  };
  for (auto& c : std::vector<session_case>{
         {"2025-11-25", json::object()},
         {"2025-11-25", {{"elicitation", {{"url", json::object()}}}}},
         {"2025-11-25", {{"elicitation", true}}},
         {"2025-03-26", {{"elicitation", json::object()}}},
         {"2024-11-05", {{"elicitation", json::object()}}}}) {
    CAPTURE(c.version);
    CAPTURE(c.capabilities.dump());
    capture out;
    server s{"pact-mcp", "9", {asking()}};
    s.start(out.sink());
    open_session(s, out, c.version, c.capabilities);
    s.receive_line(call_line(1, "ask"));
    CHECK(text_of(out.reply(1)) == "cannot");
    CHECK(s.wait_idle(patience));
  }
  // url and form together still allow forms.
  capture out;
  server s{"pact-mcp", "9", {asking()}};
  s.start(out.sink());
  open_session(
    s, out, "2025-11-25",
    {{"elicitation", {{"url", json::object()}, {"form", json::object()}}}});
  s.receive_line(call_line(1, "ask"));
  auto req = out.sent("elicitation/create");
  REQUIRE(req.is_object());
  s.receive_line(response_line(req["id"], {{"action", "cancel"}}));
  CHECK(text_of(out.reply(1)) == R"({"action":"cancel"})");
  CHECK(s.wait_idle(patience));
}

TEST_CASE("synchronous calls and calls in a batch cannot elicit") {
  server s{"pact-mcp", "9", {asking()}};
  auto init
    = s.handle({{"jsonrpc", "2.0"},
                {"id", 0},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", "2025-06-18"},
                  {"capabilities", {{"elicitation", json::object()}}}}}});
  REQUIRE(init);
  auto r = s.handle_line(call_line(1, "ask"));
  REQUIRE(r);
  CHECK(text_of(json::parse(*r)) == "cannot");

  capture out;
  server b{"pact-mcp", "9", {asking()}};
  b.start(out.sink());
  open_session(b, out, "2025-03-26", {{"elicitation", json::object()}});
  b.receive_line("[" + call_line(1, "ask") + "]");
  auto arr = out.wait_for([](const json& m) { return m.is_array(); });
  REQUIRE(arr.size() == 1);
  CHECK(text_of(arr[0]) == "cannot");
  CHECK(b.wait_idle(patience));
}
