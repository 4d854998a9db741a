// The asynchronous server (issue: concurrency, cancellation, shutdown):
// each tools/call on its own thread, replies written as calls finish,
// at most max_calls_in_flight at once, cancelled calls unanswered, and an
// end of input that neither hangs nor crashes with calls still running.

#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "mcp/server.hpp"
#include "tests/unit/mcp/capture_sink.hpp"

using namespace pact::mcp;
using namespace pact::mcp::test;

namespace {

/// A tool that blocks on `g` and then says whether it was cancelled.
tool blocking(const std::string& name, std::shared_ptr<gate> g,
              std::shared_ptr<std::atomic<int>> saw_cancel = nullptr) {
  tool t;
  t.name = name;
  t.input_schema = {{"type", "object"}};
  t.call = [g, saw_cancel](const json&, call_context& ctx) -> tool_result {
    g->wait();
    if (saw_cancel)
      *saw_cancel = ctx.cancelled() ? 1 : 0;
    return {"released", nullptr, false};
  };
  return t;
}

tool quick(const std::string& name) {
  tool t;
  t.name = name;
  t.input_schema = {{"type", "object"}};
  t.call = [name](const json&, call_context&) -> tool_result {
    return {name, nullptr, false};
  };
  return t;
}

} // namespace

TEST_CASE("two calls in flight are answered as they finish") {
  capture out;
  auto first_done = std::make_shared<gate>();
  // The slow call returns only once the quick call's reply is written:
  // were calls not concurrent, this would never finish.
  out.on_message = [first_done](const json& m) {
    if (m.contains("id") && m["id"] == 2)
      first_done->open();
  };
  server s{"pact-mcp", "9", {blocking("slow", first_done), quick("fast")}};
  s.start(out.sink());
  s.receive_line(call_line(1, "slow"));
  s.receive_line(request_line(3, "ping"));
  // ping is answered by the reading thread while the call runs.
  CHECK(out.has_reply(3));
  CHECK_FALSE(out.has_reply(1));
  s.receive_line(call_line(2, "fast"));
  REQUIRE(out.reply(1).is_object());
  CHECK(s.wait_idle(patience));
  std::vector<json> ids;
  for (auto& m : out.messages())
    ids.push_back(m["id"]);
  CHECK(ids == std::vector<json>{3, 2, 1});
  CHECK(out.reply(1)["result"]["content"][0]["text"] == "released");
  CHECK(out.reply(2)["result"]["content"][0]["text"] == "fast");
}

TEST_CASE("errors, tools/list and initialize are answered at once") {
  capture out;
  auto g = std::make_shared<gate>();
  server s{"pact-mcp", "9", {blocking("slow", g)}};
  s.start(out.sink());
  s.receive_line(call_line(1, "slow"));
  s.receive_line(request_line(2, "tools/list"));
  s.receive_line(call_line(3, "nope"));
  s.receive_line("{oops");
  s.receive_oversized();
  s.receive_line(request_line(4, "initialize", {{"protocolVersion", "x"}}));
  auto m = out.messages();
  REQUIRE(m.size() == 5);
  CHECK(m[0]["id"] == 2);
  CHECK(m[1]["error"]["code"] == invalid_params);
  CHECK(m[2]["error"]["code"] == parse_error);
  CHECK(m[3]["error"]["code"] == invalid_request);
  CHECK(m[4]["id"] == 4);
  g->open();
  CHECK(out.reply(1)["result"]["isError"] == false);
  CHECK(s.wait_idle(patience));
}

TEST_CASE("an id still in use by a running call is refused") {
  capture out;
  auto g = std::make_shared<gate>();
  server s{"pact-mcp", "9", {blocking("slow", g)}};
  s.start(out.sink());
  s.receive_line(call_line(1, "slow"));
  s.receive_line(call_line(1, "slow"));
  auto refused = out.reply(1);
  CHECK(refused["error"]["code"] == invalid_request);
  g->open();
  CHECK(s.wait_idle(patience));
  // The id is free again once the call has finished.
  s.receive_line(call_line(1, "slow"));
  CHECK(s.wait_idle(patience));
  CHECK(out.messages().size() == 3);
}

TEST_CASE("one call more than max_calls_in_flight is answered busy") {
  capture out;
  auto g = std::make_shared<gate>();
  server s{"pact-mcp", "9", {blocking("slow", g)}};
  s.start(out.sink());
  for (std::size_t i = 0; i < max_calls_in_flight; ++i)
    s.receive_line(call_line(static_cast<int>(i), "slow"));
  CHECK(out.messages().empty());
  s.receive_line(call_line("one-more", "slow"));
  auto busy = out.reply("one-more");
  CHECK(busy["error"]["code"] == server_busy);
  CHECK(busy["error"]["message"]
        == "busy: 32 tool calls are running; retry when one finishes");
  // Arguments are still checked first.
  s.receive_line(call_line("bad", "slow", json::array()));
  CHECK(out.reply("bad")["error"]["code"] == invalid_params);
  g->open();
  CHECK(s.wait_idle(patience));
  CHECK(out.messages().size() == max_calls_in_flight + 2);
  s.receive_line(call_line("again", "slow"));
  CHECK(out.reply("again")["result"]["isError"] == false);
}

