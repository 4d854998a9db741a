// pact-mcp on malformed and mistyped input (issue 8 item 5): every message
// gets the JSON-RPC 2.0 error the specification gives it, with the request's
// id where one can be read, and the next request is still served.

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "mcp/server.hpp"
#include "mcp/tool_specs.hpp"

using namespace pact::mcp;

namespace {

/// A server with the real pact tool specs; calls only count.
server spec_server(int* calls) {
  std::vector<tool> tools{spec_of("pact_log"), spec_of("pact_diff"),
                          spec_of("pact_status")};
  for (auto& t : tools)
    t.call = [calls](const json&, call_context&) -> tool_result {
      ++*calls;
      return {"ok", nullptr, false};
    };
  tool boom;
  boom.name = "boom";
  boom.input_schema = {{"type", "object"}};
  boom.call = [](const json&, call_context&) -> tool_result {
    throw std::runtime_error("secret library text");
  };
  tools.push_back(boom);
  tool bytes;
  bytes.name = "bytes";
  bytes.input_schema = {{"type", "object"}};
  bytes.call = [](const json&, call_context&) -> tool_result {
    return {std::string("bad \xff\xfe bytes"), nullptr, false};
  };
  tools.push_back(bytes);
  return server{"pact-mcp", "9.9.9", tools};
}

json reply_to(server& s, const std::string& line) {
  auto out = s.handle_line(line);
  REQUIRE(out);
  return json::parse(*out);
}

/// The reply is the error `code` for `id`, and a ping right after is served.
void check_error(server& s, const std::string& line, int code, const json& id) {
  CAPTURE(line);
  auto r = reply_to(s, line);
  CHECK(r["jsonrpc"] == "2.0");
  CHECK(r["error"]["code"] == code);
  CHECK(r["error"]["message"].is_string());
  CHECK(r["id"] == id);
  CHECK_FALSE(r.contains("result"));
  auto ping = reply_to(s, R"({"jsonrpc":"2.0","id":"after","method":"ping"})");
  CHECK(ping["id"] == "after");
  CHECK(ping["result"] == json::object());
}

std::string call_line(const std::string& tool_name, const std::string& args) {
  return R"({"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":")"
         + tool_name + R"(","arguments":)" + args + "}}";
}

} // namespace

TEST_CASE("a mistyped jsonrpc member is an invalid request, not a crash") {
  int calls = 0;
  auto s = spec_server(&calls);
  check_error(s, R"({"jsonrpc":2.0,"id":1,"method":"ping"})", invalid_request,
              1);
  check_error(s, R"({"jsonrpc":"1.0","id":2,"method":"ping"})", invalid_request,
              2);
  check_error(s, R"({"jsonrpc":null,"id":3,"method":"ping"})", invalid_request,
              3);
  check_error(s, R"({"id":4,"method":"ping"})", invalid_request, 4);
  check_error(s, R"({"jsonrpc":["2.0"],"id":"x","method":"ping"})",
              invalid_request, "x");
}

TEST_CASE("a method that is not a string is an invalid request") {
  int calls = 0;
  auto s = spec_server(&calls);
  check_error(s, R"({"jsonrpc":"2.0","id":1,"method":1})", invalid_request, 1);
  check_error(s, R"({"jsonrpc":"2.0","id":1,"method":null})", invalid_request,
              1);
  check_error(s, R"({"jsonrpc":"2.0","id":1,"method":{"a":1}})",
              invalid_request, 1);
  check_error(s, R"({"jsonrpc":"2.0","id":1})", invalid_request, 1);
  // Without an id it is still answered (JSON-RPC 2.0 §7 examples).
  check_error(s, R"({"jsonrpc":"2.0","method":1,"params":"bar"})",
              invalid_request, nullptr);
}

TEST_CASE("ids that are not strings or integers get a null id") {
  int calls = 0;
  auto s = spec_server(&calls);
  for (auto id : {"{}", "[1]", "1.5", "1e2", "true", "false", "null",
                  "99999999999999999999999"})
    check_error(
      s, std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}",
      invalid_request, nullptr);
  // The whole integer range is a valid id and is echoed exactly.
  auto big = reply_to(
    s, R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"})");
  CHECK(big["id"] == 18446744073709551615ull);
  auto neg = reply_to(
    s, R"({"jsonrpc":"2.0","id":-9223372036854775808,"method":"ping"})");
  CHECK(neg["id"] == INT64_MIN);
}

