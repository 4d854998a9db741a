#pragma once

/// The remote client used by the `pact` CLI and `pact-mcp`: connects to a
/// journal gateway or an agent API through CAF's middleman and exchanges
/// protobuf envelopes (protocol/api.proto).
///
/// Several endpoints may be given (`PACT_ENDPOINT=http://j1:9443,...`): a
/// call starts at the endpoint that answered last and moves to the next one
/// when an endpoint cannot be reached, drops the connection, or answers
/// with a retryable reason (no leader yet, replica restarting, outcome
/// unknown: protocol/errors.hpp). Writes carry a client request id that the
/// journal deduplicates, so sending one again is safe. Every call is bounded
/// by one deadline covering every attempt; an unreachable or silent server
/// is an error with exit code 5 naming the endpoint, never a hang, and no
/// CAF error text reaches the caller.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/middleman_actor.hpp>

#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

struct options {
  options() = default;
  options(std::vector<endpoint> targets_, std::string what_, std::string token_,
          std::chrono::milliseconds timeout_)
    : targets(std::move(targets_)), what(std::move(what_)),
      token(std::move(token_)), timeout(timeout_) {
  }
  /// Where to connect, in order of preference (at least one).
  std::vector<endpoint> targets;
  /// What the target is, for messages: "journal" or "agent".
  std::string what = "journal";
  /// Bearer token attached to every request.
  std::string token;
  /// Deadline for connect plus answer, over every endpoint tried.
  std::chrono::milliseconds timeout{10000};
  /// https:// targets: the PEM bundle of CAs that may sign the server's
  /// certificate. Empty: read from `ca_bundle`.
  std::string trust_pem;
  /// File read when `trust_pem` is empty (`ca_bundle` in cli.toml,
  /// PACT_CA_BUNDLE), and the name messages give it.
  std::string ca_bundle = "/etc/pact/ca.crt";
  /// The name the server's certificate must carry (RFC 6125); empty: the
  /// host of the endpoint. An agent's endpoint is checked against its node.
  std::string expect_name;
  /// The serial (hex) the server's certificate must have; empty: any
  /// (net::tls_policy::expect_serial).
  std::string expect_serial;
};

/// Marks every request this process sends from now on as made for an AI
/// agent (Request.ai_agent): pact-mcp calls it once at start, so that the
/// journal and the agents hold its calls to the AI rules whatever token it
/// was given.
void act_for_ai_agent();

class connection {
public:
  connection(caf::actor_system& sys, options opts);

  /// Sends `req` (version and token are filled in) and waits for the
  /// response. A response whose status is not OK is returned as an error
  /// carrying the exit code and message of runtime/render/failure.hpp
  /// (failures of the journal itself name the endpoint), except an agent's
  /// refusal for want of a second person's grant (Status.approval_required),
  /// returned as it is for the caller to ask for one (agent_drift.hpp,
  /// approval_refusal). `extra` lengthens the
  /// answer deadline beyond the timeout (long polls).
  expected<protocol::Response> call(protocol::Request req,
                                    std::chrono::milliseconds extra = {});

  /// Sends `req` once, never again (a `pact exec` command may have run),
  /// handing each (exec_chunk_atom, bytes) message that arrives before the
  /// answer to `on_chunk`; an ExecReply's chunks_sent tells how many to
  /// wait for after it. The deadline is the timeout plus `extra`. A lost
  /// connection or silence is an error (exit 5) saying the outcome is
  /// unknown.
  ///
  /// `on_attach`, when given, receives a (shell_attach_atom, session,
  /// secret) message (`pact shell`: where to send input); the ShellReply's
  /// chunks_sent counts as the ExecReply's does.
  ///
  /// `stop`, when given, is asked every stop_poll while waiting; once it
  /// says true the wait ends with an error (exit 1, "stopped waiting for
  /// …"): pact-mcp's cancelled calls. The request is not withdrawn.
  expected<protocol::Response> call_streaming(
    protocol::Request req, std::chrono::milliseconds extra,
    const std::function<void(const std::string&)>& on_chunk,
    const std::function<void(const caf::actor&, const std::string&)>& on_attach
    = {},
    const std::function<bool()>& stop = {});

  /// How often call_streaming asks its `stop`.
  static constexpr std::chrono::milliseconds stop_poll{200};

  const options& opts() const {
    return opts_;
  }
  /// The endpoint used last (or to be tried first).
  const endpoint& current() const {
    return opts_.targets[current_];
  }

private:
  /// One attempt at one endpoint; `retry` says whether another endpoint
  /// may be tried.
  struct attempt {
    expected<protocol::Response> result = make_error("not tried");
    bool retry = false;
    /// A write may have been applied (sent, then no answer or "outcome
    /// unknown"): whatever later attempts say, the caller must hear it.
    bool maybe_applied = false;
    /// The server answered (as opposed to a lost or refused connection).
    bool answered = false;
  };
  /// Time a retry after a server's answer needs left to be worth starting
  /// (the journal may hold it for an election).
  std::chrono::milliseconds min_attempt() const;
  attempt call_once(const protocol::Request& req,
                    std::chrono::steady_clock::time_point deadline,
                    std::chrono::milliseconds connect_budget);
  expected<caf::actor> connect(std::chrono::milliseconds budget);

  /// The TLS middleman for https:// targets, made on first use with this
  /// connection's trust; error when the CA bundle cannot be read.
  expected<caf::io::middleman_actor> tls_middleman();

  caf::actor_system& sys_;
  options opts_;
  size_t current_ = 0;
  caf::actor server_;
  caf::io::middleman_actor tls_;

public:
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
};

/// A fresh client request id for a write (32 hex digits from the system's
/// random source), reused when the same write is sent again.
std::string new_request_id();

} // namespace pact::client
