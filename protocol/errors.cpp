#include "protocol/errors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace pact::protocol {

caf::error make_error(ErrorReason reason, std::string message) {
  return caf::error{static_cast<uint8_t>(reason), error_category,
                    caf::make_message(std::move(message))};
}

namespace {

/// The one string a pact error (or a runtime_error built the old way)
/// carries, else empty.
std::string context_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

} // namespace

ErrorReason reason_of(const caf::error& err) {
  if (!err)
    return ERROR_REASON_UNSPECIFIED;
  if (err.category() == error_category) {
    auto r = static_cast<ErrorReason>(err.code());
    return ErrorReason_IsValid(r) ? r : ERROR_REASON_INTERNAL;
  }
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
      case caf::sec::connection_timeout:
        return ERROR_REASON_TIMEOUT;
      case caf::sec::request_receiver_down:
      case caf::sec::no_route_to_receiving_node:
      case caf::sec::cannot_forward_to_invalid_actor:
        return ERROR_REASON_REPLICA_DOWN;
      default:
        break;
    }
  }
  return ERROR_REASON_INTERNAL;
}

std::string message_of(const caf::error& err) {
  if (!err)
    return "no error";
  if (auto text = context_text(err); !text.empty())
    return text;
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
      case caf::sec::request_timeout:
      case caf::sec::connection_timeout:
        return "no answer within the deadline";
      case caf::sec::request_receiver_down:
        return "the actor serving the request terminated";
      case caf::sec::no_route_to_receiving_node:
      case caf::sec::cannot_forward_to_invalid_actor:
        return "the connection to the serving process is gone";
      case caf::sec::cannot_connect_to_node:
      case caf::sec::disconnect_during_handshake:
      case caf::sec::network_syscall_failed:
      case caf::sec::socket_disconnected:
        return "connection refused or lost";
      case caf::sec::unexpected_message:
      case caf::sec::unexpected_response:
        return "the peer does not speak this protocol version";
      default:
        break;
    }
  }
  return "internal error (" + std::to_string(err.code()) + " in category "
         + caf::to_string(err.category()) + ")";
}

StatusCode status_code_of(ErrorReason reason) {
  switch (reason) {
    case ERROR_REASON_NO_LEADER:
    case ERROR_REASON_OUTCOME_UNKNOWN:
    case ERROR_REASON_OVERLOADED:
    case ERROR_REASON_REPLICA_DOWN:
    case ERROR_REASON_TIMEOUT:
    case ERROR_REASON_READ_UNAVAILABLE:
      return STATUS_CODE_UNAVAILABLE;
    case ERROR_REASON_INVALID_REQUEST:
      return STATUS_CODE_INVALID_ARGUMENT;
    default:
      return STATUS_CODE_ERROR;
  }
}

bool retryable(ErrorReason reason) {
  // Exactly the availability problems: another replica, or the same one a
  // moment later, may serve the request (writes are deduplicated by their
  // client request id).
  return status_code_of(reason) == STATUS_CODE_UNAVAILABLE;
}

const char* to_string(ErrorReason reason) {
  switch (reason) {
    case ERROR_REASON_NO_LEADER:
      return "no-leader";
    case ERROR_REASON_OUTCOME_UNKNOWN:
      return "outcome-unknown";
    case ERROR_REASON_STORE_FULL:
      return "store-full";
    case ERROR_REASON_STORE_FAILED:
      return "store-failed";
    case ERROR_REASON_OVERLOADED:
      return "overloaded";
    case ERROR_REASON_REPLICA_DOWN:
      return "replica-down";
    case ERROR_REASON_TIMEOUT:
      return "timeout";
    case ERROR_REASON_INVALID_REQUEST:
      return "invalid-request";
    case ERROR_REASON_READ_UNAVAILABLE:
      return "read-unavailable";
    case ERROR_REASON_INTERNAL:
      return "internal";
    default:
      return "unspecified";
  }
}

} // namespace pact::protocol
