#pragma once

/// `pact diag NODE [--lines N] [--source S] [--service NAME] [--grep P]` on
/// the agent API (issue 12 item 6; docs/agent.md, "Diag"). The agent API
/// has verified the caller's token; this handler checks the request
/// (runtime/node/diag_filter.hpp: a bad pattern, service name, source or
/// line count is refused, INVALID_ARGUMENT, before anything is read),
/// authorizes with the node's vCluster policy as the journal link booted it
/// (journal or boot cache, so it works with the journal unreachable; who
/// may: docs/authorization.md `diag`), reads the sources on a detached
/// actor (runtime/node/diag_sources.hpp) and the supervised services' logs
/// from the service supervisor, filters them with RE2 on the node, and
/// answers DiagReply once the journal link holds the audit record in its
/// durable outbox. Every diag, answered or refused, is an exec-log entry
/// whose argv is ["pact-diag", the request's flags...].

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "runtime/common/clock.hpp"

namespace pact::agent {

struct diag_config {
  /// --root: every source path is a node path under it.
  std::string root = "/";
  /// agent.diag.kmsg_path: the kernel ring buffer.
  std::string kmsg_path = "/dev/kmsg";
  /// agent.diag.syslog_paths: syslog files; those that exist are read.
  std::vector<std::string> syslog_paths{"/var/log/syslog", "/var/log/messages"};
  /// agent.diag.max_scan_bytes: the most read of one source.
  size_t max_scan_bytes = size_t{64} << 20;
  /// agent.diag.max_reply_bytes: the most lines the answer carries in
  /// all (the oldest of the largest blocks go first).
  size_t max_reply_bytes = size_t{16} << 20;
};

/// What the handler needs from the agent API.
struct diag_context {
  diag_config cfg;
  std::string node_id;
  std::string vcluster;
  /// The agent's supervisor, which knows the journal link by name.
  caf::actor supervisor;
  std::string journal_link_name = "agent/journal-link";
  /// Stamps each record's occurred_unix_ms.
  std::shared_ptr<const pact::clock> wall;
};

void handle_diag(caf::event_based_actor* self,
                 const std::shared_ptr<const diag_context>& x,
                 const protocol::Request& req, const policy::authenticated& who,
                 daemon::api_reply reply);

} // namespace pact::agent
