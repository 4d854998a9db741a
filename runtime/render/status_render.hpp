#pragma once

/// Output of `pact status`: an aligned text table per actor tree, or stable
/// JSON (documented in docs/cli.md).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pact/protocol/api.pb.h>

namespace pact::render {

/// "3s ago", "2m ago", "1h ago" for an age in milliseconds.
std::string age_text(int64_t age_ms);

/// Rows as aligned columns (two-space indent and gutters; the last column
/// is not padded). Every cell passes through terminal_safe
/// (runtime/common/terminal_text.hpp), so remote text can neither carry a
/// control sequence nor break the row.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

/// Text rendering of a status reply; `now_ms` dates last-activity columns.
/// Every remote field is neutralised (terminal_safe).
std::string render_status_text(const protocol::StatusReply& reply,
                               int64_t now_ms);

/// JSON rendering of a status reply.
nlohmann::json render_status_json(const protocol::StatusReply& reply);

/// JSON form of one actor tree.
nlohmann::json tree_json(const protocol::HealthTree& tree);

} // namespace pact::render
