#include "mcp/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "mcp/rpc.hpp"
#include "mcp/schema.hpp"

namespace pact::mcp {

namespace {

using namespace rpc;

/// The batch job the current thread runs (0: none); see context::batch.
thread_local std::uint64_t running_batch = 0;

/// How a tools/call runs.
enum class exec {
  inline_call, ///< here and now: handle(), or inside a batch's job
  spawn,       ///< on a thread of its own (receive_line)
  busy,        ///< not at all: answered server_busy (a batch, no slot free)
};

/// What a call needs to know of its session, fixed when it is accepted
/// (a later initialize does not change a running call).
struct session {
  std::string version; ///< never empty: the newest before initialize
  bool elicit = false; ///< the client takes form-mode elicitations
};

struct core;

/// One elicitation/create of ours awaiting the client's response.
struct elicit_wait {
  std::condition_variable cv;
  bool done = false;
  std::optional<json> answer;
};

class context final : public call_context {
public:
  context(core& c, bool can_elicit, bool form_mode)
    : c_(c), can_elicit_(can_elicit), form_mode_(form_mode) {
  }

  bool cancelled() const override {
    return cancelled_;
  }

  bool can_elicit() const override {
    return can_elicit_;
  }

  std::optional<json> elicit(const std::string& message,
                             const json& requested_schema) override;

  /// Marks the call cancelled and wakes its elicitation; core::mu held.
  void cancel() {
    cancelled_ = true;
    if (waiting_)
      waiting_->cv.notify_all();
  }

private:
  core& c_;
  const bool can_elicit_;
  const bool form_mode_;
  std::atomic<bool> cancelled_{false};
  elicit_wait* waiting_ = nullptr; ///< guarded by core::mu

public:
  /// The batch job this context was reserved for before it started (0:
  /// none), so that a cancel arriving before the job reaches the call
  /// still finds it. Set before the context is shared.
  std::uint64_t batch = 0;
};

/// The server's state, shared with the threads of running calls: a thread
/// still running when the server is destroyed keeps it alive, and finds
/// the output closed.
struct core : std::enable_shared_from_this<core> {
  core(std::string n, std::string v, std::vector<tool> t, std::size_t page)
    : name(std::move(n)), version(std::move(v)), tools(std::move(t)),
      page_size(page == 0 ? 1 : page) {
  }

  // Fixed at construction.
  const std::string name;
  const std::string version;
  const std::vector<tool> tools;
  const std::size_t page_size;
  std::function<void(const std::string&)> log_error = [](auto& text) {
    std::fprintf(stderr, "pact-mcp: error: %s\n", text.c_str());
  };

  // Guarded by mu.
  mutable std::mutex mu;
  std::condition_variable idle; ///< jobs fell (to zero)
  std::string protocol;         ///< agreed by initialize; "" before
  bool client_elicits = false;
  bool closing = false;
  /// stdin ended: nobody will answer an elicitation any more.
  bool input_ended = false;
  std::size_t jobs = 0;  ///< threads of calls (or batches) alive
  std::size_t slots = 0; ///< of max_calls_in_flight, taken until the reply
  std::map<std::string, std::shared_ptr<context>> in_flight;
  std::map<std::string, elicit_wait*> waits;
  std::uint64_t elicit_count = 0;
  std::uint64_t batch_count = 0;

  // Guarded by out_mu: sending, and its end at shutdown.
  std::mutex out_mu;
  bool out_closed = false;
  server::sink out;

  void emit(const json& msg) {
    auto line = to_line(msg);
    std::lock_guard<std::mutex> lk(out_mu);
    if (!out_closed && out)
      out(line);
  }

  session current() const {
    std::lock_guard<std::mutex> lk(mu);
    return {protocol.empty() ? newest_version : protocol, client_elicits};
  }

