#pragma once

/// `pact-journal --dump-log`: prints a stopped replica's stored Raft log as
/// JSON lines, for audits and for tests that check no acknowledged write is
/// missing. First line: {"first_index", "last_index", "term", "commit",
/// "snapshot_index", "voters", "learners"}; then one line per entry:
/// {"index", "term", "kind", "data" (hex)}.

#include <ostream>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::replica {

/// Dumps the store in `dir` (which must exist) to `out`.
status dump_log(const std::string& dir, std::ostream& out);

} // namespace pact::replica
