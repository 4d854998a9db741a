#pragma once

/// What a failed lattice call means to an operator: a gRPC status (code
/// and message) turned into pact's exit code and sentence, naming the
/// endpoint (docs/delegation.md, "Errors"). Pure; used by the pact-lattice
/// module and unit-tested without a network.
///
/// Which text is shown: a status lattice's server chose (NOT_FOUND,
/// FAILED_PRECONDITION, PERMISSION_DENIED, …) carries lattice's own
/// explanation, which the operator needs ("Cannot undrain node in state
/// Draining …"); it is shown escaped and cut to 300 bytes. The statuses
/// gRPC's library makes up itself (UNAVAILABLE, DEADLINE_EXCEEDED,
/// CANCELLED, UNKNOWN, INTERNAL, DATA_LOSS) are replaced by pact's words,
/// except lattice's own errors, which its handlers send as INTERNAL with
/// their text starting "Internal error: " (a refused node transition, an
/// unknown node), and its rate limit ("rate limit exceeded").

#include <string>

namespace pact::delegation {

struct lattice_failure {
  /// DESIGN.md §6 exit code.
  int exit_code = 1;
  std::string message;
  /// The gRPC status code's name ("UNAVAILABLE").
  std::string code;
  /// The request may have reached lattice and been carried out (the
  /// deadline passed, or the connection broke after sending): a
  /// state-changing call's outcome is unknown, not failed.
  bool outcome_unknown = false;
};

/// Where the call went, for the sentence.
struct lattice_call_site {
  /// As configured ("https://lattice.site:50051").
  std::string endpoint;
  /// "NodeService/DrainNode".
  std::string method;
  /// The CA bundle an https endpoint was checked with (empty: system).
  std::string ca_bundle;
  /// Per-call deadline, ms.
  long deadline_ms = 5000;
  /// The token came from PACT_LATTICE_TOKEN (else the operator's pact
  /// token): named in the advice of an UNAUTHENTICATED answer.
  bool token_from_env = false;
};

/// Maps gRPC status `code` (grpc::StatusCode's numbers, 1..16) and its
/// `message`. Mapping: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
/// → 5; UNAUTHENTICATED, PERMISSION_DENIED → 2 (and a certificate that
/// does not verify); FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS → 4;
/// everything else → 1.
lattice_failure map_lattice_status(int code, const std::string& message,
                                   const lattice_call_site& site);

/// The name of gRPC status `code` ("DEADLINE_EXCEEDED"), "CODE_n" for an
/// unknown one.
std::string grpc_code_name(int code);

} // namespace pact::delegation
