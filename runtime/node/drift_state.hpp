#pragma once

/// Everything the drift watcher knows and must not lose when its actor is
/// restarted (issue 11 items 2 and 6): declared state, the file and scan
/// baselines, the current drift, the episode already recorded and the
/// commit window. The agent owns one drift_state above the actor (in the
/// supervisor's child factory) and hands it to each incarnation, so a
/// restart keeps it; a restarted actor re-walks the tree and compares
/// against it, so changes made while no actor ran are still seen. It is
/// not persisted: after a process restart the node boots from declared
/// state again and takes a new baseline (docs/drift.md says why).
///
/// Expected value of an item: the declared value when the journal declares
/// the key (overlay plus node delta), else its baseline value, else absent
/// (a file or mount that appeared after the baseline is drift). Dimensions
/// without a scanner yet (network, services, packages, gpu) are not
/// compared. Not thread-safe: one actor at a time uses it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include "runtime/common/path_glob.hpp"
#include "runtime/node/commit_window.hpp"
#include "runtime/node/converge.hpp"
#include "runtime/node/drift.hpp"
#include "runtime/node/file_baseline.hpp"
#include "runtime/node/scanners.hpp"

namespace pact::node {

/// Where an observation comes from; each source replaces its own items.
enum class drift_source { files, sysctl, mounts, modules, services };

struct drift_settings {
  /// Host prefix (--root).
  std::string root = "/";
  /// sysctl keys compared against their baseline even when undeclared.
  std::vector<std::string> sysctl_keys;
  baseline_limits limits;
  /// Where the file baseline keeps contents (null: in memory).
  std::shared_ptr<content_store> contents;
  /// Files larger than this get no unified diff.
  size_t diff_max_bytes = 16 * 1024;
  /// A drift episode is recorded once no new item has drifted for this
  /// long, so a burst of writes makes one entry.
  int64_t settle_ms = 300;
  /// Most items in one DRIFT_DETECTED record; more are recorded in further
  /// records at once (the journal refuses a delta over
  /// journal::max_delta_items).
  int max_episode_items = 1024;
  /// agent.drift.test_window_divisor (window_policy::test_divisor).
  uint32_t test_window_divisor = 1;
};

class drift_state {
public:
  explicit drift_state(drift_settings s);

  const drift_settings& settings() const {
    return settings_;
  }

  // --- declared state -----------------------------------------------------

  /// Takes the node's declared state from the journal. An error (nothing
  /// changed) for an item without category or key. Every item is compared
  /// again at once (recompare): drift against a declaration that went
  /// away is then drift against the baseline, or none.
  status set_declared(const protocol::VClusterOverlay& overlay,
                      const protocol::NodeDelta& delta, int64_t now_ms);
  bool declared_known() const {
    return declared_known_;
  }
  const declared_state& declared() const {
    return declared_;
  }
  /// The journal's declared items by (category, key) with their canonical
  /// values (a file's JSON with mode and owner), for converging.
  const declared_values& declared_raw() const {
    return declared_raw_;
  }
  /// The vCluster policy's enforcement mode (UNSPECIFIED resolves to
  /// observe).
  protocol::EnforcementMode enforcement() const {
    return enforcement_;
  }
  /// The vCluster policy's auto_converge_categories: drift in these
  /// dimensions converges once recorded, without waiting for the window.
  const std::set<int>& auto_converge() const {
    return auto_converge_;
  }
  /// The committed node delta's TTL (NodeDelta.delta_expires_unix_ms):
  /// once `now_ms` reaches it, the delta's keys leave the declared state —
  /// a key the overlay declares is expected at the overlay's value again, a
  /// key only the delta declared is expected absent — and are returned,
  /// once per delta (its delta_sequence), for the caller to flag and
  /// converge as on a window expiry (docs/drift.md). Empty otherwise. A new
  /// commit (another delta_sequence) declares its items again.
  std::vector<item_id> expire_delta(int64_t now_ms);
  /// delta_sequence of the delta whose TTL ran out (0 = none).
  uint64_t expired_delta_sequence() const {
    return expired_delta_;
  }
  /// The journal's deadline for this node's window (NodeDelta.
  /// window_ends_unix_ms), when it changed since last seen: the window
  /// follows it (commit_window::follow). An unchanged value changes nothing,
  /// so a stale deadline never reopens a window that closed.
  window_event follow_journal_window(int64_t now_ms);
  /// The node's emergency as the journal holds it (NodeDelta.state is
  /// emergency, for the node's own or its vCluster's): the window enters
  /// emergency mode when it begins (open until now + the policy's
  /// emergency_window_seconds, and new windows that long) and leaves it
  /// when it ends (commit_window::emergency_start / emergency_end; docs/
  /// emergency.md).
  window_event follow_journal_emergency(int64_t now_ms);
  /// The overlay's (replicated) blacklist patterns.
  const std::vector<std::string>& journal_blacklist() const {
    return journal_blacklist_;
  }
  /// Drops drift items of paths the blacklist now excludes.
  void forget_excluded(const blacklist& b);

