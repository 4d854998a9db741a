#pragma once

/// Logging through spdlog. Every binary calls `init_logging` once with the
/// effective level (--log-level, else PACT_LOG, else the config file) and
/// format (--log-format, else PACT_LOG_FORMAT, else the config file).
/// Logs go to stderr so that stdout stays machine-readable.
///
/// Formats:
/// - "text": `2026-12-01T15:50:01.123 journal info MESSAGE` (local time).
/// - "json": one JSON object per line, for log shippers:
///   {"time": "2026-12-01T14:50:01.123Z" (UTC), "level": "info",
///    "component": "journal", "message": "...", "request_id": "..."}.
///   `request_id` is present when the message is about one client request:
///   such messages start with "request ID " (request_line below), the ID
///   being the Request.request_id the client chose and shows in its own
///   error message (docs/operations.md, "Logs"), so an operator can find
///   the journal's line for a failed command.

#include <string>
#include <string_view>

#include "runtime/common/error.hpp"

namespace pact {

/// Installs the default logger named after `component` ("journal", ...).
/// Fails on an unknown level or format name.
status init_logging(std::string_view component, std::string_view level,
                    std::string_view format = "text");

/// Whether init_logging chose the json format (a daemon's last words then
/// go through the logger too, so that every line of its log is JSON).
bool logging_as_json();

/// The request id a log message names ("request ID ..."), or empty.
std::string_view request_id_of(std::string_view message);

/// One log line's JSON (without the newline); `time` is RFC 3339 UTC.
std::string json_log_line(std::string_view time, std::string_view level,
                          std::string_view component, std::string_view message);

} // namespace pact
