#include "runtime/delegation/lattice_status.hpp"

#include <array>

#include "runtime/common/terminal_text.hpp"

namespace pact::delegation {

namespace {

constexpr std::array<const char*, 17> code_names{"OK",
                                                 "CANCELLED",
                                                 "UNKNOWN",
                                                 "INVALID_ARGUMENT",
                                                 "DEADLINE_EXCEEDED",
                                                 "NOT_FOUND",
                                                 "ALREADY_EXISTS",
                                                 "PERMISSION_DENIED",
                                                 "RESOURCE_EXHAUSTED",
                                                 "FAILED_PRECONDITION",
                                                 "ABORTED",
                                                 "OUT_OF_RANGE",
                                                 "UNIMPLEMENTED",
                                                 "INTERNAL",
                                                 "UNAVAILABLE",
                                                 "DATA_LOSS",
                                                 "UNAUTHENTICATED"};

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

/// lattice's own explanation, safe to print: control characters escaped,
/// at most 300 bytes.
std::string server_text(const std::string& message) {
  std::string cut = message.size() > 300 ? message.substr(0, 300) + "…"
                                         : message;
  return terminal_safe(utf8_safe(cut));
}

/// UNAVAILABLE is gRPC's word for every way a connection fails. Its text
/// is the library's, so only the kind is read from it, to give advice.
lattice_failure unavailable(const std::string& message,
                            const lattice_call_site& site,
                            const std::string& at) {
  bool tls = site.endpoint.rfind("http://", 0) != 0;
  std::string bundle = site.ca_bundle.empty() ? "the system's CAs"
                                              : "CA bundle " + site.ca_bundle;
  if (tls
      && (contains(message, "CERTIFICATE_VERIFY_FAILED")
          || contains(message, "certificate verify failed")
          || contains(message, "Peer name")))
    return {2,
            at
              + ": its TLS certificate does not verify (not signed by a CA "
                "in "
              + bundle + ", expired, or not naming the host)",
            "UNAVAILABLE"};
  if (tls
      && (contains(message, "andshake") || contains(message, "WRONG_VERSION")))
    return {5,
            at
              + " is unreachable: the TLS handshake failed (if it serves "
                "plaintext, give its endpoint as http://…)",
            "UNAVAILABLE"};
  if (contains(message, "onnection refused"))
    return {5, at + " is unreachable (connection refused)", "UNAVAILABLE"};
  if (contains(message, "DNS resolution failed")
      || contains(message, "not resolve"))
    return {5, at + " is unreachable (its host name does not resolve)",
            "UNAVAILABLE"};
  // Anything else may have happened after the request left: a connection
  // reset mid-call, a server that closed it.
  return {5,
          at + " is unreachable"
            + (tls ? " (if it serves plaintext, give its endpoint as "
                     "http://…)"
                   : " (if it serves TLS, give its endpoint as https://…)"),
          "UNAVAILABLE", true};
}

/// "5 s", "0.5 s".
std::string seconds_text(long ms) {
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100)
         + " s";
}

} // namespace

std::string grpc_code_name(int code) {
  if (code >= 0 && code < static_cast<int>(code_names.size()))
    return code_names[static_cast<size_t>(code)];
  return "CODE_" + std::to_string(code);
}

lattice_failure map_lattice_status(int code, const std::string& message,
                                   const lattice_call_site& site) {
  const std::string at = "lattice at " + site.endpoint;
  const std::string name = grpc_code_name(code);
  const std::string said = server_text(message);
  switch (code) {
    case 14: // UNAVAILABLE
      return unavailable(message, site, at);
    case 4: // DEADLINE_EXCEEDED
      return {5,
              at + " did not answer " + site.method + " within "
                + seconds_text(site.deadline_ms) + " (deadline exceeded)",
              name, true};
    case 8: // RESOURCE_EXHAUSTED
      // lattice's rate limit says when to retry; gRPC's own limits
      // (message or metadata size) are not worth retrying.
      if (contains(message, "rate limit"))
        return {5, at + " is busy (rate limit): " + said, name};
      if (contains(message, "etadata"))
        return {1,
                at
                  + " refused the request's metadata as too large (is the "
                    "token that long?)",
                name};
      return {1,
              at + " answered " + site.method
                + " with more than pact accepts (64 MiB); narrow the query",
              name};
    case 16: // UNAUTHENTICATED
      return {2,
              at + " refused the token (UNAUTHENTICATED: " + said + "); "
                + (site.token_from_env
                     ? "check PACT_LATTICE_TOKEN"
                     : "set PACT_LATTICE_TOKEN to a token lattice accepts"),
              name};
    case 7: // PERMISSION_DENIED
      return {2, at + " denied " + site.method + ": " + said, name};
    case 5: // NOT_FOUND
      return {1, at + ": not found: " + said, name};
    case 9:  // FAILED_PRECONDITION
    case 10: // ABORTED
    case 6:  // ALREADY_EXISTS
      return {4, at + " refused " + site.method + ": " + said, name};
    case 3:  // INVALID_ARGUMENT
    case 11: // OUT_OF_RANGE
      return {1, at + " rejected the request (" + name + "): " + said, name};
    case 12: // UNIMPLEMENTED
      return {1,
              at + " does not implement " + site.method
                + " (pact speaks lattice.v1 as pinned in docs/delegation.md)",
              name};
    case 13: // INTERNAL
      // lattice's handlers send their own errors as INTERNAL, their text
      // starting "Internal error: "; gRPC's INTERNAL text is not shown.
      if (message.rfind("Internal error: ", 0) == 0)
        return {1, at + " refused " + site.method + ": " + said, name};
      return {1, at + " failed " + site.method + " (" + name + ")", name};
    case 1: // CANCELLED: the call was cut short, perhaps after arriving.
      return {1, at + " failed " + site.method + " (" + name + ")", name, true};
    default:
      // UNKNOWN, DATA_LOSS: the text may be gRPC's own, so it is not
      // shown.
      return {1, at + " failed " + site.method + " (" + name + ")", name};
  }
}

} // namespace pact::delegation
