// libFuzzer target for pact-mcp's input handling (issue 8 item 5): the
// bytes are stdin; they are split by the bridge's line reader and each line
// goes through the server core (synchronous handle_line) with every real
// tool schema, stub calls and the read tools' argument decoders. Beyond
// "no crash, no sanitizer report", every reply must be well-formed JSON-RPC
// 2.0 with one of the specification's error codes or pact's server_busy.

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "mcp/line_reader.hpp"
#include "mcp/server.hpp"
#include "mcp/tool_specs.hpp"

using namespace pact::mcp;

namespace {

/// Small, so that inputs of libFuzzer's usual sizes reach the over-long
/// path too; the reader's logic does not depend on the bound.
constexpr std::size_t fuzz_line_bytes = 512;

void require(bool ok) {
  if (!ok)
    std::abort();
}

void check_response(const json& r) {
  require(r.is_object());
  require(r.contains("jsonrpc") && r["jsonrpc"] == "2.0");
  require(r.contains("id"));
  const json& id = r["id"];
  require(id.is_null() || id.is_string() || id.is_number_integer());
  require(r.contains("result") != r.contains("error"));
  if (r.contains("error")) {
    const json& e = r["error"];
    require(e.is_object() && e.contains("code") && e.contains("message"));
    require(e["message"].is_string());
    int code = e["code"].get<int>();
    require(code == parse_error || code == invalid_request
            || code == method_not_found || code == invalid_params
            || code == internal_error || code == server_busy);
  }
}

void check_reply(const std::string& line) {
  require(line.find('\n') == std::string::npos);
  json r = json::parse(line, nullptr, false);
  require(!r.is_discarded());
  if (r.is_array()) {
    require(!r.empty());
    for (auto& m : r)
      check_response(m);
    return;
  }
  check_response(r);
}

/// What a failed pact tool returns (tools.cpp "failed"): it must fit
/// every tool's outputSchema, so that stub results reach the client.
tool_result stub_result() {
  return {
    "stub",
    {{"error",
      {{"message", "stub"}, {"exit_code", 1}, {"meaning", "general error"}}}},
    true};
}

std::vector<tool> make_tools() {
  auto tools = tool_specs();
  for (auto& t : tools) {
    // The decoders must accept whatever passed the schema.
    if (t.name == "pact_log")
      t.call = [](const json& a, call_context&) {
        auto d = decode_log_args(a);
        require(d.limit >= 1 && d.limit <= 10000);
        return stub_result();
      };
    else if (t.name == "pact_diff")
      t.call = [](const json& a, call_context&) {
        require(!decode_diff_args(a).node.empty());
        return stub_result();
      };
    else if (t.name == "pact_status")
      t.call = [](const json& a, call_context&) {
        decode_status_args(a, "default");
        return stub_result();
      };
    else
      t.call = [](const json&, call_context& ctx) {
        require(!ctx.can_elicit() && !ctx.elicit("?", json::object()));
        return stub_result();
      };
  }
  return tools;
}

server make_server() {
  // Built once: the specs are large and every input gets a fresh server.
  static const std::vector<tool> tools = make_tools();
  return server{"pact-mcp", "fuzz", tools};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::istringstream in{std::string(reinterpret_cast<const char*>(data), size)};
  line_reader reader{in, fuzz_line_bytes};
  auto s = make_server();
  std::string line;
  for (;;) {
    auto st = reader.next(line);
    if (st == line_reader::status::end)
      break;
    if (st == line_reader::status::too_long) {
      check_reply(server::oversized_reply());
      continue;
    }
    require(line.size() <= fuzz_line_bytes);
    if (auto out = s.handle_line(line))
      check_reply(*out);
  }
  return 0;
}
