#pragma once

/// One health check of a running service (docs/services.md, "Health"):
/// `tcp` connects to 127.0.0.1:PORT; `http` asks GET URL with libcurl and
/// takes a 2xx or 3xx status as healthy (redirects are not followed).
/// Blocking, bounded by `timeout`; the service actor runs it on a thread
/// of its own. `process` checks need no probe (the process runs or not).

#include <chrono>
#include <string>

#include "runtime/node/service_plan.hpp"

namespace pact::node {

/// "" when healthy, else why not in pact's words, e.g. "tcp port 8080:
/// connection refused", "http http://127.0.0.1:8080/health: status 503",
/// "http http://…: timed out after 2000 ms".
std::string probe_health(const health_check_spec& h,
                         std::chrono::milliseconds timeout);

} // namespace pact::node
