#pragma once

/// What pact-journal and pact-agent tell systemd (runtime/common/
/// sd_notify.hpp): the watchdog's health check is a round trip through the
/// actor system, so a daemon whose scheduler is stuck stops pinging and is
/// restarted (docs/operations.md, "Running under systemd").

#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/common/sd_notify.hpp"

namespace pact::daemon {

/// Starts the watchdog pinger when the unit has `WatchdogSec=` (else
/// null). Healthy means: the health registry answers a snapshot request
/// within the check's budget, which it can only do while CAF's scheduler
/// runs actors. A failed root supervisor is not waited for here: it ends
/// the process (exit 1), which systemd's `Restart=` handles.
///
/// `sys` and `registry` must outlive the pinger: destroy it before the
/// actor system.
std::unique_ptr<sd::watchdog_pinger> start_watchdog(caf::actor_system& sys,
                                                    caf::actor registry);

} // namespace pact::daemon
