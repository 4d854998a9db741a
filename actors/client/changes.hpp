#pragma once

/// Command-line changes for `pact commit`: `--set CATEGORY:KEY=VALUE` and
/// `--unset CATEGORY:KEY`, turned into a StateDelta of what the operator
/// intends (SET and REMOVE items), and `--if-previous` conditions. Nothing
/// is read first: the journal resolves each SET to an add or a modify and
/// records each item's previous value when it applies the commit, from the
/// state it applies it to (issue 8 item 12, issue 9 item 5).

#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// An error (exit 1) naming `node` when it is not a node name (1-63 of
/// [A-Za-z0-9._-]): an empty or odd NODE argument never reaches a server.
/// The name is shown neutralised and cut to 64 bytes.
status check_node_name(const std::string& node);

/// The target of a commit or rollback: a node name, "vc:NAME" or "global".
expected<protocol::Scope> parse_target(const std::string& text);

/// Builds the delta: one DELTA_ACTION_SET item per --set, one
/// DELTA_ACTION_REMOVE per --unset. A malformed flag, a key changed twice
/// or no change at all is an error (exit 1). Whether an --unset key is
/// declared is the journal's to say (a vCluster or global commit removing
/// an undeclared key is refused as a conflict, exit 4; a node delta may
/// remove what the node has beyond its overlay).
expected<protocol::StateDelta>
build_delta(const std::vector<std::string>& sets,
            const std::vector<std::string>& unsets);

/// Parses `--if-previous` values: `CATEGORY:KEY=VALUE` (the key must hold
/// VALUE when the commit is applied) or `CATEGORY:KEY` (it must be unset).
/// A key named twice is an error (exit 1).
expected<std::vector<protocol::ItemExpectation>>
parse_expectations(const std::vector<std::string>& specs);

/// Checks `--ttl SECONDS` (`given`: typed, not the default) for a commit
/// to `target`, in the flag's own words: a node delta lives 900 .. 864,000
/// s (journal::min_node_ttl_seconds .. max_node_ttl_seconds, which the
/// journal enforces again as `ttl_seconds`); a vCluster or global commit
/// does not expire, so --ttl there is an error rather than ignored. Exit 1.
status check_ttl_flag(const protocol::Scope& target, unsigned ttl, bool given);

} // namespace pact::client
