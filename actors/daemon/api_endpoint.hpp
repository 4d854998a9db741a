#pragma once

/// The server side of the client API, shared by the journal gateway and the
/// agent API: bounds the request size and the requests in flight, parses the
/// envelope, authenticates through the one seam (runtime/policy/
/// request_auth) and dispatches by request body to a handler table. Handlers
/// only ever see authenticated requests and answer through `api_reply`.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "runtime/common/clock.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::daemon {

/// Watches the requests of one endpoint for metrics (the journal gateway's:
/// actors/journal/metrics_gateway.hpp). Called from the serving actor only,
/// once per event, so an implementation needs nothing beyond thread-safe
/// counters (the metrics endpoint reads them from another thread).
class api_observer {
public:
  virtual ~api_observer() = default;
  /// A request was answered with `code`, `seconds` after it arrived; `kind`
  /// is request_kind() of it ("" when it did not parse).
  virtual void
  answered(const std::string& kind, protocol::StatusCode code, double seconds)
    = 0;
  /// Requests being answered now (after each arrival and answer).
  virtual void in_flight(size_t n) = 0;
  /// Authentication refused a request: `no_token` (none was sent),
  /// `unknown_key` (signed by a key the key set lacks), `message` (the
  /// refusal, from which the observer derives a bounded reason).
  virtual void
  auth_failed(bool no_token, bool unknown_key, const std::string& message)
    = 0;
};

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
  /// What answers here, for the refusal of a request this server does not
  /// serve ("the pact-journal gateway", "the pact-agent API"), and where
  /// such requests go instead: an operator who pointed PACT_AGENT_ENDPOINT
  /// at a journal learns which is which.
  std::string server_name = "this server";
  std::string elsewhere;
  /// The answer to a discovery request (`pact login`), the one request
  /// served without a token; unset where discovery is not served (the
  /// agent API).
  std::optional<protocol::DiscoveryReply> discovery;
  /// While a handler runs: who sent the request (the client's reply_to
  /// when it named one, else the message's sender); null otherwise.
  /// Captured before the response promise is made: CAF 0.17's
  /// make_response_promise() moves the sender out of the message, so
  /// current_sender() is null afterwards.
  caf::strong_actor_ptr sender;
  /// Told about every request and answer; null: nobody watches.
  std::shared_ptr<api_observer> observer;
};

/// The request's kind as operators know it ("drift", "boot config", …).
std::string request_kind(const protocol::Request& req);

/// Delivers exactly one response for one request. Copies share one state:
/// the first ok()/fail() answers and frees the in-flight slot, later ones do
/// nothing, and if every copy is gone without an answer (a handler path
/// that forgot to reply, an actor that stopped with the request in flight)
/// the slot is freed and the client told so ("retry", or "outcome unknown"
/// for a write) instead of waiting for its deadline.
///
/// Why copies and not a move-only handle: CAF 0.17's `request(...).then(
/// on_answer, on_error)` needs the reply in both handlers of which exactly
/// one runs, and handler tables and continuations are std::function, which
/// requires copyable callables. The shared state makes the copies one
/// reply.
///
/// Where the answer goes: to the `reply_to` actor the client named in the
/// message when it did, else to the message's sender. Clients name
/// themselves because CAF 0.17's BASP can lose the sender of a message that
/// arrives on a new connection whose file descriptor a just-closed
/// connection used: the old connection's cleanup runs later, through the
/// BASP message queue, and removes or shadows the new connection's route by
/// handle, so the sender deserializes as null (or as the dead node's proxy)
/// and the answer vanished (issue 8 item 1). A handle inside the message is
/// resolved by node id, whose route stays correct.
class api_reply {
public:
  api_reply(caf::response_promise rp, caf::actor reply_to,
            std::shared_ptr<api_context> ctx, std::string request_id);

  /// Sends `resp` with status OK (version and request id are filled in).
  void ok(protocol::Response resp);
  /// Sends a failure; `reason` tells the client whether another replica
  /// may serve it (protocol/errors.hpp).
  void fail(protocol::StatusCode code, const std::string& message,
            protocol::ErrorReason reason = protocol::ERROR_REASON_UNSPECIFIED);
  /// Sends the failure an actor error maps to (protocol/errors.hpp: pact
  /// reason -> status code; CAF's own codes -> a sentence, never CAF's
  /// rendering), its message prefixed with `context` when given.
  void fail(const caf::error& err, const std::string& context = {});
  /// Sends the failure `status` as it is (code, message, reason and flags
  /// such as approval_required). Precondition: not OK.
  void fail(protocol::Status status);

  /// Marks the request as a write: if it ends without an answer, its
  /// outcome is unknown (it may have been proposed) rather than "retry".
  void set_write(bool write);

  /// The request, for the observer's answer (set once parsed).
  void set_kind(const protocol::Request& req);

  /// Where the answer goes (for streams sent before it, e.g. boot chunks).
  const caf::actor& reply_to() const;

private:
  struct state;
  void finish(const protocol::Response& resp);

  std::shared_ptr<state> st_;
};

using api_handler = std::function<void(
  const protocol::Request&, const policy::authenticated&, api_reply)>;

using api_table = std::map<protocol::Request::BodyCase, api_handler>;

/// Handles one (api_atom, bytes[, reply_to]) message inside `self`;
/// `reply_to` is null for clients that rely on the sender. Every request is
/// authenticated before dispatch except two: a discovery request, answered
/// here from `ctx->discovery` without reaching the table, and an enroll
/// request carrying a one-time enrollment token (a node's first
/// certificate request), dispatched with an empty caller (no subject, no
/// roles): its handler authenticates it by the token.
void serve_api(caf::event_based_actor* self,
               const std::shared_ptr<api_context>& ctx,
               const std::string& bytes, const api_table& table,
               caf::actor reply_to = {});

} // namespace pact::daemon
