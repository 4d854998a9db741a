#include "actors/agent/service_backend.hpp"

namespace pact::agent {

service_backend pact_backend() {
  return [](caf::event_based_actor* parent, supervision::health_handle h,
            service_actor_config c) {
    return parent->spawn(service_actor, std::move(h), std::move(c));
  };
}

service_backend systemd_backend(systemd_unit_settings s) {
  return [s](caf::event_based_actor* parent, supervision::health_handle h,
             service_actor_config c) {
    // Detached: its D-Bus calls block, never on a scheduler thread.
    return parent->spawn<caf::detached>(systemd_unit_actor, std::move(h),
                                        std::move(c), s);
  };
}

std::map<std::string, service_backend>
default_backends(systemd_unit_settings systemd) {
  return {{"pact", pact_backend()},
          {"systemd", systemd_backend(std::move(systemd))}};
}

} // namespace pact::agent
