#pragma once

/// The configuration schemas of pact-journal (/etc/pact/journal.toml),
/// pact-agent (/etc/pact/agent.toml) and the pact CLI
/// (~/.config/pact/cli.toml). docs/configuration.md documents every key; the
/// test suite checks the two agree.

#include "runtime/common/config.hpp"

namespace pact::config {

/// Default configuration file locations.
inline constexpr const char* journal_config_path = "/etc/pact/journal.toml";
inline constexpr const char* agent_config_path = "/etc/pact/agent.toml";
inline constexpr const char* cli_config_path = "~/.config/pact/cli.toml";

const schema& journal_schema();
const schema& agent_schema();
const schema& cli_schema();

/// The log levels accepted by --log-level and PACT_LOG.
const std::vector<std::string>& log_levels();

} // namespace pact::config
