#pragma once

/// `pact log --emergency [--scope S] [--since T] [--until T] [-n N]
/// [--stale]`: the regulated audit of emergencies (issue 14 item 5;
/// operator guide, "Audit implications"): each emergency with who started
/// it, when and why, every entry written under it (commands run, changes
/// made, approvals skipped), and who ended it and how.

#include "actors/client/journal_session.hpp"
#include "cli/options.hpp"

namespace pact::cli {

struct log_window;

/// Prints the audit for `q` (limit = emergencies, newest first).
int run_log_emergency(context& ctx, client::journal_session& s,
                      const client::log_query& q);

} // namespace pact::cli
