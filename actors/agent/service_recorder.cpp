#include "actors/agent/service_recorder.hpp"

#include <memory>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::agent {

caf::behavior service_recorder(caf::event_based_actor*) {
  auto last = std::make_shared<std::string>();
  return {
    [last](declared_services_atom, const std::string& bytes) {
      protocol::StateDelta services;
      if (!services.ParseFromString(bytes)) {
        spdlog::warn("services: dropped a malformed service list");
        return;
      }
      *last = bytes;
      for (const auto& s : services.items())
        spdlog::info("services: {} declared (supervision arrives with the "
                     "services issue; recorded only)",
                     s.key());
    },
    [last](declared_services_atom) { return *last; },
  };
}

} // namespace pact::agent
