#include "actors/supervision/health.hpp"

#include "protocol/errors.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace pact::supervision {

void report(caf::scheduled_actor* self, const health_handle& h,
            actor_state state, const std::string& detail) {
  if (!h.registry)
    return;
  // size() drains the inbox into the cached queue, which only the owner
  // may do: hence "call from within self's handler".
  auto depth = static_cast<uint64_t>(self->mailbox().size());
  caf::anon_send(h.registry, protocol::health_report_atom::value, h.name,
                 static_cast<int32_t>(state), detail, depth);
}

void start_heartbeat(caf::event_based_actor* self, caf::timespan interval) {
  self->delayed_send(self, interval, protocol::heartbeat_atom::value);
}

std::string error_text(caf::actor_system& sys, const caf::error& err) {
  if (!err)
    return "no error";
  auto& ctx = err.context();
  if (ctx.size() >= 1 && ctx.match_element<std::string>(0)) {
    auto text = ctx.get_as<std::string>(0);
    // CAF's own socket errors carry ("what failed", port, host).
    if (ctx.size() == 3 && ctx.match_element<uint16_t>(1)
        && ctx.match_element<std::string>(2))
      text += " (" + ctx.get_as<std::string>(2) + ":"
              + std::to_string(ctx.get_as<uint16_t>(1)) + ")";
    return text;
  }
  (void)sys;
  return protocol::message_of(err);
}

} // namespace pact::supervision
