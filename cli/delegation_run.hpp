#pragma once

/// The CLI side of a delegated operation (docs/delegation.md): the
/// journal records and authorizes it (actors/client/delegation.hpp), and
/// on a two-person vCluster the CLI asks for a second person's approval
/// and waits, in the guide's words, as for `pact exec`
/// (approval_wait.hpp: Ctrl-C leaves the request pending, exit 0, and says
/// how to use the grant later with --approval ID).

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/client/delegation.hpp"
#include "cli/commands.hpp"

namespace pact::cli {

/// The call made once the journal recorded the request.
using delegated_call = std::function<expected<nlohmann::json>()>;

/// The text line printed for a success (JSON prints the answer with the
/// entries' sequences).
using delegated_text = std::function<std::string(const nlohmann::json&)>;

/// Runs `op` through the journal and `call`, printing the outcome; the
/// exit code. `redeem` is the command that uses a grant later ("pact drain
/// --approval ID NODE").
int run_delegation(context& ctx, client::delegated_op op,
                   const delegated_call& call, const delegated_text& text,
                   const std::string& redeem);

/// `pact backup create PATH` (backup_command.cpp calls it).
int run_backup_create(context& ctx, const std::string& path);

} // namespace pact::cli
