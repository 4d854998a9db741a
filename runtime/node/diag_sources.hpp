#pragma once

/// Where `pact diag` reads on a node (issue 12 item 6; docs/agent.md,
/// "Diag"): the kernel ring buffer and the syslog files, each scanned once
/// through a line_filter into a line_tail, so that memory is bounded by the
/// lines asked for whatever the size of the source. Blocking reads: the
/// agent calls these on a detached actor, never on a scheduler thread.
/// Paths are node paths, resolved under the agent's --root as exec resolves
/// programs (exec_rules.hpp resolve_in_root: symlinks followed, never out
/// of the root). A source
/// that cannot be read is a block with a `note`, not an error: the other
/// sources are still worth showing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/node/diag_filter.hpp"

namespace pact::node {

/// One source's lines as the agent answers them (protocol DiagBlock).
struct diag_block {
  std::string source;
  std::vector<std::string> lines;
  bool truncated = false;
  std::string note;
  /// The source does not exist on this node (`note` says so too).
  bool missing = false;
};

/// The line of a /dev/kmsg record "PRI,SEQ,USEC,FLAGS;TEXT" as dmesg(1)
/// shows it, "[SECONDS.MICROS] TEXT" (seconds since boot, padded to five
/// digits); a line in no record form is returned as it is, and a record's
/// continuation line (" KEY=VALUE", dictionary data) is nullopt.
std::optional<std::string> kmsg_line(std::string_view record);

/// Reads the kernel ring buffer at node path `path` (/dev/kmsg: opened
/// non-blocking, one record per read, until there is no more, records
/// overwritten while reading skipped; a regular file holding records, for
/// tests, read the same way to its end), at most `max_bytes`. Lines go
/// through kmsg_line, then `f`; the newest `keep` are the block "dmesg".
diag_block read_kmsg(const std::string& root, const std::string& path,
                     const line_filter& f, size_t keep, size_t max_bytes);

/// The newest `keep` lines of the text file at node path `path` that `f`
/// matches, scanning at most its last `max_bytes` (the block is then
/// marked truncated: older lines were not looked at). `source` names the
/// block. Bytes that are not UTF-8 are written \xNN.
diag_block read_log_tail(const std::string& source, const std::string& root,
                         const std::string& path, const line_filter& f,
                         size_t keep, size_t max_bytes);

/// Drops the oldest lines of the largest blocks until the lines of all
/// `blocks` together hold at most `max_bytes`; each block that lost lines
/// is marked truncated. A bound on one answer however many sources and
/// services a node has.
void fit_blocks(std::vector<diag_block>& blocks, size_t max_bytes);

} // namespace pact::node
