#pragma once

/// The vCluster overlay spec (DESIGN.md §9, docs/spec.md): one TOML file
/// declares one or more vClusters under `[vcluster.NAME]`; parsing turns it
/// into the `OverlaySpec` messages of an overlay-apply command, with every
/// item in its canonical encoding so equal declarations give equal bytes.
///
/// Every error is an operating error (a malformed file) and names the file,
/// the line and the full dotted key:
///   `overlays.toml:12: key 'vcluster.ml.mounts."/scratch".type': required
///    string is missing`
/// Parsing stops at the first error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pact/protocol/journal.pb.h>

#include "runtime/common/error.hpp"

namespace pact::spec {

/// Parses the spec file at `path`. The result holds one OverlaySpec per
/// `[vcluster.NAME]` table, ordered by name; each has canonical items
/// (action ADD, sorted by category then key) and, when the vCluster has a
/// `[vcluster.NAME.policy]` table, its resolved policy.
expected<std::vector<protocol::OverlaySpec>>
parse_spec_file(const std::string& path);

/// As parse_spec_file, for text already in memory; `source_name` stands for
/// the file name in error messages.
expected<std::vector<protocol::OverlaySpec>>
parse_spec_text(const std::string& text, const std::string& source_name);

/// Parses a policy file for `pact group set-policy NAME --file FILE`. The
/// file holds either policy keys at the top level, a `[policy]` table, or a
/// `[vcluster.NAME.policy]` table whose NAME must equal `vcluster`. Returns
/// the resolved policy (every field set, lists sorted and deduplicated).
expected<protocol::VClusterPolicy>
parse_policy_file(const std::string& path, const std::string& vcluster);

/// As parse_policy_file, for text already in memory.
expected<protocol::VClusterPolicy>
parse_policy_text(const std::string& text, const std::string& source_name,
                  const std::string& vcluster);

/// The spec's name of a drift category: "mounts", "files", "network",
/// "services", "kernel", "packages", "gpu"; "" for UNSPECIFIED.
std::string_view category_name(protocol::DeltaCategory category);

/// The category named `name` (as category_name spells it), if any.
std::optional<protocol::DeltaCategory>
category_from_name(std::string_view name);

} // namespace pact::spec
