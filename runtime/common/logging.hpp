#pragma once

/// Logging through spdlog. Every binary calls `init_logging` once with the
/// effective level (--log-level, else PACT_LOG, else the config file).
/// Logs go to stderr so that stdout stays machine-readable.

#include <string>
#include <string_view>

#include "runtime/common/error.hpp"

namespace pact {

/// Installs the default logger named after `component` ("journal", ...).
/// Fails on an unknown level name.
status init_logging(std::string_view component, std::string_view level);

} // namespace pact
