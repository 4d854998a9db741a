#pragma once

/// `pact log --export FILE` and `pact log --verify --file FILE`
/// (docs/cli.md "pact log": export and offline verification).

#include "cli/options.hpp"

namespace pact::cli {

/// Time bounds of --since/--until, ms since the epoch (0 = none).
struct log_window {
  int64_t since_unix_ms = 0;
  int64_t until_unix_ms = 0;
};

/// Exports the journal (or the contiguous run covering `w`) to the
/// --export file; nothing is left at the path on failure.
int run_log_export(context& ctx, const log_window& w);

/// Verifies the --file export offline: no journal, no token.
int run_log_verify_file(context& ctx);

} // namespace pact::cli
