#pragma once

/// The agent's cache of the last applied boot configuration (issue 11
/// item 1): an LMDB environment in <state-dir>/boot-cache holding the
/// vCluster overlay, the node delta and when they were applied, written in
/// one transaction (a crash leaves the old set or the new one, never a mix).
/// With every journal replica down the agent boots from it.
///
/// Contract: open() creates the folder (0700) and the environment; errors
/// name the path and LMDB's reason and are operating errors (an unwritable
/// state dir, a full disk). One process at a time: the agent holds the
/// environment open for its lifetime. Not thread-safe; the journal link
/// actor owns it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/common/error.hpp"

namespace pact::node {

/// What the cache holds.
struct cached_boot {
  protocol::VClusterOverlay overlay;
  protocol::NodeDelta node_delta;
  /// When it was applied, ms since the Unix epoch.
  int64_t applied_unix_ms = 0;
  /// The node it was applied to (empty in caches written before it was
  /// kept): a state directory copied to or shared with another node must
  /// not configure that node as this one.
  std::string node_id;
};

class boot_cache {
public:
  /// Opens (creating) the cache under `dir`.
  static expected<std::unique_ptr<boot_cache>> open(const std::string& dir);

  ~boot_cache();
  boot_cache(const boot_cache&) = delete;
  boot_cache& operator=(const boot_cache&) = delete;

  /// Replaces the cached set (one durable transaction).
  status store(const cached_boot& b);

  /// The cached set; nullopt when nothing was stored yet. An error when a
  /// stored value does not parse (a damaged cache is reported, not used).
  expected<std::optional<cached_boot>> load() const;

  // -- the journal link's outbox (docs/agent.md, "Outbox") -----------------
  //
  // Node commands (serialized JournalCommands) the journal has not accepted
  // yet, kept in the same environment under "outbox/<id>" (ids zero-padded,
  // so that LMDB's key order is their order): they survive an agent stop
  // and are replayed in order after a restart. Each put and erase is one
  // durable transaction. The bound and overflow policy are the link's.

  /// Keeps `command` under `id` (replacing one kept under it).
  status outbox_put(uint64_t id, const std::string& command);
  /// Forgets `id` (nothing when it is not kept).
  status outbox_erase(uint64_t id);
  /// Everything kept, in id order.
  expected<std::vector<std::pair<uint64_t, std::string>>> outbox_load() const;

  const std::string& path() const {
    return path_;
  }

private:
  struct env;
  explicit boot_cache(std::string path, std::unique_ptr<env> e);

  std::string path_;
  std::unique_ptr<env> env_;
};

} // namespace pact::node
