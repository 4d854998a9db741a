#pragma once

/// Renders vCluster overlays as overlay spec TOML (docs/spec.md), the
/// inverse of parse_spec_text: for an overlay whose items are in the
/// canonical encoding, parsing the text gives back an OverlaySpec with the
/// same attributes, byte-identical items and a policy equal to the
/// overlay's resolved policy (every policy field is written).
///
/// Items that are not in a form the spec can express (a mount, file or
/// service whose value is not a JSON object; a packages/network/gpu value
/// that is not JSON) cannot round-trip: a mount, file or service is left
/// out and a `# pact: ...` comment says so; a packages/network/gpu value
/// is written as a TOML string after such a comment.

#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

namespace pact::spec {

/// The spec of one overlay. `comment` (may be several lines) is written
/// first, each line prefixed with "# " (provenance: who, when, version).
std::string render_overlay_toml(const protocol::VClusterOverlay& overlay,
                                const std::string& comment = {});

/// The spec of several overlays, in the given order, in one file.
std::string
render_overlays_toml(const std::vector<protocol::VClusterOverlay>& overlays,
                     const std::string& comment = {});

} // namespace pact::spec
