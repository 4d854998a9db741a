#pragma once

/// The MCP server core: JSON-RPC 2.0 message handling for the Model Context
/// Protocol (initialize, ping, tools/list, tools/call). Transport-free and
/// CAF-free so that it is unit-tested and fuzzed directly (tests/fuzz);
/// main.cpp wires it to stdio (one JSON message per line, read by
/// line_reader) and tools.cpp supplies the tools.
///
/// Every input gets the answer JSON-RPC 2.0 §5.1 gives it, never an
/// exception: -32700 for text that is not JSON (or nests deeper than
/// max_nesting), -32600 for a message that is not a valid request (wrong
/// `jsonrpc`, `method` not a string, an id that is not a string or an
/// integer, scalar `params`, a notification method sent with an id, a batch
/// where the session has none, the id of a call still running), -32601 for
/// an unknown method, -32602 for parameters or tool arguments that do not
/// fit (tool arguments are checked against the tool's inputSchema before
/// the tool runs, at every protocol version), -32603 when a tool throws or
/// returns structured content that does not fit its outputSchema, -32000
/// (server_busy) when max_calls_in_flight calls are running. The reply
/// carries the request's id when it is a valid id, else null.
///
/// Threads: the caller's one thread feeds receive_line(); each tools/call
/// then runs on a thread of its own, and replies go out through the sink
/// as calls finish. A call cancelled by the client (notifications/
/// cancelled) gets no reply (MCP basic/utilities/cancellation: the
/// receiver SHOULD NOT respond). The only requests the server sends are
/// elicitation/create (call_context::elicit); the client's responses to
/// them are routed to the waiting call, any other response is ignored.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pact::mcp {

using json = nlohmann::json;

/// Outcome of one tool call: MCP "content" text plus optional structured
/// content; `is_error` marks a tool-level failure (not a protocol error).
struct tool_result {
  std::string text;
  json structured;
  bool is_error = false;
};

/// MCP tool annotations (2025-03-26 on, "ToolAnnotations"): hints for the
/// client, never trusted for security. readOnlyHint: changes nothing;
/// destructiveHint: may undo or overwrite something (meaningful only when
/// not read-only); idempotentHint: calling it again with the same
/// arguments has no further effect; openWorldHint: reaches outside pact
/// (the lattice scheduler).
struct tool_annotations {
  bool read_only = true;
  bool destructive = false;
  bool idempotent = true;
  bool open_world = false;
};

/// What a running tool call may ask of its session. The server gives one
/// to every call; it lives until the call returns. Thread-safe: calls run
/// on their own threads.
class call_context {
public:
  virtual ~call_context() = default;

  /// True once the client cancelled this call (notifications/cancelled)
  /// or the session ended (EOF on stdin). A tool checks it before each
  /// step that writes, and stops: its reply is not sent anyway.
  virtual bool cancelled() const = 0;

  /// Whether elicit() can ask the human: the session is at 2025-06-18 or
  /// later and the client declared the `elicitation` capability (form
  /// mode).
  virtual bool can_elicit() const = 0;

  /// Asks the human through the client (MCP "elicitation/create", form
  /// mode): `message` says what is asked, `requested_schema` is a flat
  /// object schema of primitive properties. Blocks until the client
  /// answers, the call is cancelled or the session ends. Returns the
  /// client's result ({"action": "accept"|"decline"|"cancel", "content":
  /// {...}}), or nothing when it could not ask (no capability, cancelled,
  /// session ended, an error response).
  virtual std::optional<json>
  elicit(const std::string& message, const json& requested_schema) = 0;
};

struct tool {
  std::string name;
  std::string title;
  std::string description;
  /// JSON Schema of the arguments object (the subset schema.hpp checks).
  json input_schema;
  /// JSON Schema of structuredContent (type object at the top); every
  /// result, failures included, fits it. Sent from 2025-06-18 on.
  json output_schema;
  tool_annotations annotations;
  /// Runs with arguments that passed input_schema.
  std::function<tool_result(const json& arguments, call_context& ctx)> call;
};

/// Protocol versions this server speaks, newest first.
const std::vector<std::string>& supported_protocol_versions();

/// The one protocol version with JSON-RPC batches (MCP 2025-03-26, "JSON-RPC
/// Batching"; added in that revision and removed in 2025-06-18).
inline constexpr const char* batch_protocol_version = "2025-03-26";

