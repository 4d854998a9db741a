#pragma once

// Test doubles for the asynchronous server: a sink that keeps every message
// the server writes, and a gate that tool calls block on. Waits are bounded
// (a broken server fails the test instead of hanging it) but generous, so
// that a slow machine is not a failure: nothing here sleeps to let time
// pass.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "mcp/server.hpp"

namespace pact::mcp::test {

inline constexpr std::chrono::seconds patience{10};

/// Opens once; waiters block until then (or their patience runs out).
class gate {
public:
  void open() {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = true;
    cv_.notify_all();
  }

  bool wait(std::chrono::milliseconds timeout = patience) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return open_; });
  }

  bool is_open() const {
    std::lock_guard<std::mutex> lk(mu_);
    return open_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Collects what the server writes, parsed. Declare it before the server
/// so that it outlives the server.
class capture {
public:
  /// Runs (on the writing thread) for every message, after it is kept.
  std::function<void(const json&)> on_message;

  server::sink sink() {
    return [this](const std::string& line) {
      json msg = json::parse(line);
      {
        std::lock_guard<std::mutex> lk(mu_);
        messages_.push_back(msg);
        cv_.notify_all();
      }
      if (on_message)
        on_message(msg);
    };
  }

  /// The first message that `match` accepts, waiting for it; null when
  /// none came in time.
  json wait_for(const std::function<bool(const json&)>& match) {
    std::unique_lock<std::mutex> lk(mu_);
    json found;
    cv_.wait_for(lk, patience, [&] {
      for (auto& m : messages_)
        if (match(m)) {
          found = m;
          return true;
        }
      return false;
    });
    return found;
  }

  /// The response (result or error) to our request `id`.
  json reply(const json& id) {
    return wait_for([&](const json& m) {
      return m.is_object() && m.contains("id") && m["id"] == id
             && !m.contains("method");
    });
  }

  /// The first request or notification the server sent with `method`.
  json sent(const std::string& method) {
    return wait_for([&](const json& m) {
      return m.is_object() && m.value("method", "") == method;
    });
  }

  /// Whether a response to `id` was written (without waiting).
  bool has_reply(const json& id) const {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& m : messages_)
      if (m.is_object() && m.contains("id") && m["id"] == id
          && !m.contains("method"))
        return true;
    return false;
  }

  std::vector<json> messages() const {
    std::lock_guard<std::mutex> lk(mu_);
    return messages_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> messages_;
};

inline std::string request_line(const json& id, const std::string& method,
                                json params = json::object()) {
  return json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", method},
              {"params", std::move(params)}}
    .dump();
}

inline std::string call_line(const json& id, const std::string& tool_name,
                             json args = json::object()) {
  return request_line(id, "tools/call",
                      {{"name", tool_name}, {"arguments", std::move(args)}});
}

inline std::string cancel_line(const json& request_id) {
  return json{{"jsonrpc", "2.0"},
              {"method", "notifications/cancelled"},
              {"params", {{"requestId", request_id}, {"reason", "test"}}}}
    .dump();
}

/// initialize at `version` through receive_line, with `capabilities`.
inline void open_session(server& s, capture& out, const std::string& version,
                         json capabilities = json::object()) {
  s.receive_line(request_line("init", "initialize",
                              {{"protocolVersion", version},
                               {"capabilities", std::move(capabilities)}}));
  out.reply("init");
}

} // namespace pact::mcp::test
