#pragma once

/// The supervisor seam's placeholder (issue 11 item 1): receives the
/// declared services after every boot, (declared_services_atom, serialized
/// StateDelta of SERVICES items), logs what would be supervised and keeps
/// the last set; (declared_services_atom) answers it. The service actors of
/// the services issue replace it behind the same message.

#include <caf/event_based_actor.hpp>

namespace pact::agent {

caf::behavior service_recorder(caf::event_based_actor* self);

} // namespace pact::agent
