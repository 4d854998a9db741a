#pragma once

/// A connection to the journal gateway plus the questions `pact` and
/// `pact-mcp` both ask: declared state, a command, the log (with the
/// client-side hash-chain check), a node's diff against its overlay, and
/// the status report. Both front ends call these, so the same question
/// gets the same answer (tests/e2e/test_mcp.py checks it); they differ
/// only in how they print (runtime/render). Errors carry the exit code of
/// DESIGN.md §6 (runtime/render/failure.hpp).

#include <functional>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/client/client.hpp"
#include "runtime/common/config.hpp"
#include "runtime/render/diff_view.hpp"
#include "runtime/render/log_view.hpp"
#include "runtime/render/status_view.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// A log query (`pact log -n N --scope S --verify --stale --since T
/// --until T`).
struct log_query {
  /// 1 .. 10000 (checked by journal_session::log).
  uint32_t limit = 20;
  std::string scope;
  bool verify = false;
  bool stale = false;
  /// Time bounds in ms since the epoch, inclusive; 0 = none.
  int64_t since_unix_ms = 0;
  int64_t until_unix_ms = 0;
};

/// One page of an export (`pact log --export`): a contiguous run from
/// `from_sequence` (protocol LogRequest.from_sequence).
struct log_page_query {
  uint64_t from_sequence = 1;
  uint32_t limit = 1000;
  bool stale = false;
  int64_t since_unix_ms = 0;
  int64_t until_unix_ms = 0;
};

/// An error naming `vcluster` (exit 1) when `st` (a StateRequest's answer
/// for it) holds neither its overlay nor a node of it: a typo is an error,
/// not an empty listing, as an unknown node is. Empty `vcluster`: fine.
status vcluster_known(const protocol::StateReply& st,
                      const std::string& vcluster);

class journal_session {
public:
  /// Called with the reason when an answer came from a replica's last
  /// applied state (possibly stale: its store refuses writes).
  using stale_handler = std::function<void(const std::string& reason)>;

  /// Resolves the endpoints and the token of `cfg` (client/access.hpp;
  /// `own_token_variable` as there) and prepares the connection on `sys`,
  /// or on an actor system of its own when `sys` is null; nothing is sent
  /// yet. Exit 1 for a bad endpoint, 2 when there is no token.
  static expected<std::unique_ptr<journal_session>>
  open(const config::values& cfg, caf::actor_system* sys = nullptr,
       const char* own_token_variable = nullptr);

  journal_session(caf::actor_system* sys, options opts);

  void on_stale(stale_handler h) {
    on_stale_ = std::move(h);
  }

  /// Called by command() with the reply of a write the journal held for a
  /// second person's approval (its result's approval is pending); what it
  /// returns is command()'s result (the CLI waits for the decision: cli/
  /// approval_wait.hpp). Without one, command() returns the held reply.
  using pending_handler = std::function<expected<protocol::CommandReply>(
    journal_session&, const protocol::CommandReply&)>;
  void on_pending(pending_handler h) {
    on_pending_ = std::move(h);
  }

  /// Sends `req` and waits for the answer; `extra` lengthens the deadline
  /// (long polls).
  expected<protocol::Response> call(protocol::Request req,
                                    std::chrono::milliseconds extra = {});

  /// Declared state, filtered by vCluster and/or node (linearizable unless
  /// `stale`).
  expected<protocol::StateReply> state(const std::string& vcluster,
                                       const std::string& node,
                                       bool stale = false);

  /// The overlay of `vcluster` (empty, version 0, when it has none).
  expected<protocol::VClusterOverlay> overlay(const std::string& vcluster);

  /// Proposes a command; the reply once it is applied (or, for a write
  /// held for approval, what the pending handler makes of it). A
  /// delegation refused for want of a second person's grant is a reply
  /// whose result's status is that refusal (approval_required set).
  expected<protocol::CommandReply> command(protocol::JournalCommand cmd);

  /// The log; `limit` outside 1 .. 10000 is exit 1. A broken chain is not
  /// an error here: the view says so (render::log_outcome).
  expected<render::log_view> log(const log_query& q);

  /// One export page, oldest first; `more` says whether the run goes on.
  expected<protocol::LogReply> log_page(const log_page_query& q);

  /// `node` against its vCluster's overlay; a node enrolled nowhere is
  /// compared with `default_vcluster`. Unknown node: exit 1.
  expected<render::node_diff> diff(const std::string& node,
                                   const std::string& default_vcluster,
                                   bool committed_only);

  /// The status report for `node` and/or `vcluster` (either may be empty).
  /// The declared view is read first (stale allowed): a node the journal
  /// knows is not an error even when its agent has not reported. A
  /// vCluster with neither overlay nor node is an error (exit 1), as an
  /// unknown node is.
  expected<render::status_view> status(const std::string& node,
                                       const std::string& vcluster);

  connection& conn() {
    return *conn_;
  }

private:
  void note_stale(bool stale, const std::string& reason);
  /// `pact log --verify`: asks the journal to check its chain page by
  /// page (LogRequest.verify with from_sequence, following `more`) and
  /// sets `into`'s verified / verify_error from the first bad page.
  pact::status verify_pages(protocol::LogReply& into, bool stale);
  /// Sends a log request; the reply, its staleness noted.
  expected<protocol::LogReply> ask_log(protocol::LogRequest lq, const char* id);

  std::unique_ptr<caf::actor_system_config> cfg_;
  std::unique_ptr<caf::actor_system> own_sys_;
  std::unique_ptr<connection> conn_;
  stale_handler on_stale_;
  pending_handler on_pending_;
};

} // namespace pact::client
