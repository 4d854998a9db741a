#pragma once

/// The agent's link to the journal: connects to the first reachable journal
/// endpoint (trying the configured ones in turn, with capped exponential
/// back-off), sends a NodeReport (liveness plus the agent's actor tree) on
/// connect and every `report_interval`, and reconnects when the journal goes
/// away. Later issues add the boot-config stream and drift reports here.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/endpoint.hpp"

namespace pact::agent {

struct journal_link_config {
  /// Journal gateways to try, in order.
  std::vector<endpoint> journals;
  /// The agent's health registry (source of the reported tree).
  caf::actor registry;
  std::string node_id;
  std::string vcluster;
  /// Returns the agent API's URL (known once the API has bound its port).
  std::function<std::string()> agent_endpoint;
  std::chrono::seconds report_interval{10};
  std::chrono::seconds reconnect_max{30};
};

caf::behavior journal_link(caf::event_based_actor* self,
                           supervision::health_handle h,
                           journal_link_config cfg);

} // namespace pact::agent