  /// The overlay and node delta the declared state was built from.
  const protocol::VClusterOverlay& overlay() const {
    return overlay_;
  }
  const protocol::NodeDelta& node_delta() const {
    return node_delta_;
  }
  /// A node commit the journal recorded (`pact commit` of drift): merged
  /// into the node delta as the journal merges it, so the committed items
  /// stop drifting at once, before the journal link's next update. Items
  /// it declares first keep what they drifted from as their earlier value
  /// (note_undeclared).
  void apply_committed(const protocol::StateDelta& recorded, int64_t now_ms);
  /// The node delta's items replaced (a rollback): declared state is the
  /// overlay with `items` over it from now on.
  void set_node_items(const protocol::NodeDelta& delta, int64_t now_ms);
  /// What items held before the agent's boot applied them
  /// (undeclare.hpp read_before); the first value of an item wins. An item
  /// nothing declares is expected at it rather than at the walk's or the
  /// scan's baseline, which may have been taken after the boot wrote it.
  void note_undeclared(const observed_items& before);
  /// What a restore wrote (restore_core.hpp; its applied steps): the
  /// periodic sources take it as their latest scan, so that comparing
  /// again before the next scan does not find the value the restore
  /// replaced (a false drift episode). Files are read from the disk anyway.
  void note_restored(const std::vector<step_result>& done);
  /// Compares every item again after declared state changed: the last
  /// scan of each periodic source, declared files and drifting files.
  void recompare(int64_t now_ms);

  // --- observations -------------------------------------------------------

  /// True once the first full walk has recorded the file baseline.
  bool baseline_taken() const {
    return baseline_taken_;
  }
  void mark_baseline_taken() {
    baseline_taken_ = true;
  }

  /// A file seen by a walk or an event: before the baseline is taken it is
  /// recorded, afterwards compared. An unreadable file is left as it was
  /// (its error is returned for the log); so is every file while the root
  /// itself cannot be opened (moved away: file_baseline.hpp
  /// read_node_file). Paths resolve inside the root as writes do; the
  /// place a declared file resolves to through a symlinked directory is
  /// that declared item, not a file of its own.
  status observe_file(const std::string& node_path, int64_t now_ms);

  /// After a full walk (a restarted actor, an overflow rescan): files the
  /// baseline or the drift knows that the walk did not see were deleted
  /// meanwhile; each is compared (as absent) unless `excluded` now covers
  /// it.
  void reconcile_walk(const std::set<std::string>& seen,
                      const blacklist& excluded, int64_t now_ms);

  /// A directory went away: re-checks every known file under it.
  void observe_gone_dir(const std::string& dir, int64_t now_ms);

  /// Declared files not yet compared (call after set_declared and on each
  /// periodic scan: a declared file may lie outside the watched tree).
  void observe_declared_files(int64_t now_ms);

  /// One scan of a periodic source: its first scan is its baseline.
  void observe_source(drift_source src, const observed_items& items,
                      int64_t now_ms);

  /// What the service supervisor reports (docs/services.md): `problems`
  /// maps a declared service that is failing (crashed and restarting, or
  /// failed for good) to what it is doing ("backoff: exited with status
  /// 3; restarting in 5 s"). A declared service not named there agrees
  /// with its declaration; services are observed only as declared, so
  /// there is no baseline of undeclared ones (a service whose declaration
  /// went was stopped, not drifted).
  void observe_services(const std::map<std::string, std::string>& problems,
                        int64_t now_ms);

  /// The sysctl keys to read: declared kernel keys (not modules) and the
  /// configured set.
  std::vector<std::string> sysctl_keys() const;

  // --- drift, episodes, window --------------------------------------------

  std::vector<drift_item> items() const;
  /// The drifted item `id`, or null when it does not drift.
  const drift_item* find(const item_id& id) const;
  /// What `id` holds when nothing declares it: what it held before the
  /// boot applied it (note_undeclared), else the file baseline or the
  /// first scan of its source; nullopt when none knows it.
  std::optional<item_value> baseline(const item_id& id) const;
  /// What `id` holds now as far as the agent knows: the drifted item's
  /// actual value, else what is expected (declared, else baseline, else
  /// absent).
  item_value actual(const item_id& id) const;
  size_t item_count() const {
    return drift_.size();
  }
  double magnitude() const;
  /// File content held by drifted items' actual values. Bounded by
  /// limits.max_total_bytes: beyond it actual values are kept as hashes
  /// (shown as changed, no diff), so a tree unpacked under the root cannot
  /// make the agent hold its content.
  size_t actual_content_bytes() const {
    return actual_bytes_;
  }

