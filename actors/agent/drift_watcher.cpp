#include "actors/agent/drift_watcher.hpp"

#include <algorithm>
#include <set>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/agent_metrics.hpp"
#include "actors/agent/drift_operator.hpp"
#include "actors/agent/service_atoms.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/auto_converge.hpp"
#include "runtime/node/inotify_tree.hpp"
#include "runtime/node/scanners.hpp"
#include "runtime/node/undeclare.hpp"
#include "runtime/node/window_rules.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;
using node::drift_source;

struct watcher_data {
  supervision::health_handle h;
  drift_watcher_config cfg;
  std::unique_ptr<node::inotify_tree> tree;
  pact::blacklist excluded;
  /// The journal patterns `excluded` was built with.
  std::vector<std::string> journal_patterns;
  /// Why file watching is impaired (empty: it is not).
  std::string problem;
  /// agent.drift.watch_roots that do not exist (yet): reported, and
  /// watched once created (follow_watch_roots).
  std::vector<std::string> missing_roots;
  /// --root is not a directory (moved away or removed): nothing under it
  /// is observed, and nothing is converged into it, until it is back.
  bool root_gone = false;
  /// What converging writes through (made once per incarnation).
  node::backend_map backends;
  /// This actor, for the notifier thread's messages (weak: the tree it
  /// hands it to is part of this actor's state).
  caf::weak_actor_ptr me;
  /// The poll timer armed last (older ones are ignored when they fire) and
  /// whether it runs at the busy rate.
  uint64_t tick = 0;
  bool tick_busy = false;

  node::drift_state& state() {
    return cfg.shared->state;
  }
  int64_t now() const {
    return cfg.wall->now_unix_ms();
  }
};

using shared = std::shared_ptr<watcher_data>;

/// Walks the whole tree: the process's first walk takes the baseline, a
/// later one (restart, overflow, blacklist change) compares and notices
/// files deleted meanwhile. `rescan` starts a fresh inotify instance.
void walk_all(const shared& d, bool rescan) {
  auto t = d->now();
  std::set<std::string> seen;
  auto on_file = [&](const std::string& p) {
    seen.insert(p);
    if (auto st = d->state().observe_file(p, t); !st)
      spdlog::debug("drift: {}", terminal_safe(st.err().message));
  };
  if (!rescan) {
    d->tree->walk(on_file);
  } else if (auto st = d->tree->rescan(on_file); !st) {
    d->problem = st.err().message;
    d->tree.reset();
    return;
  }
  if (!d->state().baseline_taken()) {
    d->state().mark_baseline_taken();
    spdlog::info("drift: baseline of {} files, {} directories watched",
                 seen.size(), d->tree->watch_count());
  } else {
    d->state().reconcile_walk(seen, d->excluded, t);
  }
  d->problem.clear();
  if (!d->tree->fallback_roots().empty())
    spdlog::warn("drift: inotify watch limit reached; periodic hash scans "
                 "cover {} subtree(s)",
                 d->tree->fallback_roots().size());
}

/// Notices watch roots that are missing, and ones created since: the tree
/// starts over to watch them (their files then compare as new, i.e. drift).
/// True when it dropped the tree for that.
bool follow_watch_roots(const shared& d) {
  std::vector<std::string> missing;
  std::error_code ec;
  for (const auto& r : d->cfg.watch_roots)
    if (!std::filesystem::is_directory(
          node::under_root(d->state().settings().root, r), ec))
      missing.push_back(r);
  if (missing == d->missing_roots)
    return false;
  for (const auto& r : missing)
    if (std::find(d->missing_roots.begin(), d->missing_roots.end(), r)
        == d->missing_roots.end())
      spdlog::warn("drift: watch root {} (agent.drift.watch_roots) does not "
                   "exist; it is watched once created",
                   terminal_safe(r));
  bool created = missing.size() < d->missing_roots.size() && d->tree;
  if (created) {
    spdlog::info("drift: a missing watch root was created; watching it");
    d->tree.reset();
  }
  d->missing_roots = std::move(missing);
  return created;
}

/// Whether --root names a directory; says so when it stopped doing so.
bool check_root(const shared& d) {
  const auto& root = d->state().settings().root;
  std::error_code ec;
  if (std::filesystem::is_directory(root, ec)) {
    if (d->root_gone)
      spdlog::info("drift: {} is back; rescanning it", terminal_safe(root));
    d->root_gone = false;
    return true;
  }
  auto problem = root
                 + " is gone (was it removed or moved?); drift is not "
                   "watched or converged until it is back";
  if (problem != d->problem)
    spdlog::warn("drift: {}", terminal_safe(problem));
  d->problem = std::move(problem);
  d->root_gone = true;
  d->tree.reset();
  return false;
}

