#pragma once

/// Command-line changes for `pact commit`: `--set CATEGORY:KEY=VALUE` and
/// `--unset CATEGORY:KEY`, turned into a StateDelta against what is
/// declared for the target (so that each item carries the right action),
/// and `--if-previous` conditions. The previous value of each item is not
/// set here: the journal records what the change actually replaced when it
/// applies it (issue 8 item 12).

#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::cli {

/// The target of a commit or rollback: a node name, "vc:NAME" or "global".
expected<protocol::Scope> parse_target(const std::string& text);

/// Builds the delta. `declared` is what the scope's overlay (or the global
/// state) declares, for a node what its vCluster's overlay declares; at
/// node scope an --unset of an undeclared key is allowed (a node delta may
/// remove what the node has beyond its overlay).
expected<protocol::StateDelta>
build_delta(const std::vector<std::string>& sets,
            const std::vector<std::string>& unsets,
            const google::protobuf::RepeatedPtrField<protocol::DeltaItem>& declared,
            bool node_scope);

/// Parses `--if-previous` values: `CATEGORY:KEY=VALUE` (the key must hold
/// VALUE when the commit is applied) or `CATEGORY:KEY` (it must be unset).
/// A key named twice is an error (exit 1).
expected<std::vector<protocol::ItemExpectation>>
parse_expectations(const std::vector<std::string>& specs);

/// For a command that left targets unchanged (CommandResult.unchanged), one
/// line per target: "vcluster ml: unchanged (version 7)".
std::vector<std::string> unchanged_lines(const protocol::CommandResult& r);

} // namespace pact::cli
