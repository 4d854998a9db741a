#pragma once

/// What `pact log` and the MCP tool pact_log show (docs/cli.md "pact
/// log"): the entries newest first and, with verify, whether the hash chain
/// holds. The journal verifies its whole chain; the client also checks the
/// links it was sent (runtime/journal/entry_chain.hpp), so that a gateway
/// that altered entries in transit is caught too — on unscoped queries
/// only, since a scoped one skips entries (and so may a time window).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::render {

struct log_view {
  /// The journal's answer, entries newest first.
  protocol::LogReply reply;
  /// The scope asked for ("" for all).
  std::string scope;
  bool verify = false;
  /// With verify: the chain holds, on the journal and as received.
  bool ok = true;
  /// Why not, when !ok.
  std::string why;
};

/// Checks the chain as received (verify, unscoped, no time window: only
/// then are the entries a contiguous run) and combines the result with
/// the journal's.
log_view make_log_view(protocol::LogReply reply, std::string scope, bool verify,
                       bool windowed = false);

/// The table (or "no entries[ for SCOPE]"), then with a verified chain
/// "hash chain verified: N entries intact".
std::string log_text(const log_view& v);

/// {entries: [ENTRY], last_sequence, verify?: {ok, error}, stale?: true}.
nlohmann::json log_json(const log_view& v);

/// A broken chain as the failure it is: "hash chain broken: WHY", exit 1;
/// ok otherwise. Printed after the entries, which are shown either way.
status log_outcome(const log_view& v);

} // namespace pact::render