TEST_CASE("params that are not an object are refused") {
  int calls = 0;
  auto s = spec_server(&calls);
  for (auto p : {R"("x")", "5", "null", "true"})
    check_error(s,
                std::string(R"({"jsonrpc":"2.0","id":7,"method":"ping",)")
                  + R"("params":)" + p + "}",
                invalid_request, 7);
  check_error(s, R"({"jsonrpc":"2.0","id":7,"method":"ping","params":[]})",
              invalid_params, 7);
  check_error(s,
              R"({"jsonrpc":"2.0","id":8,"method":"tools/list",)"
              R"("params":{"cursor":5}})",
              invalid_params, 8);
}

TEST_CASE("messages that are not objects and text that is not JSON") {
  int calls = 0;
  auto s = spec_server(&calls);
  for (auto m : {"5", R"("ping")", "null", "true"})
    check_error(s, m, invalid_request, nullptr);
  for (auto m :
       {"{not json", R"({"id":1,)", "1e400", "-1e400",
        R"({"jsonrpc":"2.0","id":1,"method":"\ud800"})",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", "\"\xc3\x28\""})
    check_error(s, m, parse_error, nullptr);
  check_error(s, std::string("{\"a\":1}\0", 8), parse_error, nullptr);
  CHECK_FALSE(s.handle_line(""));
  CHECK_FALSE(s.handle_line(" \t\r"));
}

TEST_CASE("nesting is bounded; the id is kept when it can be read") {
  int calls = 0;
  auto s = spec_server(&calls);
  auto nested = [](int levels) {
    // The message object is level 1, params level 2, then arrays.
    return std::string(R"({"jsonrpc":"2.0","id":3,"method":"ping",)")
           + R"("params":{"a":)" + std::string(levels - 2, '[')
           + std::string(levels - 2, ']') + "}}";
  };
  auto ok = reply_to(s, nested(max_nesting));
  CHECK(ok["result"] == json::object());
  check_error(s, nested(max_nesting + 1), invalid_request, 3);
  check_error(s, std::string(100000, '[') + std::string(100000, ']'),
              invalid_request, nullptr);
  check_error(s, std::string(1 << 20, '['), parse_error, nullptr);
  check_error(s, std::string(1 << 20, '{'), parse_error, nullptr);
}

TEST_CASE("notifications get no reply; a notification with an id is refused") {
  int calls = 0;
  auto s = spec_server(&calls);
  CHECK_FALSE(
    s.handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK_FALSE(s.handle_line(R"({"jsonrpc":"2.0","method":"no/such"})"));
  CHECK_FALSE(s.handle_line(
    R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{}})"));
  check_error(
    s, R"({"jsonrpc":"2.0","id":9,"method":"notifications/initialized"})",
    invalid_request, 9);
  check_error(s, R"({"jsonrpc":"2.0","id":9,"method":"no/such"})",
              method_not_found, 9);
}

TEST_CASE("responses from the client are ignored") {
  int calls = 0;
  auto s = spec_server(&calls);
  CHECK_FALSE(s.handle_line(R"({"jsonrpc":"2.0","id":1,"result":{}})"));
  CHECK_FALSE(s.handle_line(
    R"({"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}})"));
  CHECK_FALSE(s.handle_line(R"({"jsonrpc":2,"id":{},"result":null})"));
}

TEST_CASE("initialize with mistyped params is invalid params") {
  int calls = 0;
  auto s = spec_server(&calls);
  auto init = [](const std::string& params) {
    return R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":)" + params
           + "}";
  };
  check_error(s, init("{}"), invalid_params, 1);
  check_error(s, init(R"({"protocolVersion":20250326})"), invalid_params, 1);
  check_error(s, init(R"({"protocolVersion":"2025-03-26","capabilities":1})"),
              invalid_params, 1);
  check_error(s, init(R"({"protocolVersion":"2025-03-26","clientInfo":"x"})"),
              invalid_params, 1);
  CHECK_FALSE(s.initialized());
}

