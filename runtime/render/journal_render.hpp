#pragma once

/// Text and JSON renderings of the journal's data (entries, items,
/// overlays, node records, policies) shared by the `pact` CLI and
/// pact-mcp. The JSON shapes are documented in docs/cli.md and are stable:
/// fields are only ever added.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// "commit", "rollback", "overlay-apply", … (the names `pact log` prints).
std::string entry_type_name(protocol::EntryType t);
/// "mounts", "files", "network", "services", "kernel", "packages", "gpu".
std::string category_name(protocol::DeltaCategory c);
/// Inverse of category_name; also accepts "sysctl" for kernel.
std::optional<protocol::DeltaCategory> parse_category(const std::string& s);
/// "add", "remove", "modify".
std::string action_name(protocol::DeltaAction a);
/// "observe-only", "committed", "drifted", "converging", "emergency".
std::string node_state_name(protocol::NodeState s);
/// "global", "vc:NAME", "node:NAME".
std::string scope_text(const protocol::Scope& s);
/// ISO 8601 UTC with seconds: "2026-11-22T22:01:03Z".
std::string time_text(int64_t unix_ms);
/// One line for an item: "kernel vm.nr_hugepages = 2048 (was 1024)";
/// key and values pass through terminal_safe (a value's newlines show as
/// `\n`).
std::string item_text(const protocol::DeltaItem& item);

nlohmann::json item_json(const protocol::DeltaItem& item);

/// "pending", "approved", "denied", "expired", "used".
std::string approval_state_name(protocol::ApprovalState s);
/// The prominent mark `pact log` puts before an entry's message (issue 14
/// item 5): "[EMERGENCY START] ", "[EMERGENCY 17, NO APPROVAL (emergency)] ",
/// "[APPROVAL ap-k7qz2m4x pending] "; empty for other entries.
std::string entry_mark(const protocol::ConfigEntry& e);
nlohmann::json entry_json(const protocol::ConfigEntry& e);

/// An exec-log entry's exec (argv escaped to UTF-8 with \xNN).
nlohmann::json exec_json(const protocol::ExecRecord& x);
nlohmann::json policy_json(const protocol::VClusterPolicy& p);
nlohmann::json overlay_json(const protocol::VClusterOverlay& o);
nlohmann::json node_json(const protocol::NodeRecord& n);

/// `pact log` as an aligned table (SEQ TIME TYPE SCOPE AUTHOR MESSAGE),
/// in the given order; every cell neutralised by render_table.
std::string render_entries_text(const std::vector<protocol::ConfigEntry>& es);

/// The sequences a command reply appended, as text: "42", "42-44", or "-"
/// when it appended none.
std::string sequences_text(const protocol::CommandReply& reply);

} // namespace pact::render