void start_tree(const shared& d) {
  if (!check_root(d))
    return;
  node::tree_options o;
  o.root = d->state().settings().root;
  o.watch_roots = d->cfg.watch_roots;
  o.excluded = d->excluded;
  o.max_watches = d->cfg.max_watches;
  auto t = node::inotify_tree::open(std::move(o));
  if (!t) {
    d->problem = t.err().message + "; file drift is not watched";
    spdlog::warn("drift: {}", d->problem);
    return;
  }
  d->tree = std::move(*t);
  if (d->cfg.wake_on_events) {
    auto st = d->tree->notify_readable([me = d->me] {
      if (auto strong = me.lock())
        caf::anon_send(caf::actor_cast<caf::actor>(strong),
                       drift_notify_atom::value);
    });
    if (!st)
      spdlog::warn("drift: {}; reading the inotify queue every {} ms instead",
                   st.err().message, d->cfg.poll_interval.count());
  }
  walk_all(d, false);
}

/// Rebuilds the blacklist when the journal's patterns changed; a bad
/// journal pattern is logged and the configured ones stay in force.
void apply_journal_blacklist(const shared& d) {
  const auto& journal = d->state().journal_blacklist();
  if (journal == d->journal_patterns)
    return;
  auto b = drift_blacklist(d->cfg.patterns, journal, d->cfg.always_excluded);
  if (!b) {
    spdlog::error("drift: journal blacklist ignored: {}", b.err().message);
    return;
  }
  d->journal_patterns = journal;
  d->excluded = std::move(*b);
  d->state().forget_excluded(d->excluded);
  d->tree.reset(); // the next scan watches with the new blacklist
  spdlog::info("drift: blacklist now has {} patterns",
               d->excluded.patterns().size());
}

node::observed_items without_excluded(node::observed_items items,
                                      const pact::blacklist& b) {
  for (auto it = items.begin(); it != items.end();)
    it = b.excludes(it->first.second) ? items.erase(it) : std::next(it);
  return items;
}

void scan(const shared& d) {
  // Every watched directory is gone (the root itself was removed or
  // replaced): nothing is watched, which must not pass for "running".
  // Start over at each scan until the tree is back.
  if (d->tree && d->tree->watch_count() == 0
      && d->tree->fallback_roots().empty())
    d->tree.reset();
  if (!d->tree)
    start_tree(d);
  if (d->root_gone)
    return; // a root that is gone is not a node whose items all went
  auto t = d->now();
  auto& s = d->state();
  const auto& root = s.settings().root;
  auto sysctl = node::scan_sysctl(root, s.sysctl_keys());
  auto mounts = node::scan_mounts(root);
  auto modules = node::scan_modules(root);
  // Read before it went: an empty read is not what the node holds.
  if (!check_root(d))
    return;
  s.observe_source(drift_source::sysctl, sysctl, t);
  if (mounts)
    s.observe_source(drift_source::mounts,
                     without_excluded(*mounts, d->excluded), t);
  if (modules)
    s.observe_source(drift_source::modules, *modules, t);
  s.observe_declared_files(t);
  if (d->tree)
    d->tree->walk_fallback([&](const std::string& p) {
      (void)s.observe_file(p, t); // unreadable now: seen next scan
    });
}

std::string episode_message(const protocol::StateDelta& delta) {
  std::string text = "drift detected: ";
  int shown = 0;
  for (const auto& item : delta.items()) {
    if (shown == 3)
      break;
    text += (shown++ ? ", " : "") + journal::describe(item);
  }
  if (delta.items_size() > shown)
    text += " (+" + std::to_string(delta.items_size() - shown) + " more)";
  return text;
}

/// Queues a node command for the journal link with a request id unique
/// per record, reused if the link retries it.
void queue_command(const shared& d, JournalCommand cmd) {
  cmd.set_client_request_id(("drift-" + std::to_string(d->now()) + "-"
                             + std::to_string(++d->cfg.shared->episodes))
                              .substr(0, 64));
  d->cfg.shared->follower.note(cmd);
  agent_metrics::get().drift_record(cmd);
  auto& out = d->cfg.shared->outbox;
  if (out.size() == drift_outbox_limit) {
    spdlog::warn("drift: {} unsent drift records; dropping the oldest",
                 out.size());
    out.pop_front();
  }
  out.push_back(cmd.SerializeAsString());
}

