#pragma once

/// Deterministic building blocks of the configuration state machine:
/// canonical item maps, delta validation and application, scope keys,
/// names, and hashing over deterministic protobuf encodings. No clocks, no
/// randomness, no unordered containers: every function returns the same
/// bytes on every replica for the same input.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <google/protobuf/repeated_ptr_field.h>

#include <pact/protocol/journal.pb.h>

#include "runtime/policy/scope_text.hpp"

namespace pact::journal {

/// Upper bounds on command contents (STYLE.md: put a limit on everything).
inline constexpr size_t max_message_bytes = 4096;
inline constexpr size_t max_key_bytes = 4096;
inline constexpr size_t max_value_bytes = 1 << 20;
inline constexpr int max_delta_items = 4096;
inline constexpr int max_overlays_per_command = 256;
inline constexpr size_t max_name_bytes = 63;

/// Identity of an item: (category, key). Ordered, so maps iterate in the
/// canonical order (category number, then key bytes).
using item_key = std::pair<int, std::string>;

/// Items by identity; at most one item per key.
using item_map = std::map<item_key, protocol::DeltaItem>;

using item_list = google::protobuf::RepeatedPtrField<protocol::DeltaItem>;

/// The key of `item`.
item_key key_of(const protocol::DeltaItem& item);

/// "kernel:vm.swappiness": the CLI's CATEGORY:KEY syntax (docs/cli.md), key
/// cut to 80 bytes, so that a refusal reads like the flag that caused it and
/// never shows a protobuf enum name.
std::string describe(const item_key& key);
std::string describe(const protocol::DeltaItem& item);

/// Items of a canonical list (later duplicates overwrite earlier ones).
item_map to_map(const item_list& items);

/// Writes `items` to `out` in canonical order, replacing its contents.
void to_list(const item_map& items, item_list* out);

/// Checks a delta from a command: bounded size; every item has a category,
/// an action other than SET (a commit resolves SET first) and a key;
/// removes carry no value; no key appears twice.
/// Returns an empty string when valid, else a message naming the item.
std::string validate_delta(const protocol::StateDelta& delta);

/// Checks a delta against declared items (vCluster and global commits):
/// ADD needs an absent key, MODIFY and REMOVE a present one. Empty when
/// valid.
std::string check_declared(const item_map& declared,
                           const protocol::StateDelta& delta);

/// Applies a delta to declared items: ADD/MODIFY store the value (as an
/// ADD item without `previous`), REMOVE erases. Precondition: the delta
/// passed validate_delta.
void apply_declared(item_map& declared, const protocol::StateDelta& delta);

/// Merges a node delta: each item replaces the committed item of its key,
/// keeping its action (a node delta says how the node differs from its
/// overlay, so a REMOVE is remembered, not applied).
void merge_node(item_map& committed, const protocol::StateDelta& delta);

/// merge_node on a canonical list, in place: the same result as
/// to_list(merge_node(to_map(list), delta)) without copying every item
/// (a node commit is on the journal's hot path).
void merge_node_list(item_list* committed, const protocol::StateDelta& delta);

/// The change from `from` to `to`, for people: ADD for new keys, REMOVE
/// (with `previous`) for vanished ones, MODIFY when the stored item
/// differs. Canonical order.
protocol::StateDelta diff_items(const item_map& from, const item_map& to);

/// "global", "vc:NAME" or "node:NAME" (runtime/policy/scope_text.hpp).
using policy::scope_key;

/// Scope helpers.
protocol::Scope global_scope();
protocol::Scope vcluster_scope(const std::string& name);
protocol::Scope node_scope(const std::string& name);

/// A vCluster or node name: 1..63 bytes of [A-Za-z0-9._-], not starting
/// with '.' or '-'.
bool valid_name(const std::string& name);

/// Why `key` cannot name an item of `category` on a node; empty when it
/// can. Files and mounts: an absolute path to something under the node's
/// root other than "/" itself, with no "." or ".." component (nothing declared
/// may leave
/// --root, docs/spec.md). Kernel (sysctl): the agent's rule for keys,
/// letters, digits and _-.:/ in non-empty components that are not "..",
/// split at '/' when the key has one, else at '.'. Other categories: no
/// rule. Checked where declarations are written (the spec reader, `pact
/// commit --set`), not in validate_delta: that runs in the replicated
/// apply, and entries a journal already holds must replay as they did.
std::string key_shape_error(protocol::DeltaCategory category,
                            const std::string& key);

/// `cmd` as one or more commands whose state deltas each hold at most
/// `max_items` items and about `max_bytes` of them (one item, however
/// large, per part at least), so that a node's record of many items (an
/// auto-converge that restored 20,000 files) stays within max_delta_items
/// and the request size instead of being refused. A command within both
/// bounds comes back as it is. Otherwise each part keeps the kind, scope
/// and other fields, its message gains " (part i of n)", and a
/// client_request_id gains "/i" (cut to `max_id_bytes` first, so a retry of
/// a part is still applied once).
std::vector<protocol::JournalCommand>
split_delta(protocol::JournalCommand cmd, int max_items, size_t max_bytes,
            size_t max_id_bytes);

/// The message encoded with deterministic serialization (stable field
/// order; maps sorted), so equal messages give equal bytes.
std::string deterministic_bytes(const google::protobuf::MessageLite& msg);

/// Raw 32-byte SHA-256 of `data`.
std::string sha256(const std::string& data);

/// Lower-case hex of `bytes`.
std::string to_hex(const std::string& bytes);

} // namespace pact::journal
