#pragma once

/// `pact commit -m MSG NODE` without --set (issue 11 item 3; the seed's
/// "Commit drift"): the node's live drift becomes its node delta. Pure
/// except for the file metadata seam.
///
/// The caller sends back the drift items it was shown. Each must still
/// drift with the same declared and actual values, or the commit is a
/// CONFLICT (exit 4) naming the item: a file changed again between report
/// and commit is never recorded with a value nobody saw. The COMMIT then
/// carries one item per drift item (SET of the actual value, REMOVE of an
/// item that is gone) and, per item, the condition that the journal still
/// holds what the agent compared against (JournalCommand.expect_previous:
/// the declared value, or unset for an item only the baseline knew), so a
/// change of the node's declared state in between is a CONFLICT as well.
///
/// What cannot be committed by value (refused, exit 1, naming every such
/// item): a file known only by its hash (over agent.drift.
/// baseline_max_file_bytes, or beyond the drift's content budget), a file
/// that is not UTF-8 text, a symlink, a loaded kernel module.
///
/// A file is committed like an overlay file item (docs/spec.md): canonical
/// JSON {"content", "group", "mode", "owner"} with the file's mode, and its
/// owner and group when their names are known.

#include <functional>
#include <optional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/node/drift_state.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::node {

struct file_meta {
  /// Octal, 4 digits ("0644").
  std::string mode = "0644";
  /// Names; empty when unknown (the apply backend then uses root).
  std::string owner;
  std::string group;
};

/// Mode and owner of a node path; nullopt when it cannot be read.
using file_meta_reader
  = std::function<std::optional<file_meta>(const std::string& node_path)>;

/// lstat under `root`, names from the user and group databases.
file_meta_reader host_file_meta(const std::string& root);

/// The canonical file item value for `content` with `meta`.
std::string file_item_value(const std::string& content, const file_meta& meta);

/// The COMMIT of `req.items` to `node` (scope, message, ttl, client
/// request id from `req`), or the refusal: exit_code::conflict for an item
/// that no longer drifts as shown, general_error for an empty request or
/// items that cannot be committed by value.
expected<protocol::JournalCommand>
drift_commit_command(const drift_state& s,
                     const protocol::DriftCommitRequest& req,
                     const std::string& node, const file_meta_reader& meta);

} // namespace pact::node