  /// The items to record as one DRIFT_DETECTED entry now, if any: items
  /// that drifted since the last record of this episode, once none has
  /// been added for settle_ms, at most max_episode_items at a time (call
  /// again for the rest). Marks them recorded. When drift is gone the
  /// episode ends (and the window closes).
  std::optional<protocol::StateDelta> take_episode(int64_t now_ms);

  /// True once after a recorded episode ended (its drift is gone:
  /// committed, converged or undone), for the caller to record.
  bool take_resolution();

  /// The drifted items not yet handed to converge in this episode, marked
  /// handed (a window that expired under enforce converges each item once;
  /// what could not be restored is not retried until the episode ends).
  std::vector<drift_item> take_unconverged();
  /// take_unconverged for the auto_converge() dimensions, among the items
  /// already recorded in this episode (the journal hears of the drift
  /// before it hears of its convergence).
  std::vector<drift_item> take_auto_converge();
  /// `items` were flagged in a record of their own (a node delta's TTL ran
  /// out): they are not recorded again as drift, their resolution is, and
  /// with `converged` they are not handed to converge again this episode.
  void mark_flagged(const std::vector<drift_item>& items, bool converged);
  /// The drifted items among `ids`.
  std::vector<drift_item> items_of(const std::vector<item_id>& ids) const;

  commit_window& window() {
    return window_;
  }
  const commit_window& window() const {
    return window_;
  }

  /// The agent API's answer (items sorted; unified diffs for small text
  /// files). `fallback` = subtrees on periodic scans.
  protocol::DriftReply reply(const std::string& node,
                             const std::set<std::string>& fallback) const;

private:
  struct entry {
    drift_item item;
    drift_source source;
  };
  void erase(std::map<item_id, entry>::iterator it);
  void update(drift_source src, const item_id& id, const item_value& expected,
              const item_value& actual, bool from_journal, int64_t now_ms);
  /// The expected value of a file, and whether it came from the journal.
  std::pair<item_value, bool> expected_file(const std::string& path,
                                            const item_value& actual) const;
  status rebuild_declared(int64_t now_ms);
  /// Keys of the declared files.
  std::vector<std::string> declared_files() const;
  /// recompare, and the files in `was` (declared before a change) that are
  /// no longer declared.
  void recompare_after(const std::vector<std::string>& was, int64_t now_ms);
  /// observe_file of `node_path` itself.
  status compare_file(const std::string& node_path, int64_t now_ms);
  /// The declared file `node_path` is the resolved place of, if any.
  std::optional<std::string> declared_through(const std::string& node_path);

  /// Recomputes declared_ and declared_raw_ from `overlay` and `delta`
  /// (without the delta's items once it expired); nothing changes on error.
  status rebuild_declared(const protocol::VClusterOverlay& overlay,
                          const protocol::NodeDelta& delta);

  drift_settings settings_;
  /// delta_sequence of the delta whose TTL ran out (0 = none).
  uint64_t expired_delta_ = 0;
  declared_values declared_raw_;
  protocol::EnforcementMode enforcement_ = protocol::ENFORCEMENT_MODE_OBSERVE;
  /// NodeDelta.window_ends_unix_ms as received, and as last followed.
  int64_t journal_window_ends_ = 0;
  bool journal_emergency_ = false;
  int64_t followed_window_ends_ = 0;
  bool resolution_pending_ = false;
  std::set<item_id> converged_;
  std::set<int> auto_converge_;
  declared_state declared_;
  protocol::VClusterOverlay overlay_;
  protocol::NodeDelta node_delta_;
  bool declared_known_ = false;
  /// The latest scan of each periodic source (recompare).
  std::map<drift_source, observed_items> last_scan_;
  /// The service supervisor's last report (observe_services).
  std::map<std::string, std::string> service_problems_;
  std::vector<std::string> journal_blacklist_;
  file_baseline files_;
  /// Resolved node path -> declared file key, for declared files whose
  /// parent directories hold a symlink (observe_file).
  std::map<std::string, std::string> aliases_;
  bool baseline_taken_ = false;
  std::map<drift_source, observed_items> scan_baseline_;
  /// note_undeclared.
  observed_items undeclared_;
  std::map<item_id, entry> drift_;
  std::set<item_id> recorded_;
  size_t actual_bytes_ = 0;
  int64_t last_new_ms_ = 0;
  int64_t observed_ms_ = 0;
  commit_window window_;
};

} // namespace pact::node
