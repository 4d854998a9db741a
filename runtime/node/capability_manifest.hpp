#pragma once

/// The capability manifest: what the node's hardware is (issue 11 item 5).
/// One JSON document, schema "pact.capability/1" (docs/capabilities.md),
/// written by the agent to /run/pact/capability.json under its --root — the
/// file the troubleshooting guide ("Agent Reports Wrong Capabilities")
/// tells operators to read — and served unchanged by the agent API to
/// `pact cap`.
///
/// Top-level members: schema, node, generated_unix_ms, cpu, memory, network,
/// storage, modules, probe_errors (capability_probe.hpp) and gpus:
///   {"tool", "status", "polled_unix_ms", "count", "devices": [...],
///    "problems": [...]}
/// `count` is the number of devices; after a failed poll `status` says why
/// and `devices` are those of the last good poll.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"
#include "runtime/node/gpu_health.hpp"

namespace pact::node {

/// The manifest's host path (before --root).
inline constexpr const char* manifest_path = "/run/pact/capability.json";
inline constexpr const char* manifest_schema = "pact.capability/1";

/// The "gpus" section for a poll taken at `polled_unix_ms`.
nlohmann::json gpus_json(const gpu_poll& poll, int64_t polled_unix_ms);

/// The whole manifest: `host` from probe_host, `gpus` from gpus_json.
nlohmann::json make_manifest(const std::string& node, int64_t generated_unix_ms,
                             const nlohmann::json& host,
                             const nlohmann::json& gpus);

/// Writes it atomically (temporary file, fsync, rename: a reader sees the
/// old or the new manifest, never a torn one) to manifest_path under
/// `root`, creating /run/pact (0755) when needed, never `root` itself (an
/// error while it is missing). Errors name the path.
status write_manifest(const std::string& root, const nlohmann::json& manifest);

/// Reads the manifest text under `root` and checks that it is a
/// "pact.capability/1" document. Errors: missing ("no capability manifest
/// at PATH yet"), not JSON, another schema.
expected<std::string> read_manifest(const std::string& root);

/// Parses manifest text (as read_manifest checks it).
expected<nlohmann::json> parse_manifest(std::string_view text,
                                        const std::string& where);

/// The GPU poll a manifest records (tool, status, devices, problems), so an
/// agent that restarts compares its first poll with what it saw before.
expected<gpu_poll> gpu_poll_of(const nlohmann::json& manifest);

} // namespace pact::node
