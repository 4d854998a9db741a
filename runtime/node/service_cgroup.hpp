#pragma once

/// A service's cgroup v2 placement (docs/services.md, "Cgroups"): a
/// declared `cgroup_slice` puts the service in ROOT/sys/fs/cgroup/SLICE/
/// NAME (the slice directory is created when missing) and a declared
/// `cgroup_memory_max` is written to its memory.max. Every path is under
/// --root, so tests give the agent a cgroup tree of plain files. Where the
/// host does not allow it (no cgroup v2 at ROOT/sys/fs/cgroup, not
/// writable), the service runs without it and the reason is logged: a
/// limit the host cannot apply must not keep a node's service down.

#include <string>
#include <sys/types.h>

#include "runtime/common/error.hpp"
#include "runtime/node/service_plan.hpp"

namespace pact::node {

/// cgroup v2 memory.max text for a declared limit: bytes, or a number with
/// a K, M, G or T suffix (powers of 1024, as systemd's MemoryMax=), or
/// "max". An error names the value.
expected<std::string> memory_max_bytes(const std::string& declared);

/// Where the service's cgroup is (host path), or "" when it declares
/// neither a slice nor a memory limit. A slice that is not one path
/// component of [A-Za-z0-9._@:+-] (no `/`, no `..`) is an error. A memory
/// limit without a slice uses the slice "pact.slice".
expected<std::string> cgroup_dir(const std::string& root,
                                 const service_spec& spec);

/// Creates the cgroup, sets memory.max, and moves `pid` into it. "" when
/// done, else why it was skipped (the caller logs it; the service runs on).
std::string place_in_cgroup(const std::string& root, const service_spec& spec,
                            pid_t pid);

} // namespace pact::node
