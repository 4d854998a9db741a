#pragma once

/// The agent API's answer to CapabilityRequest (`pact cap [NODE]`, issue 11
/// item 5): the manifest the GPU poller last wrote to
/// /run/pact/capability.json under --root, byte for byte. Same read rule as
/// status (policy::can_read on the node's vCluster). Errors: a node name
/// other than this agent's (INVALID_ARGUMENT, naming both), no manifest yet
/// or an unreadable one (ERROR, naming the path).

#include <string>

#include "actors/daemon/api_endpoint.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent {

struct capability_api_config {
  std::string node_id;
  std::string vcluster;
  /// The agent's --root.
  std::string root = "/";
};

void handle_capability(const capability_api_config& cfg,
                       const protocol::Request& req,
                       const policy::authenticated& who,
                       daemon::api_reply reply);

} // namespace pact::agent