  json initialize(const json& id, const json& params);
  json list_tools(const json& id, const json& params) const;
  const tool* accept_call(const json& id, const json& params, json& args,
                          json& error) const;
  std::optional<json> call_tool(const json& id, const json& params, exec how);
  /// A job's thread is done: its slot was freed before its reply; mu held.
  void job_ended() {
    if (--jobs == 0)
      idle.notify_all();
  }
  json run_call(const tool& t, const json& args, const json& id, context& ctx,
                const std::string& version);
  void spawn_call(const tool& t, json args, json id,
                  std::shared_ptr<context> ctx, std::string version);
  std::optional<json> dispatch(const std::string& method, const json& id,
                               const json& params, exec how);
  std::optional<json> handle_one(const json& msg, bool in_batch, exec how);
  std::optional<json> check_batch(const json& batch) const;
  std::optional<json> run_batch(const json& batch, exec how);
  void receive_batch(const json& batch);
  void cancel_request(const json& params);
  void route_response(const json& msg);
  void close();
  /// Forgets a finished call, unless its id is a newer call's by now;
  /// mu held.
  void forget(const std::string& key, const context* ctx) {
    auto it = in_flight.find(key);
    if (it != in_flight.end() && it->second.get() == ctx)
      in_flight.erase(it);
  }
  /// A line parsed, or the error reply for one that is not a message.
  std::optional<json> parse_line(const std::string& line, json& msg) const;
};

std::optional<json> context::elicit(const std::string& message,
                                    const json& requested_schema) {
  if (!can_elicit_)
    return std::nullopt;
  elicit_wait w;
  std::string id;
  {
    std::lock_guard<std::mutex> lk(c_.mu);
    if (cancelled_ || c_.closing || c_.input_ended)
      return std::nullopt;
    id = "pact-elicit-" + std::to_string(++c_.elicit_count);
    c_.waits[id] = &w;
    waiting_ = &w;
  }
  json params{{"message", message}, {"requestedSchema", requested_schema}};
  if (form_mode_)
    params["mode"] = "form";
  c_.emit({{"jsonrpc", "2.0"},
           {"id", id},
           {"method", "elicitation/create"},
           {"params", std::move(params)}});
  std::unique_lock<std::mutex> lk(c_.mu);
  // A client that never answers must not hold the call (and its slot)
  // for ever: after elicit_timeout the question counts as unanswered.
  w.cv.wait_for(lk, elicit_timeout,
                [&] { return w.done || cancelled_ || c_.input_ended; });
  c_.waits.erase(id);
  waiting_ = nullptr;
  if (w.done)
    return w.answer;
  lk.unlock();
  // The client may still be showing the form: tell it we gave up (the
  // output is closed already when the session ended).
  c_.emit({{"jsonrpc", "2.0"},
           {"method", "notifications/cancelled"},
           {"params",
            {{"requestId", id}, {"reason", "the tool call was cancelled"}}}});
  return std::nullopt;
}

json core::initialize(const json& id, const json& params) {
  if (auto bad = check_initialize(params))
    return error_reply(id, invalid_params, *bad);
  // Answer with the client's version when we speak it, else our newest
  // (MCP lifecycle: version negotiation).
  auto& versions = supported_protocol_versions();
  const auto& asked = params["protocolVersion"].get_ref<const std::string&>();
  std::string chosen = versions.front();
  for (auto& v : versions)
    if (v == asked)
      chosen = asked;
  {
    std::lock_guard<std::mutex> lk(mu);
    // MCP lifecycle: initialization is the session's first exchange, once;
    // a second one would change the version and the client's capabilities
    // under calls already running.
    if (!protocol.empty())
      return error_reply(id, invalid_request,
                         "the session is initialized already (protocol "
                           + protocol + "); initialize once per session");
    protocol = chosen;
    client_elicits = elicits_forms(params, chosen);
  }
  return result_reply(
    id, {{"protocolVersion", chosen},
         {"capabilities", {{"tools", {{"listChanged", false}}}}},
         {"serverInfo", {{"name", name}, {"version", version}}},
         {"instructions",
          "pact: configuration management and admin operations for HPC "
          "clusters. Every call is authenticated and recorded in the "
          "journal."}});
}

json core::list_tools(const json& id, const json& params) const {
  if (params.contains("cursor") && !params["cursor"].is_string())
    return error_reply(id, invalid_params, "params.cursor must be a string");
  std::size_t offset = 0;
  if (params.contains("cursor")) {
    auto at = page_offset(params["cursor"].get<std::string>(), page_size,
                          tools.size());
    if (!at)
      return error_reply(id, invalid_params, "invalid cursor");
    offset = *at;
  }
  auto v = current().version;
  json list = json::array();
  std::size_t end = std::min(tools.size(), offset + page_size);
  for (std::size_t i = offset; i < end; ++i)
    list.push_back(describe(tools[i], v));
  json result{{"tools", std::move(list)}};
  if (end < tools.size())
    result["nextCursor"] = "p:" + std::to_string(end);
  return result_reply(id, std::move(result));
}

json core::run_call(const tool& t, const json& args, const json& id,
                    context& ctx, const std::string& v) {
  tool_result r;
  try {
    r = t.call(args, ctx);
  } catch (...) {
    // The library's own text stays inside; the client learns which tool.
    return error_reply(id, internal_error,
                       "tool " + t.name + " failed unexpectedly");
  }
  bool has_output = t.output_schema.is_object() && !t.output_schema.empty();
  if (has_output && !r.structured.is_null())
    if (auto bad = output_violation(t.output_schema, r.structured)) {
      // A bug of ours: the operator sees why, the client which tool.
      log_error("tool " + t.name
                + " returned a result that does not fit its "
                  "outputSchema: "
                + *bad);
      return error_reply(id, internal_error,
                         "tool " + t.name
                           + " returned a result that does "
                             "not fit its outputSchema");
    }
  json result{{"content", json::array({{{"type", "text"}, {"text", r.text}}})},
              {"isError", r.is_error}};
  if (!r.structured.is_null() && at_least(v, structured_version))
    result["structuredContent"] = std::move(r.structured);
  return result_reply(id, std::move(result));
}

void core::spawn_call(const tool& t, json args, json id,
                      std::shared_ptr<context> ctx, std::string v) {
  auto self = shared_from_this();
  std::thread([self, &t, args = std::move(args), id = std::move(id),
               ctx = std::move(ctx), v = std::move(v)] {
    auto key = id_key(id);
    bool freed = false;
    try {
      auto reply = self->run_call(t, args, id, *ctx, v);
      // The id and the slot are free before the client sees the reply,
      // so that it may reuse the id, or retry after busy, at once.
      bool send;
      {
        std::lock_guard<std::mutex> lk(self->mu);
        self->forget(key, ctx.get());
        --self->slots;
        freed = true;
        send = !ctx->cancelled();
      }
      if (send)
        self->emit(reply);
    } catch (...) {
      // Escaping here would end the process (std::terminate).
      self->log_error("a tool call's thread failed unexpectedly");
    }
    std::lock_guard<std::mutex> lk(self->mu);
    if (!freed) {
      self->forget(key, ctx.get());
      --self->slots;
    }
    self->job_ended();
  }).detach();
}

/// The tool a tools/call names, with `args` that fit its inputSchema;
/// nothing, with `error` the reply, when the request does not fit.
const tool* core::accept_call(const json& id, const json& params, json& args,
                              json& error) const {
  if (!params.contains("name") || !params["name"].is_string()) {
    error = error_reply(id, invalid_params,
                        "tools/call needs params.name, a string");
    return nullptr;
  }
  const auto& tool_name = params["name"].get_ref<const std::string&>();
  args = params.contains("arguments") ? params["arguments"] : json::object();
  if (!args.is_object()) {
    error = error_reply(id, invalid_params,
                        "params.arguments must be an object");
    return nullptr;
  }
  for (auto& t : tools) {
    if (t.name != tool_name)
      continue;
    // -32602 at every version: 2025-11-25 would rather see a tool error
    // (isError), but pact's clients rely on the protocol error
    // (docs/mcp.md, "Errors").
    if (auto bad = schema_violation(t.input_schema, args)) {
      error = error_reply(id, invalid_params,
                          "invalid arguments for " + tool_name + ": " + *bad);
      return nullptr;
    }
    return &t;
  }
  error = error_reply(id, invalid_params, "unknown tool: " + clip(tool_name));
  return nullptr;
}

std::optional<json> core::call_tool(const json& id, const json& params,
                                    exec how) {
  json args;
  json error;
  const tool* t = accept_call(id, params, args, error);
  if (!t)
    return error;
  auto busy = error_reply(id, server_busy,
                          "busy: " + std::to_string(max_calls_in_flight)
                            + " tool calls are running; retry when one "
                              "finishes");
  if (how == exec::busy)
    return busy;
  auto s = current();
  bool spawn = how == exec::spawn;
  auto ctx = std::make_shared<context>(
    *this, spawn && s.elicit && at_least(s.version, structured_version),
    at_least(s.version, elicit_mode_version));
  auto key = id_key(id);
  {
    std::lock_guard<std::mutex> lk(mu);
    auto it = in_flight.find(key);
    if (it != in_flight.end()) {
      bool reserved = !spawn && it->second->batch != 0
                      && it->second->batch == running_batch;
      if (!reserved)
        return error_reply(id, invalid_request,
                           "request id " + clip(key)
                             + " is in use by a call still running");
      // Ours: reserved when the batch arrived, maybe cancelled since.
      ctx = it->second;
      if (ctx->cancelled()) {
        in_flight.erase(it);
        return std::nullopt;
      }
    }
    if (spawn && slots >= max_calls_in_flight)
      return busy;
    if (closing)
      ctx->cancel();
    in_flight[key] = ctx;
    if (spawn) {
      ++slots;
      ++jobs;
    }
  }
  if (spawn) {
    spawn_call(*t, std::move(args), id, std::move(ctx), s.version);
    return std::nullopt;
  }
  auto reply = run_call(*t, args, id, *ctx, s.version);
  std::lock_guard<std::mutex> lk(mu);
  forget(key, ctx.get());
  if (ctx->cancelled())
    return std::nullopt;
  return reply;
}

std::optional<json> core::dispatch(const std::string& method, const json& id,
                                   const json& params, exec how) {
  bool known = method == "initialize" || method == "ping"
               || method == "tools/list" || method == "tools/call";
  if (!known)
    return error_reply(id, method_not_found,
                       "method not found: " + clip(method));
  // MCP passes parameters by name; an array (positional) does not fit.
  if (!params.is_object())
    return error_reply(id, invalid_params, "params must be an object");
  if (method == "initialize")
    return initialize(id, params);
  if (method == "ping")
    return result_reply(id, json::object());
  if (method == "tools/list")
    return list_tools(id, params);
  return call_tool(id, params, how);
}

void core::cancel_request(const json& params) {
  // MCP basic/utilities/cancellation: unknown or finished requests are
  // ignored; initialize is never in flight, so it cannot be cancelled.
  if (!params.is_object() || !params.contains("requestId")
      || !valid_id(params["requestId"]))
    return;
  std::lock_guard<std::mutex> lk(mu);
  auto it = in_flight.find(id_key(params["requestId"]));
  if (it != in_flight.end())
    it->second->cancel();
}

void core::route_response(const json& msg) {
  if (!msg.contains("id") || !msg["id"].is_string())
    return;
  std::lock_guard<std::mutex> lk(mu);
  auto it = waits.find(msg["id"].get<std::string>());
  if (it == waits.end())
    return; // not ours, or answered already
  elicit_wait& w = *it->second;
  // Only a well-formed JSON-RPC 2.0 result counts: the answer may
  // authorize a destructive write, so anything less is a failed answer.
  bool ok = msg.contains("jsonrpc") && msg["jsonrpc"] == "2.0"
            && !msg.contains("error") && msg.contains("result")
            && msg["result"].is_object();
  if (ok)
    w.answer = msg["result"];
  w.done = true;
  waits.erase(it);
  w.cv.notify_all();
}

std::optional<json> core::handle_one(const json& msg, bool in_batch, exec how) {
  if (!msg.is_object())
    return error_reply(nullptr, invalid_request,
                       "a JSON-RPC message must be an object");
  if (is_response(msg)) {
    route_response(msg);
    return std::nullopt;
  }
  bool has_id = msg.contains("id");
  json id = has_id && valid_id(msg["id"]) ? msg["id"] : json();
  if (!msg.contains("jsonrpc") || msg["jsonrpc"] != "2.0")
    return error_reply(id, invalid_request,
                       "jsonrpc must be the string \"2.0\"");
  if (!msg.contains("method") || !msg["method"].is_string())
    return error_reply(id, invalid_request, "method must be a string");
  if (has_id && !valid_id(msg["id"]))
    return error_reply(id, invalid_request,
                       "id must be a string or an integer");
  const json empty = json::object();
  const json& params = msg.contains("params") ? msg["params"] : empty;
  // JSON-RPC 2.0 §4.2: params, when present, is an object or an array.
  if (!params.is_structured())
    return error_reply(id, invalid_request,
                       "params must be an object or an array");
  const auto& method = msg["method"].get_ref<const std::string&>();
  if (!has_id) {
    // A notification (e.g. notifications/initialized): never answered.
    if (method == "notifications/cancelled")
      cancel_request(params);
    return std::nullopt;
  }
  if (is_notification_method(method))
    return error_reply(id, invalid_request,
                       clip(method) + " is a notification; it has no id");
  // MCP 2025-03-26 (lifecycle): "The initialize request MUST NOT be part
  // of a JSON-RPC batch".
  if (in_batch && method == "initialize")
    return error_reply(id, invalid_request,
                       "initialize must not be part of a batch");
  return dispatch(method, id, params, how);
}

std::optional<json> core::check_batch(const json& batch) const {
  auto agreed = [this] {
    std::lock_guard<std::mutex> lk(mu);
    return protocol;
  }();
  if (agreed != batch_protocol_version)
    return error_reply(
      nullptr, invalid_request,
      agreed.empty()
        ? std::string("a batch needs a session initialized with protocol ")
            + batch_protocol_version
        : "protocol " + agreed + " has no batches (only "
            + batch_protocol_version + " does)");
  // JSON-RPC 2.0 §6: an empty array is an invalid request (one reply).
  if (batch.empty())
    return error_reply(nullptr, invalid_request, "empty batch");
  if (batch.size() > max_batch_size)
    return error_reply(nullptr, invalid_request,
                       "a batch holds at most " + std::to_string(max_batch_size)
                         + " messages");
  return std::nullopt;
}

std::optional<json> core::run_batch(const json& batch, exec how) {
  json replies = json::array();
  for (auto& m : batch)
    if (auto r = handle_one(m, true, how))
      replies.push_back(std::move(*r));
  // §6: a batch of notifications (and responses) gets no reply at all.
  if (replies.empty())
    return std::nullopt;
  return replies;
}

/// A batch holding a tools/call runs as one job on its own thread (its
/// calls one after another, without elicitation); its array is sent when
/// all of it is done. Other batches are answered at once.
void core::receive_batch(const json& batch) {
  if (auto bad = check_batch(batch)) {
    emit(*bad);
    return;
  }
  auto is_call = [](const json& m) {
    return m.is_object() && m.contains("method") && m["method"] == "tools/call";
  };
  bool has_call = std::any_of(batch.begin(), batch.end(), is_call);
  std::uint64_t token = 0;
  std::vector<std::pair<std::string, std::shared_ptr<context>>> reserved;
  if (has_call) {
    std::lock_guard<std::mutex> lk(mu);
    if (slots < max_calls_in_flight) {
      ++slots;
      ++jobs;
      token = ++batch_count;
      // Reserve the calls' ids now: the client may cancel one before the
      // job reaches it.
      for (auto& m : batch) {
        if (!is_call(m) || !m.contains("id") || !valid_id(m["id"]))
          continue;
        auto key = id_key(m["id"]);
        if (in_flight.count(key))
          continue;
        auto ctx = std::make_shared<context>(*this, false, false);
        ctx->batch = token;
        if (closing)
          ctx->cancel();
        in_flight[key] = ctx;
        reserved.emplace_back(key, std::move(ctx));
      }
    }
  }
  if (token == 0) {
    if (auto r = run_batch(batch, has_call ? exec::busy : exec::inline_call))
      emit(*r);
    return;
  }
  auto self = shared_from_this();
  std::thread([self, batch, token, reserved = std::move(reserved)] {
    running_batch = token;
    std::optional<json> replies;
    try {
      replies = self->run_batch(batch, exec::inline_call);
    } catch (...) {
      self->log_error("a batch's thread failed unexpectedly");
    }
    running_batch = 0;
    {
      std::lock_guard<std::mutex> lk(self->mu);
      for (auto& [key, ctx] : reserved)
        self->forget(key, ctx.get());
      --self->slots;
    }
    try {
      if (replies)
        self->emit(*replies);
    } catch (...) {
      self->log_error("a batch's reply could not be written");
    }
    std::lock_guard<std::mutex> lk(self->mu);
    self->job_ended();
  }).detach();
}

void core::close() {
  // The output first: woken elicitations must not write to a client that
  // has gone (stdin ended; stdout may be a closed pipe).
  {
    std::lock_guard<std::mutex> lk(out_mu);
    out_closed = true;
  }
  std::lock_guard<std::mutex> lk(mu);
  closing = true;
  for (auto& [key, ctx] : in_flight)
    ctx->cancel();
}

std::optional<json> core::parse_line(const std::string& line, json& msg) const {
  // nlohmann stops at a NUL byte as at the end of input; JSON text never
  // holds a raw one, so the line is not JSON.
  if (line.find('\0') != std::string::npos)
    return error_reply(nullptr, parse_error,
                       "parse error: NUL byte in message");
  bool too_deep = false;
  msg = parse_bounded(line, too_deep);
  auto depth_text = "nested deeper than " + std::to_string(max_nesting)
                    + " levels";
  if (msg.is_discarded())
    return error_reply(nullptr, parse_error,
                       too_deep ? "parse error: " + depth_text
                                : "parse error: invalid JSON");
  if (too_deep) {
    json id = msg.is_object() && msg.contains("id") && valid_id(msg["id"])
                ? msg["id"]
                : json();
    return error_reply(id, invalid_request, "message " + depth_text);
  }
  return std::nullopt;
}

json oversized_error() {
  return error_reply(nullptr, invalid_request,
                     "message longer than " + std::to_string(max_message_bytes)
                       + " bytes (4 MiB); it was discarded");
}

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

} // namespace

struct server::state {
  std::shared_ptr<core> c;
};

const std::vector<std::string>& supported_protocol_versions() {
  static const std::vector<std::string> versions{newest_version, "2025-06-18",
                                                 "2025-03-26", "2024-11-05"};
  return versions;
}

std::string to_line(const json& reply) {
  return reply.dump(-1, ' ', false, json::error_handler_t::replace);
}

server::server(std::string name, std::string version, std::vector<tool> tools,
               std::size_t page_size)
  : st_(std::make_unique<state>()) {
  st_->c = std::make_shared<core>(std::move(name), std::move(version),
                                  std::move(tools), page_size);
}

server::~server() {
  // Calls still running keep the core alive and find the output closed;
  // nothing here waits for them.
  st_->c->close();
}

void server::start(sink out) {
  std::lock_guard<std::mutex> lk(st_->c->out_mu);
  st_->c->out = std::move(out);
}

void server::receive_line(const std::string& line) {
  auto& c = *st_->c;
  if (blank(line))
    return;
  json msg;
  if (auto bad = c.parse_line(line, msg)) {
    c.emit(*bad);
    return;
  }
  if (msg.is_array()) {
    c.receive_batch(msg);
    return;
  }
  if (auto reply = c.handle_one(msg, false, exec::spawn))
    c.emit(*reply);
}

void server::receive_oversized() {
  st_->c->emit(oversized_error());
}

void server::end_of_input() {
  auto& c = *st_->c;
  std::lock_guard<std::mutex> lk(c.mu);
  c.input_ended = true;
  for (auto& [id, w] : c.waits)
    w->cv.notify_all();
}

bool server::shutdown(std::chrono::milliseconds grace) {
  st_->c->close();
  return wait_idle(grace);
}

bool server::wait_idle(std::chrono::milliseconds timeout) {
  auto& c = *st_->c;
  std::unique_lock<std::mutex> lk(c.mu);
  return c.idle.wait_for(lk, timeout, [&] { return c.jobs == 0; });
}

std::optional<json> server::handle(const json& message) {
  auto& c = *st_->c;
  if (message.is_array()) {
    if (auto bad = c.check_batch(message))
      return bad;
    return c.run_batch(message, exec::inline_call);
  }
  return c.handle_one(message, false, exec::inline_call);
}

std::optional<std::string> server::handle_line(const std::string& line) {
  if (blank(line))
    return std::nullopt;
  json msg;
  if (auto bad = st_->c->parse_line(line, msg))
    return to_line(*bad);
  auto reply = handle(msg);
  if (!reply)
    return std::nullopt;
  return to_line(*reply);
}

std::string server::oversized_reply() {
  return to_line(oversized_error());
}

bool server::initialized() const {
  std::lock_guard<std::mutex> lk(st_->c->mu);
  return !st_->c->protocol.empty();
}

std::string server::protocol_version() const {
  std::lock_guard<std::mutex> lk(st_->c->mu);
  return st_->c->protocol;
}

void server::set_error_log(std::function<void(const std::string&)> log) {
  if (log)
    st_->c->log_error = std::move(log);
}

} // namespace pact::mcp