/// Largest message (one line, without its newline) the bridge reads: the
/// gateway's bound (runtime/policy/request_auth.hpp max_request_bytes).
inline constexpr std::size_t max_message_bytes = 4 * 1024 * 1024;

/// Deepest nesting of arrays/objects accepted in one message (a message at
/// top level is depth 1). Bounds the recursion of copying and printing JSON.
inline constexpr int max_nesting = 64;

/// Most messages in one batch; a larger batch is refused as a whole.
inline constexpr std::size_t max_batch_size = 1000;

/// Most tool calls running at once in one session; one more is answered
/// with server_busy (the client may retry when one finishes).
inline constexpr std::size_t max_calls_in_flight = 32;

/// How long a call waits for the human's answer to an elicitation before
/// it counts as unanswered (the tool then does nothing).
inline constexpr std::chrono::minutes elicit_timeout{10};

/// tools/list page size when PACT_MCP_PAGE_SIZE is not set: every tool on
/// one page, since some clients never ask for a second page (docs/mcp.md).
inline constexpr std::size_t default_page_size = 100;

class server {
public:
  /// Writes one serialized message (without its newline) to the client;
  /// called from several threads, so it must serialize whole lines.
  using sink = std::function<void(const std::string& line)>;

  server(std::string name, std::string version, std::vector<tool> tools,
         std::size_t page_size = default_page_size);
  ~server();

  // --- asynchronous use (pact-mcp's stdio loop) -------------------------

  /// Starts serving: from now on receive_line() runs each tools/call (and
  /// each batch holding one) on its own thread and writes every reply,
  /// and every request of ours (elicitation/create), to `out`.
  void start(sink out);

  /// Handles one input line: replies due at once (errors, initialize,
  /// ping, tools/list) are written before it returns; a tool call's reply
  /// when the call finishes, unless the client cancelled it. Responses of
  /// the client to our requests are routed to the call waiting for them.
  void receive_line(const std::string& line);

  /// A line longer than max_message_bytes, which the reader discarded.
  void receive_oversized();

  /// Input ended (EOF): calls keep running and their replies are still
  /// written (a client may close its end after its last request, as a
  /// shell pipe does), but no elicitation can be answered any more: those
  /// waiting, and any asked later, get nothing (the tool declines).
  void end_of_input();

  /// End of the session: cancels every call in flight, fails pending
  /// elicitations, and waits up to `grace` for the calls to return
  /// (their replies are not sent). True when all returned in time.
  bool shutdown(std::chrono::milliseconds grace);

  /// Waits up to `timeout` until no tool call (or batch) runs, without
  /// ending the session; true when none runs. For tests and benchmarks.
  bool wait_idle(std::chrono::milliseconds timeout);

  // --- synchronous use (unit tests, fuzzer) -----------------------------

  /// Handles one parsed JSON-RPC message or batch and returns the
  /// response (an array for a batch), or nothing when no answer is due
  /// (notifications, client responses, a batch of only those). Tool calls
  /// run inline; they cannot elicit.
  std::optional<json> handle(const json& message);

  /// handle() on one line of input (UTF-8 JSON); the serialized reply.
  std::optional<std::string> handle_line(const std::string& line);

  /// The serialized reply to a line longer than max_message_bytes.
  static std::string oversized_reply();

  bool initialized() const;

  /// The version agreed by the last initialize; empty before it.
  std::string protocol_version() const;

  /// Where bugs found while serving are reported (a tool result that does
  /// not fit its outputSchema, an exception escaping a call's thread):
  /// stderr by default; pact-mcp sets spdlog. Set it before start().
  void set_error_log(std::function<void(const std::string& text)> log);

private:
  struct state;
  std::unique_ptr<state> st_;
};

/// Serializes a reply; invalid UTF-8 (from a tool's text) becomes U+FFFD
/// instead of throwing.
std::string to_line(const json& reply);

/// JSON-RPC error codes (JSON-RPC 2.0 §5.1).
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
/// Implementation-defined server error (JSON-RPC 2.0 reserves -32000 to
/// -32099): max_calls_in_flight calls are running already.
inline constexpr int server_busy = -32000;

} // namespace pact::mcp