void queue_episode(const shared& d, protocol::StateDelta delta) {
  JournalCommand cmd;
  cmd.set_kind(COMMAND_KIND_DRIFT_DETECTED);
  cmd.mutable_scope()->set_node(d->cfg.node_id);
  cmd.set_message(episode_message(delta));
  *cmd.mutable_state_delta() = std::move(delta);
  // The journal keeps the deadline, so `pact extend` lengthens this window.
  cmd.set_window_ends_unix_ms(d->state().window().ends_ms());
  // Host paths in it may hold newlines: one log line each.
  spdlog::info("drift: {}", terminal_safe(cmd.message()));
  queue_command(d, std::move(cmd));
}

/// Records and logs what the window rules decided, then looks again at
/// what converging touched so that drift_state sees it restored.
void act(const shared& d, node::window_actions a) {
  for (const auto& line : a.log)
    if (a.loud)
      spdlog::error("drift: {}", terminal_safe(line));
    else
      spdlog::warn("drift: {}", terminal_safe(line));
  for (auto& c : a.commands)
    queue_command(d, std::move(c));
  if (a.touched.empty())
    return;
  auto t = d->now();
  bool periodic = false;
  for (const auto& id : a.touched)
    if (id.first == DELTA_CATEGORY_FILES)
      (void)d->state().observe_file(id.second, t); // unreadable: next scan
    else
      periodic = true;
  if (periodic)
    scan(d);
}

/// The window's rules and the node delta's TTL (window_rules.hpp).
void keep_window(const shared& d) {
  auto& s = d->state();
  auto& backends = d->backends;
  if (auto keys = s.expire_delta(d->now()); !keys.empty()) {
    scan(d); // compare the delta's keys with what is declared now
    act(d, node::delta_expired(s, d->cfg.node_id, keys, d->now(), backends));
  }
  act(d, node::keep_window(s, d->cfg.node_id, d->now(), backends));
}

/// Hands queued episodes to the journal link (which queues them itself
/// while the journal is away); keeps them while the link is restarting.
void send_outbox(caf::event_based_actor* self, const shared& d) {
  if (d->cfg.shared->outbox.empty() || !d->cfg.supervisor)
    return;
  self
    ->request(d->cfg.supervisor, std::chrono::seconds(5), child_atom::value,
              d->cfg.journal_link_name)
    .then(
      [self, d](const caf::actor& link) {
        if (!link)
          return;
        auto& out = d->cfg.shared->outbox;
        for (auto& cmd : out)
          self->send(link, node_command_atom::value, std::move(cmd));
        out.clear();
      },
      [](caf::error&) {}); // asked again on the next poll
}

void poll(caf::event_based_actor* self, const shared& d) {
  auto& s = d->state();
  // A root that came back is watched again within a poll, not at the next
  // scan (scan() walks it and reads what the scan reads).
  if (d->root_gone) {
    std::error_code ec;
    if (std::filesystem::is_directory(s.settings().root, ec))
      scan(d);
  }
  if (follow_watch_roots(d))
    start_tree(d);
  if (d->tree) {
    auto p = d->tree->poll();
    auto t = d->now();
    if (!p.lost_root.empty()) {
      // Renamed or removed: its watches follow it elsewhere. Start over
      // (start_tree says the root is gone while it is).
      const auto& root = s.settings().root;
      auto host = root == "/"          ? p.lost_root
                  : p.lost_root == "/" ? root
                                       : root + p.lost_root;
      spdlog::warn("drift: {} no longer names the directory watched (moved "
                   "or removed); watching it afresh",
                   terminal_safe(host));
      d->tree.reset();
      start_tree(d);
    } else if (p.overflow) {
      spdlog::warn("drift: inotify queue overflowed; rescanning the tree");
      walk_all(d, true);
    } else {
      for (const auto& dir : p.gone_dirs)
        s.observe_gone_dir(dir, t);
      for (const auto& f : p.files)
        if (auto st = s.observe_file(f, t); !st)
          spdlog::debug("drift: {}", terminal_safe(st.err().message));
    }
  }
  auto t = d->now();
  // A large episode comes in several records (bounded batches).
  while (auto delta = s.take_episode(t))
    queue_episode(d, std::move(*delta));
  // Nothing can be converged into a root that is gone: the window's rules
  // wait for it (an expiry then would "restore" nothing and leave the
  // items handed to converge for the rest of the episode).
  if (!d->root_gone) {
    act(d, node::auto_converge(s, d->cfg.node_id, d->backends));
    keep_window(d);
    // Nor is the node's state resolved from what a missing root shows.
    act(d, d->cfg.shared->follower.check(s, d->cfg.node_id));
  }
  agent_metrics::get().drift_state(s.item_count(), s.window().phase(),
                                   s.window().ends_ms());
  send_outbox(self, d);
}

