#pragma once

/// One CLI invocation's connection to the journal gateway, plus the calls
/// every journal command needs (declared state, a command, a log query).
/// Errors carry the exit code of DESIGN.md §6.

#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/client.hpp"
#include "cli/options.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::cli {

class journal_session {
public:
  /// Resolves the token (exit 2 when there is none) and prepares the
  /// connection; nothing is sent yet.
  static expected<std::unique_ptr<journal_session>> open(const context& ctx);

  explicit journal_session(const context& ctx, std::string token);

  /// Sends `req` and waits for the answer; `extra` lengthens the deadline
  /// (long polls).
  expected<protocol::Response> call(protocol::Request req,
                                    std::chrono::milliseconds extra = {});

  /// Declared state, filtered by vCluster and/or node (linearizable unless
  /// `stale`).
  expected<protocol::StateReply> state(const std::string& vcluster,
                                       const std::string& node,
                                       bool stale = false);

  /// What is declared for `scope`: the global items, a vCluster's overlay
  /// items, or for a node the overlay of its vCluster (empty when the node
  /// is enrolled nowhere). `vcluster` receives the vCluster concerned.
  expected<google::protobuf::RepeatedPtrField<protocol::DeltaItem>>
  declared_items(const protocol::Scope& scope, std::string* vcluster = nullptr);

  /// Proposes a command; the reply once it is applied.
  expected<protocol::CommandReply> command(protocol::JournalCommand cmd);

  client::connection& conn() {
    return *conn_;
  }

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<client::connection> conn_;
};

/// Prints, once per invocation, the warning that an answer came from a
/// replica's last applied state and may be stale (its store refuses
/// writes); stderr, so that stdout stays the answer.
void warn_stale(const std::string& reason);

/// The first sequence of a command reply as text ("42", or "42-44").
std::string sequences_text(const protocol::CommandReply& reply);

} // namespace pact::cli
