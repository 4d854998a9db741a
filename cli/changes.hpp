#pragma once

/// Command-line changes for `pact commit`: `--set CATEGORY:KEY=VALUE` and
/// `--unset CATEGORY:KEY`, turned into a StateDelta against what is
/// declared for the target (so that each item carries the right action and
/// the previous value).

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

} // namespace pact::cli
