#pragma once

/// The remote client used by the `pact` CLI and `pact-mcp`: connects to a
/// journal gateway or an agent API through CAF's middleman and exchanges
/// protobuf envelopes (protocol/api.proto).
///
/// Every call is bounded by one deadline covering connect and answer; an
/// unreachable or silent server is an error with exit code 5 naming the
/// endpoint, never a hang.

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

struct options {
  /// Where to connect.
  endpoint target;
  /// What the target is, for messages: "journal" or "agent".
  std::string what = "journal";
  /// Bearer token attached to every request.
  std::string token;
  /// Deadline for connect plus answer.
  std::chrono::milliseconds timeout{10000};
};

class connection {
public:
  connection(caf::actor_system& sys, options opts);

  /// Sends `req` (version and token are filled in) and waits for the
  /// response. A response whose status is not OK is returned as an error
  /// carrying the mapped exit code and the server's message.
  /// `extra` lengthens the answer deadline beyond the timeout (long polls).
  expected<protocol::Response> call(protocol::Request req,
                                    std::chrono::milliseconds extra = {});

  const options& opts() const {
    return opts_;
  }

private:
  expected<caf::actor> connect(std::chrono::milliseconds budget);

  caf::actor_system& sys_;
  options opts_;
  caf::actor server_;
};

/// Exit code for a response status (DESIGN.md §6).
exit_code to_exit_code(protocol::StatusCode code);

} // namespace pact::client
