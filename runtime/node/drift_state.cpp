#include "runtime/node/drift_state.hpp"

#include <algorithm>
#include <utility>

#include "runtime/common/assert.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/node/boot_apply.hpp"

namespace pact::node {

namespace {

constexpr int files_dim = protocol::DELTA_CATEGORY_FILES;

bool is_module_key(const std::string& key) {
  return key.rfind(module_prefix, 0) == 0;
}

/// Which declared items a periodic source is responsible for.
bool source_covers(drift_source src, const item_id& id) {
  switch (src) {
    case drift_source::files:
      return id.first == files_dim;
    case drift_source::sysctl:
      return id.first == protocol::DELTA_CATEGORY_KERNEL
             && !is_module_key(id.second);
    case drift_source::modules:
      return id.first == protocol::DELTA_CATEGORY_KERNEL
             && is_module_key(id.second);
    case drift_source::mounts:
      return id.first == protocol::DELTA_CATEGORY_MOUNTS;
    case drift_source::services:
      return id.first == protocol::DELTA_CATEGORY_SERVICES;
  }
  return false;
}

/// Content (not a hash, not absent) that counts against the budget.
bool is_kept_content(const item_value& v) {
  return v.present && v.value.rfind(sha256_prefix, 0) != 0;
}

/// A file's bytes (not a hash, not a symlink's target, not absent).
bool holds_content(const item_value& v) {
  return is_kept_content(v) && v.value.rfind(symlink_prefix, 0) != 0;
}

std::string hash_of(const std::string& content) {
  return sha256_prefix + journal::to_hex(journal::sha256(content));
}

window_policy policy_of(const protocol::VClusterPolicy& p) {
  window_policy w;
  if (p.has_drift_sensitivity())
    w.drift_sensitivity = p.drift_sensitivity();
  if (p.has_base_commit_window_seconds())
    w.base_commit_window_seconds = p.base_commit_window_seconds();
  if (p.has_emergency_window_seconds())
    w.emergency_window_seconds = p.emergency_window_seconds();
  return w;
}

protocol::DriftWindowState window_state_of(window_phase p) {
  switch (p) {
    case window_phase::closed:
      return protocol::DRIFT_WINDOW_STATE_CLOSED;
    case window_phase::open:
      return protocol::DRIFT_WINDOW_STATE_OPEN;
    case window_phase::expired:
      return protocol::DRIFT_WINDOW_STATE_EXPIRED;
  }
  return protocol::DRIFT_WINDOW_STATE_UNSPECIFIED;
}

} // namespace

drift_state::drift_state(drift_settings s)
  : settings_(std::move(s)), files_(settings_.limits, settings_.contents) {
}

namespace {

/// The node delta as it declares once its TTL ran out: a key the overlay
/// declares gets the overlay's value back (the item is dropped), a key only
/// the delta declared is declared absent.
protocol::NodeDelta expired_view(const protocol::VClusterOverlay& overlay,
                                 const protocol::NodeDelta& delta) {
  std::set<item_id> in_overlay;
  for (const auto& i : overlay.items())
    in_overlay.insert({i.category(), i.key()});
  auto out = delta;
  out.clear_items();
  for (const auto& i : delta.items()) {
    if (in_overlay.count({i.category(), i.key()}))
      continue;
    auto* gone = out.add_items();
    gone->set_category(i.category());
    gone->set_key(i.key());
    gone->set_action(protocol::DELTA_ACTION_REMOVE);
  }
  return out;
}

} // namespace

status drift_state::rebuild_declared(const protocol::VClusterOverlay& overlay,
                                     const protocol::NodeDelta& delta) {
  bool expired = expired_delta_ != 0
                 && delta.delta_sequence() == expired_delta_;
  auto effective = expired ? expired_view(overlay, delta) : delta;
  auto d = declared_state::from(overlay, effective);
  if (!d)
    return d.err();
  declared_ = std::move(*d);
  declared_raw_ = index_declared(effective_items(overlay, effective));
  return {};
}

status drift_state::set_declared(const protocol::VClusterOverlay& overlay,
                                 const protocol::NodeDelta& delta,
                                 int64_t now_ms) {
  auto was = declared_files();
  if (auto st = rebuild_declared(overlay, delta); !st)
    return st;
  overlay_ = overlay;
  node_delta_ = delta;
  declared_known_ = true;
  journal_blacklist_.assign(overlay.policy().blacklist().begin(),
                            overlay.policy().blacklist().end());
  auto policy = policy_of(overlay.policy());
  policy.test_divisor = settings_.test_window_divisor;
  window_.set_policy(policy);
  auto mode = overlay.policy().enforcement_mode();
  enforcement_ = mode == protocol::ENFORCEMENT_MODE_UNSPECIFIED
                   ? protocol::ENFORCEMENT_MODE_OBSERVE
                   : mode;
  journal_window_ends_ = delta.window_ends_unix_ms();
  journal_emergency_ = delta.state() == protocol::NODE_STATE_EMERGENCY;
  const auto& now = overlay.policy().auto_converge_categories();
  auto_converge_.clear();
  for (auto c : now)
    auto_converge_.insert(c);
  recompare_after(was, now_ms);
  return {};
}

std::vector<std::string> drift_state::declared_files() const {
  std::vector<std::string> out;
  for (const auto& [id, v] : declared_.items)
    if (id.first == files_dim)
      out.push_back(id.second);
  return out;
}

void drift_state::recompare_after(const std::vector<std::string>& was,
                                  int64_t now_ms) {
  // Drift was measured against the declarations before: an item no
  // longer declared is expected at its baseline now, a new one at its
  // declared value (tester, issue 11: a dropped declaration kept showing
  // as drift against its old value). A file declared until now that did
  // not drift is looked at too: nothing else would until it is written.
  recompare(now_ms);
  if (!baseline_taken_)
    return;
  for (const auto& p : was)
    if (!declared_.find({files_dim, p}))
      (void)observe_file(p, now_ms); // unreadable now: seen at its next event
}

status drift_state::rebuild_declared(int64_t now_ms) {
  auto was = declared_files();
  if (auto st = rebuild_declared(overlay_, node_delta_); !st)
    return st;
  recompare_after(was, now_ms);
  return {};
}

void drift_state::apply_committed(const protocol::StateDelta& recorded,
                                  int64_t now_ms) {
  // An item the commit declares first goes back, should its declaration
  // go, to what was expected of it until now: the value it drifted from
  // (its baseline, or absent for a file that appeared), as a boot's or an
  // update's items go back to what they held before (undeclare.hpp).
  for (const auto& i : recorded.items()) {
    item_id id{i.category(), i.key()};
    auto it = drift_.find(id);
    if (it != drift_.end() && !declared_.find(id))
      undeclared_.emplace(id, it->second.item.declared); // the first wins
  }
  journal::merge_node_list(node_delta_.mutable_items(), recorded);
  // A new commit declares its items again, even after the delta's TTL ran
  // out; its own TTL comes with the journal link's next update.
  if (expired_delta_ != 0) {
    expired_delta_ = 0;
    node_delta_.set_delta_expires_unix_ms(0);
  }
  auto st = rebuild_declared(now_ms);
  // Items come from the journal's own record: they have category and key.
  PACT_ASSERT(st, "a recorded node commit merges");
}

void drift_state::set_node_items(const protocol::NodeDelta& delta,
                                 int64_t now_ms) {
  auto previous = node_delta_;
  node_delta_ = delta;
  expired_delta_ = 0;
  if (!rebuild_declared(now_ms)) {
    node_delta_ = std::move(previous); // callers validate; keep what held
    auto st = rebuild_declared(now_ms);
    PACT_ASSERT(st, "the previous node delta merges");
  }
}

void drift_state::note_undeclared(const observed_items& before) {
  undeclared_.insert(before.begin(), before.end()); // the first value wins
}

void drift_state::note_restored(const std::vector<step_result>& done) {
  for (const auto& r : done)
    for (auto& [src, scan] : last_scan_)
      if (r.restored() && src != drift_source::files
          && source_covers(src, r.step.id)) {
        if (r.step.target.present)
          scan[r.step.id] = r.step.target;
        else
          scan.erase(r.step.id);
      }
}

void drift_state::recompare(int64_t now_ms) {
  auto scans = last_scan_;
  for (const auto& [src, items] : scans)
    if (src == drift_source::services) // against what is declared now
      observe_services(service_problems_, now_ms);
    else
      observe_source(src, items, now_ms);
  observe_declared_files(now_ms);
  std::vector<std::string> drifting;
  for (const auto& [id, e] : drift_)
    if (id.first == files_dim)
      drifting.push_back(id.second);
  for (const auto& p : drifting)
    (void)observe_file(p, now_ms); // unreadable now: seen at the next event
}

std::vector<item_id> drift_state::expire_delta(int64_t now_ms) {
  auto ends = node_delta_.delta_expires_unix_ms();
  auto seq = node_delta_.delta_sequence();
  if (node_delta_.items_size() == 0 || ends <= 0 || now_ms < ends || seq == 0
      || seq == expired_delta_)
    return {};
  expired_delta_ = seq;
  // The same overlay and delta were accepted before: this cannot fail.
  auto st = rebuild_declared(now_ms);
  PACT_ASSERT(st.ok(), "a declared state accepted once rebuilds");
  std::vector<item_id> keys;
  for (const auto& i : node_delta_.items())
    keys.emplace_back(i.category(), i.key());
  return keys;
}

window_event drift_state::follow_journal_window(int64_t now_ms) {
  if (journal_window_ends_ == followed_window_ends_)
    return window_event::none;
  followed_window_ends_ = journal_window_ends_;
  return window_.follow(now_ms, journal_window_ends_);
}

window_event drift_state::follow_journal_emergency(int64_t now_ms) {
  if (journal_emergency_ && !window_.emergency())
    return window_.emergency_start(now_ms);
  if (!journal_emergency_ && window_.emergency())
    window_.emergency_end();
  return window_event::none;
}

void drift_state::forget_excluded(const blacklist& b) {
  for (auto it = drift_.begin(); it != drift_.end();)
    if (it->first.first == files_dim && b.excludes(it->first.second))
      erase(it++);
    else
      ++it;
}

std::pair<item_value, bool>
drift_state::expected_file(const std::string& path,
                           const item_value& actual) const {
  if (auto d = declared_.find({files_dim, path}))
    return {*d, true};
  if (auto u = undeclared_.find({files_dim, path}); u != undeclared_.end())
    return {u->second, false};
  // Unchanged since the baseline (the common case on every event and
  // scan): decided by digest, without reading the kept content back.
  if (files_.holds(path, actual))
    return {actual, false};
  if (auto b = files_.find(path))
    return {*b, false};
  return {item_value::absent(), false};
}

void drift_state::erase(std::map<item_id, entry>::iterator it) {
  if (it->first.first == files_dim && is_kept_content(it->second.item.actual))
    actual_bytes_ -= it->second.item.actual.value.size();
  drift_.erase(it);
}

void drift_state::update(drift_source src, const item_id& id,
                         const item_value& expected, const item_value& actual,
                         bool from_journal, int64_t now_ms) {
  auto d = compare(id, expected, actual, from_journal);
  auto it = drift_.find(id);
  int64_t since = it != drift_.end() ? it->second.item.since_unix_ms : now_ms;
  if (it == drift_.end() && d && !recorded_.count(id))
    last_new_ms_ = now_ms;
  if (it != drift_.end())
    erase(it);
  if (!d)
    return;
  d->since_unix_ms = since;
  if (id.first == files_dim && is_kept_content(d->actual)) {
    if (actual_bytes_ + d->actual.value.size()
        > settings_.limits.max_total_bytes)
      d->actual.value = hash_of(d->actual.value);
    else
      actual_bytes_ += d->actual.value.size();
  }
  drift_.emplace(id, entry{std::move(*d), src});
}

std::optional<std::string>
drift_state::declared_through(const std::string& node_path) {
  auto it = aliases_.find(node_path);
  if (it == aliases_.end())
    return std::nullopt;
  if (!declared_.find({files_dim, it->second})) {
    aliases_.erase(it); // no longer declared: a file of its own again
    return std::nullopt;
  }
  return it->second;
}

status drift_state::observe_file(const std::string& node_path, int64_t now_ms) {
  if (baseline_taken_)
    if (auto key = declared_through(node_path)) {
      // The place a declared file is written through a symlinked
      // directory: one item, the declared one, not a second undeclared.
      if (auto it = drift_.find({files_dim, node_path}); it != drift_.end())
        erase(it);
      return compare_file(*key, now_ms);
    }
  return compare_file(node_path, now_ms);
}

status drift_state::compare_file(const std::string& node_path, int64_t now_ms) {
  // Full content up to the cap even when the baseline's budget is spent:
  // a drifted file's diff needs it; the baseline reduces what it keeps.
  // Read as the agent writes (root_fs.hpp): inside the root, so a root
  // that is gone is an error here, not every file deleted.
  auto read = read_node_file(settings_.root, node_path,
                             settings_.limits.max_file_bytes);
  if (!read)
    return read.err();
  const auto& actual = read->value;
  observed_ms_ = now_ms;
  if (!baseline_taken_) {
    files_.record(node_path, actual);
    return {};
  }
  item_id id{files_dim, node_path};
  if (!read->resolved.empty() && read->resolved != node_path) {
    if (!declared_.find(id)) {
      // Not declared, and not where a file lives (a symlinked directory
      // is on the way): the watched place is the item, not this path.
      if (auto it = drift_.find(id); it != drift_.end())
        erase(it);
      return {};
    }
    aliases_[read->resolved] = node_path;
    if (auto it = drift_.find({files_dim, read->resolved}); it != drift_.end())
      erase(it);
  }
  auto [expected, from_journal] = expected_file(node_path, actual);
  update(drift_source::files, id, expected, actual, from_journal, now_ms);
  return {};
}

void drift_state::reconcile_walk(const std::set<std::string>& seen,
                                 const blacklist& excluded, int64_t now_ms) {
  std::set<std::string> known;
  for (auto& p : files_.paths_under("/"))
    known.insert(p);
  for (const auto& [id, e] : drift_)
    if (id.first == files_dim)
      known.insert(id.second);
  for (const auto& p : known)
    if (!seen.count(p) && !excluded.excludes(p))
      (void)observe_file(p, now_ms); // gone: reads as absent
}

void drift_state::observe_gone_dir(const std::string& dir, int64_t now_ms) {
  std::set<std::string> paths;
  for (auto& p : files_.paths_under(dir))
    paths.insert(p);
  std::string prefix = dir + "/";
  for (const auto& [id, e] : drift_)
    if (id.first == files_dim && id.second.rfind(prefix, 0) == 0)
      paths.insert(id.second);
  for (const auto& p : paths)
    (void)observe_file(p, now_ms); // the directory is gone: nothing to fail
}

void drift_state::observe_declared_files(int64_t now_ms) {
  if (!baseline_taken_)
    return;
  for (const auto& [id, v] : declared_.items)
    if (id.first == files_dim)
      (void)observe_file(id.second, now_ms); // unreadable: seen next time
}

void drift_state::observe_source(drift_source src, const observed_items& items,
                                 int64_t now_ms) {
  observed_ms_ = now_ms;
  last_scan_[src] = items;
  auto base = scan_baseline_.find(src);
  if (base == scan_baseline_.end())
    base = scan_baseline_.emplace(src, items).first;
  // Every key that is expected or observed, in this source's scope.
  std::set<item_id> keys;
  for (const auto& [id, v] : base->second)
    keys.insert(id);
  for (const auto& [id, v] : items)
    keys.insert(id);
  for (const auto& [id, v] : declared_.items)
    if (source_covers(src, id))
      keys.insert(id);
  for (auto it = drift_.begin(); it != drift_.end();)
    if (it->second.source == src && !keys.count(it->first))
      erase(it++);
    else
      ++it;
  for (const auto& id : keys) {
    auto declared = declared_.find(id);
    item_value expected = declared ? *declared : item_value::absent();
    if (!declared)
      expected = baseline(id).value_or(item_value::absent());
    auto a = items.find(id);
    update(src, id, expected,
           a == items.end() ? item_value::absent() : a->second,
           declared.has_value(), now_ms);
  }
}

void drift_state::observe_services(
  const std::map<std::string, std::string>& problems, int64_t now_ms) {
  service_problems_ = problems;
  observed_items items;
  for (const auto& [id, v] : declared_.items) {
    if (id.first != protocol::DELTA_CATEGORY_SERVICES || !v.present)
      continue;
    auto p = problems.find(id.second);
    items[id] = p == problems.end() ? v : item_value::of(p->second);
  }
  // No baseline: only what is declared is observed.
  scan_baseline_[drift_source::services] = items;
  observe_source(drift_source::services, items, now_ms);
}

std::vector<std::string> drift_state::sysctl_keys() const {
  std::set<std::string> keys(settings_.sysctl_keys.begin(),
                             settings_.sysctl_keys.end());
  for (const auto& [id, v] : declared_.items)
    if (source_covers(drift_source::sysctl, id))
      keys.insert(id.second);
  return {keys.begin(), keys.end()};
}

std::vector<drift_item> drift_state::items() const {
  std::vector<drift_item> out;
  out.reserve(drift_.size());
  for (const auto& [id, e] : drift_)
    out.push_back(e.item);
  return out;
}

const drift_item* drift_state::find(const item_id& id) const {
  auto it = drift_.find(id);
  return it == drift_.end() ? nullptr : &it->second.item;
}

std::optional<item_value> drift_state::baseline(const item_id& id) const {
  if (auto u = undeclared_.find(id); u != undeclared_.end())
    return u->second;
  if (id.first == files_dim)
    return files_.find(id.second);
  for (const auto& [src, items] : scan_baseline_)
    if (source_covers(src, id)) {
      auto it = items.find(id);
      // A scanned source lists present items only: unlisted is absent.
      return it == items.end() ? item_value::absent() : it->second;
    }
  return std::nullopt;
}

item_value drift_state::actual(const item_id& id) const {
  if (const auto* d = find(id))
    return d->actual;
  if (auto v = declared_.find(id))
    return *v;
  return baseline(id).value_or(item_value::absent());
}

double drift_state::magnitude() const {
  return node::magnitude(items());
}

std::optional<protocol::StateDelta> drift_state::take_episode(int64_t now_ms) {
  if (drift_.empty()) {
    resolution_pending_ |= !recorded_.empty();
    recorded_.clear();
    converged_.clear();
    window_.on_clean();
    return std::nullopt;
  }
  // A new episode's window follows the formula: an extension belongs to
  // the window open when it was granted (commit_window.hpp).
  window_.on_drift(now_ms, magnitude());
  if (now_ms - last_new_ms_ < settings_.settle_ms)
    return std::nullopt;
  protocol::StateDelta delta;
  for (const auto& [id, e] : drift_) {
    if (delta.items_size() == settings_.max_episode_items)
      break;
    if (recorded_.insert(id).second)
      *delta.add_items() = to_delta_item(e.item);
  }
  if (delta.items_size() == 0)
    return std::nullopt;
  return delta;
}

bool drift_state::take_resolution() {
  return std::exchange(resolution_pending_, false);
}

std::vector<drift_item> drift_state::take_unconverged() {
  std::vector<drift_item> out;
  for (const auto& [id, e] : drift_)
    if (converged_.insert(id).second)
      out.push_back(e.item);
  return out;
}

std::vector<drift_item> drift_state::take_auto_converge() {
  std::vector<drift_item> out;
  for (const auto& [id, e] : drift_)
    if (auto_converge_.count(id.first) && recorded_.count(id)
        && converged_.insert(id).second)
      out.push_back(e.item);
  return out;
}

void drift_state::mark_flagged(const std::vector<drift_item>& items,
                               bool converged) {
  for (const auto& d : items) {
    recorded_.insert(d.id);
    if (converged)
      converged_.insert(d.id);
  }
}

std::vector<drift_item>
drift_state::items_of(const std::vector<item_id>& ids) const {
  std::vector<drift_item> out;
  for (const auto& id : ids)
    if (auto it = drift_.find(id); it != drift_.end())
      out.push_back(it->second.item);
  return out;
}

protocol::DriftReply
drift_state::reply(const std::string& node,
                   const std::set<std::string>& fallback) const {
  protocol::DriftReply r;
  r.set_node(node);
  for (const auto& [id, e] : drift_) {
    const auto& d = e.item;
    auto* out = r.add_items();
    out->set_category(static_cast<category>(id.first));
    // Host text may not be UTF-8; proto string fields must be.
    out->set_key(utf8_safe(id.second));
    out->set_declared_present(d.declared.present);
    out->set_declared(utf8_safe(d.declared.value));
    out->set_actual_present(d.actual.present);
    out->set_actual(utf8_safe(d.actual.value));
    bool file = id.first == files_dim;
    // The sizes of the bytes, not of their UTF-8-safe text (longer where
    // a byte became \xNN).
    if (file && holds_content(d.declared))
      out->set_declared_bytes(d.declared.value.size());
    if (file && holds_content(d.actual))
      out->set_actual_bytes(d.actual.value.size());
    if (file)
      out->set_unified_diff(utf8_safe(
        unified_diff(d.declared, d.actual, "declared" + id.second,
                     "actual" + id.second, settings_.diff_max_bytes)));
    // A value known only by its hash cannot be written back.
    out->set_restorable(!d.declared.present
                        || d.declared.value.rfind(sha256_prefix, 0) != 0);
    out->set_since_unix_ms(d.since_unix_ms);
  }
  r.set_magnitude(magnitude());
  r.set_declared_state_known(declared_known_);
  r.set_window_state(window_state_of(window_.phase()));
  r.set_window_opened_unix_ms(window_.opened_ms());
  r.set_window_ends_unix_ms(window_.ends_ms());
  for (const auto& f : fallback)
    r.add_scan_fallback_paths(f);
  r.set_observed_unix_ms(observed_ms_);
  return r;
}

} // namespace pact::node
