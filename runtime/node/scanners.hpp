#pragma once

/// Periodic scanners of the node's non-file state, read through --root so
/// tests put fixtures where /proc would be (issue 11 item 2). Each returns
/// the observed items of its source, keyed as the drift core keys them
/// (runtime/node/drift.hpp). The parsers are pure and tested on recorded
/// files; the readers only add the file access.

#include <map>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/node/drift.hpp"

namespace pact::node {

/// Observed items of one source: present items only.
using observed_items = std::map<item_id, item_value>;

/// The file under `root` that holds sysctl `key`: "vm.nr_hugepages" ->
/// ROOT/proc/sys/vm/nr_hugepages. '.' and '/' both separate (sysctl(8)
/// accepts either; '/' is how a key names an interface such as eth0.100).
/// An error for a key that is empty, has an empty or ".." component, or
/// characters other than [A-Za-z0-9_.:/-] (it must not leave /proc/sys).
expected<std::string> sysctl_path(const std::string& root,
                                  const std::string& key);

/// Reads `keys` (kernel dimension); a key whose file is missing is absent,
/// an unreadable one too (write-only keys such as vm.drop_caches). A bad
/// key is skipped (config and overlay validation report it).
observed_items scan_sysctl(const std::string& root,
                           const std::vector<std::string>& keys);

/// Parses /proc/mounts text: mounts dimension, key = mount point (octal
/// escapes such as \040 decoded), value = canonical JSON {"options",
/// "read_only", "source", "type"}. The last mount on a point wins (it is the
/// one in effect). Malformed lines are skipped.
observed_items parse_mounts(const std::string& text);

/// Reads ROOT/proc/self/mounts, else ROOT/proc/mounts; an error when
/// neither can be read (the mounts dimension is then not observed).
expected<observed_items> scan_mounts(const std::string& root);

/// Parses /proc/modules text: kernel dimension, key "module:NAME", value
/// "loaded".
observed_items parse_modules(const std::string& text);

/// Reads ROOT/proc/modules; an error when it cannot be read.
expected<observed_items> scan_modules(const std::string& root);

} // namespace pact::node
