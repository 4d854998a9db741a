#pragma once

/// Text output of `pact cap [NODE]` (docs/cli.md, docs/capabilities.md):
/// the capability manifest ("pact.capability/1") as sections — node and
/// age, CPU, memory, GPUs (one table row per device, health flags last),
/// network, storage, modules, probe errors. `--output json` prints the
/// manifest itself and needs no renderer.
///
/// The manifest comes from a remote agent: every member is read with its
/// type checked (a missing or mistyped member prints as "?" or is left out,
/// never an exception) and every string passes through terminal_safe.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace pact::render {

/// `now_ms` dates the manifest and the GPU poll ("generated 12s ago").
std::string render_capability_text(const nlohmann::json& manifest,
                                   int64_t now_ms);

/// "80.0 GiB", "512 MiB", "3.8 TiB" for a byte count (binary units).
std::string bytes_text(uint64_t bytes);

} // namespace pact::render