TEST_CASE("tools/call params and arguments are checked before the tool runs") {
  int calls = 0;
  auto s = spec_server(&calls);
  check_error(s, R"({"jsonrpc":"2.0","id":42,"method":"tools/call"})",
              invalid_params, 42);
  check_error(s,
              R"({"jsonrpc":"2.0","id":42,"method":"tools/call",)"
              R"("params":{"name":5}})",
              invalid_params, 42);
  for (auto args : {R"("x")", "null", "[]", "5"})
    check_error(s, call_line("pact_log", args), invalid_params, 42);
  check_error(s, call_line("nope", "{}"), invalid_params, 42);
  for (auto args : {R"({"limit":"5"})", R"({"limit":0})", R"({"limit":10001})",
                    R"({"limit":-1})", R"({"limit":1.5})", R"({"limit":1e300})",
                    R"({"limit":18446744073709551615})", R"({"limit":null})",
                    R"({"limit":true})", R"({"verify":"yes"})",
                    R"({"scope":5})", R"({"scope":{}})", R"({"other":1})",
                    R"({"since":5})", R"({"until":[]})"})
    check_error(s, call_line("pact_log", args), invalid_params, 42);
  for (auto args : {"{}", R"({"node":""})", R"({"node":7})"})
    check_error(s, call_line("pact_diff", args), invalid_params, 42);
  for (auto args : {R"({"node":[]})", R"({"vcluster":false})"})
    check_error(s, call_line("pact_status", args), invalid_params, 42);
  CHECK(calls == 0);
  auto ok = reply_to(s, call_line("pact_log", R"({"limit":5.0})"));
  CHECK(ok["result"]["isError"] == false);
  CHECK(calls == 1);
}

TEST_CASE("the messages name the problem") {
  int calls = 0;
  auto s = spec_server(&calls);
  auto r = reply_to(s, call_line("pact_log", R"({"limit":"5"})"));
  CHECK(r["error"]["message"]
        == "invalid arguments for pact_log: argument 'limit' must be an "
           "integer (got string)");
  r = reply_to(s, call_line("pact_log", R"({"limit":10001})"));
  CHECK(r["error"]["message"]
        == "invalid arguments for pact_log: argument 'limit' must be at "
           "most 10000");
  r = reply_to(s, call_line("pact_diff", "{}"));
  CHECK(r["error"]["message"]
        == "invalid arguments for pact_diff: missing required argument "
           "'node'");
  r = reply_to(s, R"({"jsonrpc":2.0,"id":1,"method":"ping"})");
  CHECK(r["error"]["message"] == "jsonrpc must be the string \"2.0\"");
  // An echoed method name is clipped.
  r = reply_to(s, R"({"jsonrpc":"2.0","id":1,"method":")"
                    + std::string(10000, 'm') + "\"}");
  CHECK(r["error"]["code"] == method_not_found);
  CHECK(r["error"]["message"].get<std::string>().size() < 200);
}

TEST_CASE("a tool that throws is an internal error without its text") {
  int calls = 0;
  auto s = spec_server(&calls);
  check_error(s, call_line("boom", "{}"), internal_error, 42);
  auto r = reply_to(s, call_line("boom", "{}"));
  CHECK(r["error"]["message"].get<std::string>().find("secret")
        == std::string::npos);
}

TEST_CASE("invalid UTF-8 in a tool's text is replaced, not thrown") {
  int calls = 0;
  auto s = spec_server(&calls);
  auto r = reply_to(s, call_line("bytes", "{}"));
  CHECK(r["result"]["content"][0]["text"]
        == "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
}

TEST_CASE("the argument decoders read what the schemas admit") {
  auto l
    = decode_log_args({{"limit", 5.0}, {"scope", "vc:a"}, {"verify", true}});
  CHECK(l.limit == 5);
  CHECK(l.scope == "vc:a");
  CHECK(l.verify);
  CHECK(decode_log_args(json::object()).limit == 20);
  auto w = decode_log_args({{"since", "2h"}, {"until", "30m"}});
  CHECK(w.since == "2h");
  CHECK(w.until == "30m");
  CHECK(decode_diff_args({{"node", "n1"}}).node == "n1");
  CHECK_FALSE(decode_diff_args({{"node", "n1"}}).committed);
  CHECK(decode_diff_args({{"node", "n1"}, {"committed", true}}).committed);
  auto st = decode_status_args(json::object(), "ml");
  CHECK(st.vcluster == "ml");
  CHECK(decode_status_args({{"vcluster", "x"}}, "ml").vcluster == "x");
}
