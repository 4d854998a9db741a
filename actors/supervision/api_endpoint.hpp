#pragma once

/// The server side of the client API, shared by the journal gateway and the
/// agent API: bounds the request size and the requests in flight, parses the
/// envelope, authenticates through the one seam (runtime/policy/
/// request_auth) and dispatches by request body to a handler table. Handlers
/// only ever see authenticated requests and answer through `api_reply`.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "runtime/common/clock.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::supervision {

struct api_limits {
  /// Requests being answered at once before new ones are refused.
  size_t max_in_flight = 4096;
};

/// Per-endpoint state; owned by the serving actor.
struct api_context {
  policy::verifier_config verifier;
  std::shared_ptr<const pact::clock> wall;
  api_limits limits;
  size_t in_flight = 0;
  policy::token_cache tokens;
};

/// Delivers exactly one response for one request.
class api_reply {
public:
  api_reply(caf::response_promise rp, std::shared_ptr<api_context> ctx,
            std::string request_id);

  /// Sends `resp` with status OK (version and request id are filled in).
  void ok(protocol::Response resp);
  /// Sends a failure.
  void fail(protocol::StatusCode code, const std::string& message);

private:
  void finish(const protocol::Response& resp);

  caf::response_promise rp_;
  std::shared_ptr<api_context> ctx_;
  std::string request_id_;
};

using api_handler = std::function<void(const protocol::Request&,
                                       const policy::authenticated&,
                                       api_reply)>;

using api_table = std::map<protocol::Request::BodyCase, api_handler>;

/// Handles one (api_atom, bytes) message inside `self`.
void serve_api(caf::event_based_actor* self,
               const std::shared_ptr<api_context>& ctx,
               const std::string& bytes, const api_table& table);

} // namespace pact::supervision
