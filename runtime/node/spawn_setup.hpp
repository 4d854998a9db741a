#pragma once

/// What every program the agent starts gets (the GPU tool, services, later
/// exec): posix_spawn attributes for a process group of its own (stopping
/// it stops what it started) with an empty signal mask and default
/// dispositions. The agent blocks its shutdown signals in every thread (the
/// daemon waits for them with sigwait) and may ignore SIGPIPE: a child must
/// inherit neither.

#include <spawn.h>

namespace pact::node {

/// Initialises `attr` (the caller destroys it with posix_spawnattr_destroy).
void init_child_attr(posix_spawnattr_t* attr);

} // namespace pact::node