/// Whether waiting alone can move something, so the timer must run at the
/// busy rate: drift settling into an episode or in an open window, records
/// waiting for the link, file watching not (yet) event-driven.
bool busy(const shared& d) {
  auto& s = d->state();
  return !d->tree || !d->tree->notifying() || !d->problem.empty()
         || s.item_count() > 0 || !d->cfg.shared->outbox.empty()
         || s.window().phase() != node::window_phase::closed;
}

/// Arms the poll timer (superseding any armed before).
void arm_tick(caf::event_based_actor* self, const shared& d) {
  d->tick_busy = !d->cfg.wake_on_events || busy(d);
  auto wait = d->tick_busy
                ? d->cfg.poll_interval
                : std::max(d->cfg.poll_interval, d->cfg.idle_interval);
  self->delayed_send(self, wait, drift_poll_atom::value, ++d->tick);
}

std::pair<ActorState, std::string> health_of(const shared& d) {
  if (!d->problem.empty())
    return {ACTOR_STATE_DEGRADED, d->problem};
  if (!d->tree)
    return {ACTOR_STATE_STARTING, "walking the file tree"};
  auto drifted = std::to_string(d->state().item_count());
  if (!d->missing_roots.empty()) {
    std::string roots;
    for (const auto& r : d->missing_roots)
      roots += (roots.empty() ? "" : ", ") + terminal_safe(r);
    return {ACTOR_STATE_DEGRADED,
            "watch root(s) " + roots
              + " (agent.drift.watch_roots) do not exist; watched once "
                "created; "
              + drifted + " item(s) drifted"};
  }
  switch (d->state().window().phase()) {
    case node::window_phase::open:
      drifted += " item(s) drifted; commit window open until "
                 + render::time_text(d->state().window().ends_ms());
      break;
    case node::window_phase::expired:
      drifted += " item(s) drifted; commit window expired: drift flagged "
                 "for review";
      break;
    case node::window_phase::closed:
      drifted += " item(s) drifted";
      break;
  }
  const auto& fallback = d->tree->fallback_roots();
  if (!fallback.empty()) {
    std::string roots;
    for (const auto& f : fallback)
      roots += (roots.empty() ? "" : ", ") + f;
    return {ACTOR_STATE_DEGRADED,
            "inotify watch limit reached: periodic hash scans cover " + roots
              + "; " + drifted};
  }
  return {ACTOR_STATE_RUNNING, "watching "
                                 + std::to_string(d->tree->watch_count())
                                 + " directories; " + drifted};
}

} // namespace

expected<pact::blacklist>
drift_blacklist(const std::vector<std::string>& patterns,
                const std::vector<std::string>& journal_patterns,
                const std::vector<std::string>& always_excluded) {
  auto all = patterns;
  all.insert(all.end(), journal_patterns.begin(), journal_patterns.end());
  auto b = pact::blacklist::compile(all);
  if (!b)
    return b.err();
  for (const auto& dir : always_excluded)
    b->exclude_tree(dir);
  return b;
}

