#include "actors/daemon/publish.hpp"

#include <chrono>
#include <set>

#include <caf/actor_cast.hpp>
#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "actors/supervision/health.hpp"
#include "protocol/caf_types.hpp"

namespace pact::daemon {

caf::io::middleman_actor middleman_for(caf::actor_system& sys,
                                       const caf::io::middleman_actor& tls) {
  return tls ? tls : sys.middleman().actor_handle();
}

void publish_self(caf::event_based_actor* self, const listen_point& where,
                  std::function<void(uint16_t)> on_bound) {
  auto mm = middleman_for(self->system(), where.tls);
  auto port = where.port;
  auto host = where.host;
  auto notify = where.notify;
  self
    ->request(mm, std::chrono::seconds(10), caf::publish_atom::value,
              port->load(), caf::actor_cast<caf::strong_actor_ptr>(self),
              std::set<std::string>{}, host, true)
    .then(
      [self, port, mm, notify, on_bound](uint16_t bound) {
        port->store(bound);
        // Close the port when this incarnation ends, so that the next one
        // (restarted by the supervisor) can bind it again.
        self->attach_functor(
          [mm, bound] { caf::anon_send(mm, caf::close_atom::value, bound); });
        if (notify)
          self->send(notify, protocol::published_atom::value, bound);
        on_bound(bound);
      },
      [self, host, port](caf::error& err) {
        // CAF's socket errors carry its own wording ("tcp socket creation
        // failed"); the operator reads what it means.
        auto why = err.category() == caf::atom("system")
                     ? std::string("the address is in use or not available "
                                   "on this host")
                     : supervision::error_text(self->system(), err);
        self->quit(caf::make_error(caf::sec::cannot_open_port,
                                   "cannot listen on " + host + ":"
                                     + std::to_string(port->load()) + ": "
                                     + why));
      });
}

} // namespace pact::daemon
