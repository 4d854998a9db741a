#pragma once

/// What `pact service status|restart|logs` print (docs/services.md): a
/// table of the node's services, or their newest log lines; JSON for
/// `--output json`. Every cell from the node goes through terminal_safe.

#include <string>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// "node N: K services" and one row per service: SERVICE, STATE, PID,
/// UPTIME, RESTARTS, HEALTH, DETAIL (the last exit when no detail).
std::string service_status_text(const protocol::ServiceReply& r);

/// {"node", "services": [{"name", "state", "pid", "uptime_seconds",
/// "restarts", "health", "last_exit", "detail", "binary", "restart"}]}.
nlohmann::json service_status_json(const protocol::ServiceReply& r);

/// The lines, one per line, terminal-safe (the CLI says on stderr when
/// older lines were dropped).
std::string service_logs_text(const protocol::ServiceReply& r);

/// {"node", "service", "lines", "truncated"}.
nlohmann::json service_logs_json(const protocol::ServiceReply& r,
                                 const std::string& service);

} // namespace pact::render
