#pragma once

/// The request side of pact's small HTTP/1.1 brokers (the journal's and the
/// agent's /metrics and /health): one request per connection, read up to
/// 4096 bytes, parsed by runtime/common/http, answered, closed.

#include <functional>
#include <string>

#include <caf/behavior.hpp>
#include <caf/io/broker.hpp>

#include "runtime/common/http.hpp"

namespace pact::daemon {

/// Writes `bytes` (a whole response) to `hdl`, flushes and closes it.
void http_send(caf::io::broker* self, caf::io::connection_handle hdl,
               const std::string& bytes);

/// Called with each well-formed request; answers with http_send (now or
/// later, from a response handler).
using http_handler
  = std::function<void(caf::io::connection_handle, const http::request&)>;

/// The broker's handlers for connections and their data: a malformed
/// request is answered 400 here, a well-formed one goes to `on_request`.
caf::behavior http_request_handlers(caf::io::broker* self,
                                    http_handler on_request);

} // namespace pact::daemon