TEST_CASE("a cancelled call's reply is not sent and it sees cancelled()") {
  capture out;
  auto g = std::make_shared<gate>();
  auto saw = std::make_shared<std::atomic<int>>(-1);
  server s{"pact-mcp", "9", {blocking("slow", g, saw)}};
  s.start(out.sink());
  s.receive_line(call_line("c1", "slow"));
  s.receive_line(call_line(7, "slow"));
  s.receive_line(cancel_line("c1"));
  // Unknown ids (and an integer where the call's id is a string) are
  // ignored, as is a cancel without a usable requestId.
  s.receive_line(cancel_line(999));
  s.receive_line(cancel_line("7"));
  s.receive_line(cancel_line(json::array()));
  s.receive_line(R"({"jsonrpc":"2.0","method":"notifications/cancelled"})");
  CHECK(out.messages().empty());
  g->open();
  CHECK(s.wait_idle(patience));
  CHECK_FALSE(out.has_reply("c1"));
  CHECK(out.reply(7)["result"]["content"][0]["text"] == "released");
  CHECK(out.messages().size() == 1);
  // Cancelling a finished call changes nothing.
  s.receive_line(cancel_line(7));
  CHECK(out.messages().size() == 1);
}

TEST_CASE("the cancelled flag is what the call sees") {
  capture out;
  auto g = std::make_shared<gate>();
  auto saw = std::make_shared<std::atomic<int>>(-1);
  server s{"pact-mcp", "9", {blocking("slow", g, saw)}};
  s.start(out.sink());
  s.receive_line(call_line(1, "slow"));
  s.receive_line(cancel_line(1));
  g->open();
  CHECK(s.wait_idle(patience));
  CHECK(*saw == 1);
  s.receive_line(call_line(2, "slow"));
  CHECK(s.wait_idle(patience));
  CHECK(*saw == 0);
  CHECK(out.has_reply(2));
}

TEST_CASE("a batch holding a call runs as one job; its array comes last") {
  capture out;
  auto g = std::make_shared<gate>();
  server s{"pact-mcp", "9", {blocking("slow", g), quick("fast")}};
  s.start(out.sink());
  open_session(s, out, "2025-03-26");
  s.receive_line("[" + call_line(1, "slow") + "," + request_line(2, "ping")
                 + ","
                 + R"({"jsonrpc":"2.0","method":"notifications/initialized"},)"
                 + call_line(3, "fast") + "]");
  s.receive_line(request_line(4, "ping"));
  CHECK(out.has_reply(4));
  CHECK(out.messages().size() == 2); // initialize, ping 4
  g->open();
  auto arr = out.wait_for([](const json& m) { return m.is_array(); });
  REQUIRE(arr.size() == 3);
  CHECK(arr[0]["id"] == 1);
  CHECK(arr[1]["id"] == 2);
  CHECK(arr[2]["result"]["content"][0]["text"] == "fast");
  CHECK(s.wait_idle(patience));
  // A batch without calls is answered at once, as are batch errors.
  s.receive_line("[" + request_line(5, "ping") + "]");
  s.receive_line("[]");
  auto m = out.messages();
  REQUIRE(m.size() == 5);
  CHECK(m[3][0]["id"] == 5);
  CHECK(m[4]["error"]["code"] == invalid_request);
}

TEST_CASE("a cancelled call inside a batch is left out of the array") {
  capture out;
  auto g = std::make_shared<gate>();
  server s{"pact-mcp", "9", {blocking("slow", g)}};
  s.start(out.sink());
  open_session(s, out, "2025-03-26");
  s.receive_line("[" + call_line(1, "slow") + "," + request_line(2, "ping")
                 + "]");
  s.receive_line(cancel_line(1));
  g->open();
  auto arr = out.wait_for([](const json& m) { return m.is_array(); });
  REQUIRE(arr.size() == 1);
  CHECK(arr[0]["id"] == 2);
  CHECK(s.wait_idle(patience));
}

TEST_CASE("shutdown cancels, waits for the grace, and sends nothing more") {
  capture out;
  auto g = std::make_shared<gate>();
  auto saw = std::make_shared<std::atomic<int>>(-1);
  server s{"pact-mcp", "9", {blocking("slow", g, saw)}};
  s.start(out.sink());
  s.receive_line(call_line(1, "slow"));
  CHECK_FALSE(s.shutdown(std::chrono::milliseconds(20)));
  g->open();
  CHECK(s.wait_idle(patience));
  CHECK(*saw == 1);
  CHECK(out.messages().empty());
  CHECK(s.shutdown(std::chrono::milliseconds(0)));
}

TEST_CASE("shutdown with nothing running returns at once") {
  capture out;
  server s{"pact-mcp", "9", {quick("fast")}};
  s.start(out.sink());
  s.receive_line(call_line(1, "fast"));
  CHECK(s.wait_idle(patience));
  CHECK(s.shutdown(std::chrono::milliseconds(0)));
  CHECK(out.messages().size() == 1);
}

TEST_CASE("destroying the server under a running call neither hangs nor "
          "crashes") {
  capture out;
  auto g = std::make_shared<gate>();
  auto returned = std::make_shared<gate>();
  tool t = blocking("slow", g);
  auto inner = t.call;
  t.call = [inner, returned](const json& a, call_context& ctx) {
    auto r = inner(a, ctx);
    returned->open();
    return r;
  };
  {
    server s{"pact-mcp", "9", {t}};
    s.start(out.sink());
    s.receive_line(call_line(1, "slow"));
  }
  g->open();
  CHECK(returned->wait());
  // The late reply finds the output closed (the sink is never called).
  CHECK(out.messages().empty());
}