caf::behavior drift_watcher(caf::event_based_actor* self,
                            supervision::health_handle h,
                            drift_watcher_config cfg) {
  auto d = std::make_shared<watcher_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  PACT_ASSERT(d->cfg.shared && d->cfg.wall,
              "the agent's main owns the drift state and the clock");
  auto b = drift_blacklist(d->cfg.patterns, {}, d->cfg.always_excluded);
  if (!b) {
    // main validates agent.blacklist.patterns before anything starts.
    self->quit(caf::make_error(caf::sec::invalid_argument, b.err().message));
    return {};
  }
  d->excluded = std::move(*b);
  // Converging writes under the root the drift state watches, always.
  auto host = d->cfg.host;
  host.root = d->state().settings().root;
  d->backends = node::make_backends(host);
  // The journal link sends the declared state to whoever holds this name.
  self->system().registry().put(drift_watcher_name,
                                caf::actor_cast<caf::strong_actor_ptr>(self));
  if (d->state().declared_known())
    apply_journal_blacklist(d); // a restarted incarnation
  supervision::report(self, d->h, ACTOR_STATE_STARTING,
                      "walking the file tree");
  d->me = caf::actor_cast<caf::weak_actor_ptr>(self);
  self->send(self, drift_scan_atom::value);
  arm_tick(self, d);
  supervision::start_heartbeat(self);
  return caf::message_handler{
    [self, d](drift_scan_atom) {
      scan(d);
      self->delayed_send(self, d->cfg.scan_interval, drift_scan_atom::value);
    },
    [self, d](drift_poll_atom, uint64_t tick) {
      if (tick != d->tick)
        return; // superseded by a timer armed since
      poll(self, d);
      arm_tick(self, d);
    },
    [self, d](drift_notify_atom) {
      poll(self, d);
      if (d->tree)
        d->tree->rearm_notify();
      if (!d->tick_busy && busy(d))
        arm_tick(self, d); // drift to settle: do not wait out the idle timer
    },
    [self, d](declared_state_atom, const std::string& overlay_bytes,
              const std::string& delta_bytes) {
      VClusterOverlay overlay;
      NodeDelta delta;
      if (!overlay.ParseFromString(overlay_bytes)
          || !delta.ParseFromString(delta_bytes)) {
        spdlog::error("drift: declared state that does not parse; keeping "
                      "the previous one");
        return;
      }
      auto mode_before = d->state().enforcement();
      // Items the declared state drops go back first (undeclare.hpp).
      auto undone = node::undeclare(d->state(), overlay, delta, d->cfg.node_id,
                                    d->backends);
      if (auto st = d->state().set_declared(overlay, delta, d->now()); !st) {
        spdlog::error("drift: declared state refused: {}", st.err().message);
        return;
      }
      act(d, std::move(undone));
      apply_journal_blacklist(d);
      if (mode_before != ENFORCEMENT_MODE_ENFORCE
          && d->state().enforcement() == ENFORCEMENT_MODE_ENFORCE)
        // Drift flagged under observe or warn is converged now, not left
        // flagged under a policy that enforces.
        act(d, node::enforce_flagged(d->state(), d->cfg.node_id, d->backends));
      if (d->state().follow_journal_window(d->now())
          == node::window_event::extended)
        spdlog::info("drift: the commit window now ends at {} (extended in "
                     "the journal)",
                     render::time_text(d->state().window().ends_ms()));
      if (d->state().follow_journal_emergency(d->now())
          == node::window_event::extended)
        spdlog::warn("drift: emergency on this node: the commit window "
                     "now ends at {} (the policy's emergency window)",
                     render::time_text(d->state().window().ends_ms()));
      scan(d);
      poll(self, d);
    },
    [self, d](service_states_atom, const std::string& bytes) {
      ServiceReply states;
      if (!states.ParseFromString(bytes))
        return;
      // A crashing, failed or unhealthy service is drift (docs/drift.md);
      // running, waiting or exited as its policy allows is not.
      std::map<std::string, std::string> problems;
      for (const auto& s : states.services())
        if (s.state() == "backoff" || s.state() == "failed")
          problems[s.name()] = s.state() + ": " + s.detail();
        else if (s.health().rfind("unhealthy", 0) == 0)
          problems[s.name()] = s.state() + ", " + s.health();
      d->state().observe_services(problems, d->now());
      if (!d->tick_busy && busy(d))
        arm_tick(self, d); // drift to settle into an episode
    },
    [d](undeclared_atom, const std::string& bytes) {
      protocol::StateDelta before;
      if (before.ParseFromString(bytes))
        d->state().note_undeclared(node::before_items(before));
    },
    [self, d](drift_atom) -> std::string {
      poll(self, d); // include what happened since the last timer
      std::set<std::string> fallback;
      if (d->tree)
        fallback = d->tree->fallback_roots();
      auto r = d->state().reply(d->cfg.node_id, fallback);
      r.set_watcher_problem(utf8_safe(d->problem));
      return r.SerializeAsString();
    },
    [self, d](drift_commit_atom, const std::string& request,
              const std::string& token) {
      poll(self, d); // compare with what the node holds this moment
      commit_drift(self, d->cfg, request, token);
    },
    [self, d](node_rollback_atom, const std::string& request,
              const std::string& token) {
      poll(self, d);
      rollback_node(self, d->cfg, request, token);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h,
                                             [d] { return health_of(d); }));
}

} // namespace pact::agent
