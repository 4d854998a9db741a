// The journal link's boot: the chunked boot stream, applying what it
// declares through the node backends, the cache, and the boot record.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/journal_link_state.hpp"
#include "actors/agent/service_atoms.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/files.hpp"
#include "runtime/node/boot_apply.hpp"
#include "runtime/node/state_report.hpp"
#include "runtime/node/undeclare.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::agent::detail {

namespace {

using namespace pact::protocol;

int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now() - t)
    .count();
}

void log_ready(const shared& d, const std::string& how) {
  if (d->ready_logged)
    return;
  d->ready_logged = true;
  spdlog::info("pact-agent ready in {} ms (start to configured): {}",
               ms_since(d->cfg.started), how);
}

void log_items(const node::boot_report& r) {
  for (const auto& i : r.items) {
    auto what = node::category_name(i.item.category()) + " " + i.item.key();
    switch (i.outcome.k) {
      case node::apply_outcome::kind::applied:
        spdlog::debug("boot: applied {}: {}", what, i.outcome.detail);
        break;
      case node::apply_outcome::kind::recorded:
        spdlog::warn("boot: recorded, not applied ({}): {}", what,
                     i.outcome.detail);
        break;
      case node::apply_outcome::kind::handed_off:
        spdlog::info("boot: {} handed off {}", what, i.outcome.detail);
        break;
      case node::apply_outcome::kind::failed:
        spdlog::error("boot: failed to apply {}: {}", what, i.outcome.detail);
        break;
    }
  }
}

/// The applied overlay with the journal's global blacklist added to its
/// policy's patterns: what the drift watcher excludes.
VClusterOverlay with_global_blacklist(const link_data& d) {
  auto o = d.overlay;
  if (d.global_blacklist.empty())
    return o;
  auto* list = o.mutable_policy()->mutable_blacklist();
  for (const auto& p : d.global_blacklist)
    if (std::find(list->begin(), list->end(), p) == list->end())
      *list->Add() = p;
  return o;
}

/// Hands the declared state (and the blacklists) to the drift watcher.
void send_declared(self_ptr self, const shared& d) {
  if (auto watcher = d->cfg.drift_watcher()) {
    // Each time: the watcher may have started after the boot.
    if (d->before.items_size() > 0)
      self->send(watcher, undeclared_atom::value,
                 d->before.SerializeAsString());
    self->send(watcher, declared_state_atom::value,
               with_global_blacklist(*d).SerializeAsString(),
               d->delta.SerializeAsString());
  }
}

/// Hands the declared state to the service supervisor and drift watcher.
void hand_off(self_ptr self, const shared& d, const node::boot_report& r) {
  StateDelta services;
  for (const auto& s : r.services)
    *services.add_items() = s;
  send_services(self, *d, services.SerializeAsString());
  send_declared(self, d);
}

/// The boot-config record; it names (and its delta lists) the uncommitted
/// local edits the boot replaced, once.
JournalCommand boot_record(const shared& d, const std::string& summary) {
  JournalCommand c;
  c.set_kind(COMMAND_KIND_RECORD);
  c.mutable_scope()->set_node(d->cfg.node_id);
  c.set_record_type(ENTRY_TYPE_BOOT_CONFIG);
  c.set_agent_endpoint(d->cfg.agent_endpoint());
  // What the node runs: it lists the node under its vCluster before (or
  // without) an enrollment (NodeRecord.booted_vcluster).
  c.set_vcluster(d->overlay.vcluster());
  c.set_message("booted: " + summary + node::replaced_text(d->replaced));
  *c.mutable_state_delta() = std::move(d->replaced);
  d->replaced.Clear();
  return c;
}

/// The declared state the node's previous boot applied (the boot cache's,
/// when it is this node's); empty when none is known.
node::declared_state previous_declared(const link_data& d) {
  auto cached = d.cfg.cache->load();
  if (!cached || !*cached
      || (!(*cached)->node_id.empty() && (*cached)->node_id != d.cfg.node_id))
    return {};
  auto prev = node::declared_state::from((*cached)->overlay,
                                         (*cached)->node_delta);
  return prev ? std::move(*prev) : node::declared_state{};
}

/// The first apply of this process: what its items hold before it, and
/// which of those are local edits it is about to replace (logged now; the
/// journal hears of them with the first boot record).
void read_before_boot(const shared& d, const std::vector<DeltaItem>& todo) {
  auto before = node::read_before(d->cfg.host.root, todo,
                                  node::baseline_limits{}.max_file_bytes);
  d->before = node::before_delta(before);
  d->replaced = node::replaced_edits(todo, before, previous_declared(*d));
  if (d->replaced.items_size() > 0)
    spdlog::warn("boot: writing the declared state over local edits nobody "
                 "committed{}",
                 node::replaced_text(d->replaced));
}

std::string describe(const VClusterOverlay& o, const node::boot_report& r) {
  return "overlay " + o.vcluster() + " v" + std::to_string(o.version()) + ", "
         + r.summary();
}

/// Applies `overlay` + `delta` and makes them the agent's declared state.
void apply(self_ptr self, const shared& d, const VClusterOverlay& overlay,
           const NodeDelta& delta, boot_source src) {
  auto backends = node::make_backends(d->cfg.host);
  auto items = node::effective_items(overlay, delta);
  // A running node applies only what its declared state changed (a boot
  // applies everything); node::changed_items says why.
  auto todo = d->source == boot_source::none
                ? items
                : node::changed_items(
                  node::effective_items(d->overlay, d->delta), items);
  // What an item goes back to, read before it is first written: at boot
  // (with the local edits the boot replaces) and when an update declares
  // it (undeclare.hpp).
  if (d->source == boot_source::none)
    read_before_boot(d, todo);
  else
    node::remember_before(d->before, d->cfg.host.root, todo,
                          node::effective_items(d->overlay, d->delta),
                          node::baseline_limits{}.max_file_bytes);
  bool reapply = d->source == boot_source::journal;
  auto report = node::apply_items(todo, backends);
  report.services.clear(); // the supervisor gets every declared service
  for (const auto& i : items)
    if (i.category() == DELTA_CATEGORY_SERVICES)
      report.services.push_back(i);
  log_items(report);
  d->overlay = overlay;
  d->delta = delta;
  d->source = src;
  d->boot_summary = describe(overlay, report);
  auto source_name = src == boot_source::journal ? "journal" : "cache";
  if (auto st = files::write_atomic(d->cfg.state_dir + "/last-boot.json",
                                    node::report_json(report, source_name,
                                                      overlay.vcluster(),
                                                      overlay.version()));
      !st)
    spdlog::warn("boot: {}", st.err().message);
  hand_off(self, d, report);
  if (src == boot_source::cache)
    return;
  d->applied_unix_ms = d->cfg.wall->now_unix_ms();
  if (auto st = d->cfg.cache->store(
        {overlay, delta, d->applied_unix_ms, d->cfg.node_id});
      !st)
    spdlog::warn("boot: the boot cache was not updated: {}", st.err().message);
  // A running node's update that changed no item (a policy-only `pact
  // apply`) has nothing to record: "0 applied" told nobody anything. The
  // first boot from the journal always records (it carries the endpoint).
  if (reapply && report.items.empty())
    return;
  enqueue_command(self, d, boot_record(d, d->boot_summary), false);
}

/// Whether the stream's result differs from what is applied.
bool changed(const link_data& d, const VClusterOverlay& o,
             const NodeDelta& delta) {
  // The node's state (drifted, committed ...) and the delta's expiry are in
  // the NodeDelta too; only its items are declared state.
  auto items = [](const NodeDelta& n) {
    StateDelta s;
    *s.mutable_items() = n.items();
    return s.SerializeAsString();
  };
  return d.source != boot_source::journal
         || o.checksum() != d.overlay.checksum()
         || o.version() != d.overlay.version()
         || items(delta) != items(d.delta);
}

/// Whether the node delta's other fields moved (commit window, TTL, state,
/// sequence) while its items did not: nothing to apply, but the drift
/// watcher's window and TTL follow them (`pact extend`).
bool delta_fields_moved(const NodeDelta& applied, const NodeDelta& now) {
  auto fields = [](NodeDelta n) {
    n.clear_items();
    return n.SerializeAsString();
  };
  return fields(applied) != fields(now);
}

/// The newest journal entry this node's applied configuration reflects:
/// the last answer's sequence, or the applied overlay's version (a
/// sequence number) when it came from the cache after a restart.
uint64_t applied_mark(const link_data& d, const std::string& vcluster) {
  auto mark = d.seen_sequence;
  if (d.source != boot_source::none && d.overlay.vcluster() == vcluster)
    mark = std::max(mark, d.overlay.version());
  return mark;
}

void boot_refused(self_ptr self, const shared& d, const Status& st) {
  auto code = st.code();
  if (code != STATUS_CODE_UNAUTHORIZED && code != STATUS_CODE_UNAVAILABLE) {
    // The journal answered and has nothing for this node (its vCluster has
    // no overlay yet, or it names none and is not enrolled): nothing to
    // apply, and nothing wrong with the link.
    d->nothing_declared = true;
    auto why = "the journal declares nothing for this node yet (" + st.message()
               + ")";
    if (d->source == boot_source::none)
      log_ready(d, why);
    set_status(self, d, "connected to " + d->journal_url + "; " + why, false);
    return;
  }
  // An authentication failure is about the node credential, whatever
  // advice the journal's message gives a CLI user.
  auto credential = d->cfg.credential && !d->cfg.credential().empty()
                      ? std::string("the node's certificate-bound token")
                      : "the node credential from " + d->cfg.token_file
                          + " (agent.token_file)";
  auto why = code == STATUS_CODE_UNAUTHORIZED
               ? "the journal at " + d->journal_url
                   + " refused the boot: " + credential + " was not accepted: "
                   + st.message().substr(0, st.message().find(": set "))
               : "the journal at " + d->journal_url
                   + " refused the boot: " + st.message();
  // Refused is not ready: nothing was applied; set_status logs the
  // refusal (tester, issue 11: the log said "ready" for a refused boot).
  if (code == STATUS_CODE_UNAVAILABLE) {
    // Transient (overloaded, no leader yet, a read past its deadline): ask
    // again after the jittered back-off, not a whole report interval
    // later, so that a boot storm's refused nodes spread their retries
    // and finish soon after the rest.
    auto delay = d->backoff->next_delay();
    set_status(
      self, d,
      why + "; asking again in " + std::to_string(delay.count()) + " ms", true);
    self->delayed_send(self, delay, boot_retry_atom::value);
    return;
  }
  set_status(self, d,
             why + "; asking again in "
               + std::to_string(d->cfg.report_interval.count()) + " s",
             true);
}

void set_steady(self_ptr self, const shared& d) {
  set_status(self, d,
             "booted from the journal at " + d->journal_url + " ("
               + d->boot_summary + "); steady",
             false);
}

void finish_boot(self_ptr self, const shared& d, const Response& resp) {
  auto assembler = std::move(d->assembler);
  d->assembler.reset();
  if (resp.status().code() != STATUS_CODE_OK) {
    boot_refused(self, d, resp.status());
    return;
  }
  if (!assembler || !assembler->done()) {
    set_status(self, d,
               "the boot stream from " + d->journal_url
                 + " was incomplete or malformed; asking again",
               true);
    return;
  }
  const auto& r = assembler->get();
  if (auto mark = applied_mark(*d, r.complete.vcluster());
      r.complete.last_sequence() < mark) {
    // A replica that restarted and has not caught up answers from an older
    // journal: applying it would undo newer configuration. Keep what is
    // applied and ask again at the next report.
    set_status(self, d,
               "the journal replica at " + d->journal_url
                 + " is behind what this node applied (it is at entry "
                 + std::to_string(r.complete.last_sequence())
                 + ", this node applied entry " + std::to_string(mark)
                 + "); keeping the applied configuration",
               true);
    return;
  }
  // The global blacklist is not part of the overlay's version: a change
  // reaches the drift watcher even when the overlay is up to date.
  std::vector<std::string> global(r.complete.global_blacklist().begin(),
                                  r.complete.global_blacklist().end());
  bool global_moved = global != d->global_blacklist;
  d->global_blacklist = std::move(global);
  bool moved = r.complete.last_sequence() != d->seen_sequence;
  d->seen_sequence = r.complete.last_sequence();
  if (global_moved && d->source != boot_source::none)
    send_declared(self, d);
  if (r.complete.up_to_date()) {
    // The node delta rides only with the overlay: when the journal moved,
    // fetch both to see whether this node's delta did.
    if (moved)
      request_boot(self, d, true);
    else // the detail of an earlier refusal does not outlive it
      set_steady(self, d);
    return;
  }
  if (!changed(*d, *r.overlay, r.node_delta)) {
    if (delta_fields_moved(d->delta, r.node_delta)) {
      d->delta = r.node_delta;
      send_declared(self, d);
    }
    set_steady(self, d);
    return;
  }
  bool catch_up = d->source == boot_source::cache;
  d->nothing_declared = false;
  d->backoff->reset(); // a later refusal backs off from the start again
  apply(self, d, *r.overlay, r.node_delta, boot_source::journal);
  set_status(self, d,
             std::string(catch_up ? "caught up: " : "") + "booted from the "
               + "journal at " + d->journal_url + " (" + d->boot_summary
               + "); steady",
             false);
  log_ready(d, "booted from the journal at " + d->journal_url + " ("
                 + d->boot_summary + ")");
}

} // namespace

void request_boot(self_ptr self, const shared& d, bool full) {
  if (d->token.empty()) {
    // The journal would refuse it with a client's advice (set PACT_TOKEN);
    // asked again at the next report once the credential is there.
    set_status(self, d,
               "connected to " + d->journal_url
                 + "; nothing is asked of the journal without a node "
                   "credential",
               true);
    return;
  }
  auto req = make_request(d, "boot");
  auto* b = req.mutable_boot_config();
  b->set_node(d->cfg.node_id);
  b->set_vcluster(d->cfg.vcluster);
  if (!full && d->source == boot_source::journal) {
    b->set_have_version(d->overlay.version());
    b->set_have_checksum(d->overlay.checksum());
  }
  d->boot_request = req.request_id();
  d->assembler.emplace();
  send_request(self, d, req);
  self->delayed_send(self, d->cfg.boot_timeout, boot_timeout_atom::value,
                     req.request_id());
}

void on_boot_chunk(self_ptr, const shared& d, const std::string& bytes) {
  if (!d->assembler)
    return;
  BootChunk c;
  if (!c.ParseFromString(bytes)) {
    spdlog::warn("journal link: dropped a malformed boot chunk");
    d->assembler.reset();
    return;
  }
  if (auto st = d->assembler->feed(c); !st) {
    spdlog::warn("journal link: {}", st.err().message);
    d->assembler.reset();
  }
}

void on_boot_reply(self_ptr self, const shared& d, const Response& resp) {
  if (resp.request_id() != d->boot_request)
    return; // an answer to a stream given up on
  d->boot_request.clear();
  finish_boot(self, d, resp);
  // `pact status` shows how the boot went now, not one report interval
  // later (the link's first report after connecting is this one).
  send_report(self, d);
}

void boot_from_cache(self_ptr self, const shared& d) {
  if (d->source != boot_source::none)
    return;
  auto cached = d->cfg.cache->load();
  if (!cached) {
    spdlog::error("boot: {}", cached.err().message);
    return;
  }
  if (!*cached) {
    // Once: every failed round comes here until a replica answers.
    if (!d->cache_empty_logged)
      spdlog::warn("boot: every journal replica is unreachable and the boot "
                   "cache is empty; waiting for a replica");
    d->cache_empty_logged = true;
    return;
  }
  const auto& c = **cached;
  if (!c.node_id.empty() && c.node_id != d->cfg.node_id) {
    // A state directory copied from, or shared with, another node: its
    // configuration is that node's, not this one's.
    spdlog::error("boot: the boot cache in {} was written for node {}, not "
                  "{}; it is not applied (each node needs its own "
                  "--state-dir); waiting for a replica",
                  d->cfg.cache->path(), c.node_id, d->cfg.node_id);
    return;
  }
  apply(self, d, c.overlay, c.node_delta, boot_source::cache);
  d->applied_unix_ms = c.applied_unix_ms;
  auto how = "booted from the boot cache (configuration applied "
             + render::time_text(c.applied_unix_ms)
             + "; every journal replica unreachable): " + d->boot_summary;
  spdlog::warn("boot: {}", how);
  log_ready(d, how);
}

void claim_again(self_ptr self, const shared& d) {
  if (d->displaced.empty() || d->source != boot_source::journal)
    return;
  for (const auto& q : d->queue)
    if (q.cmd.record_type() == ENTRY_TYPE_BOOT_CONFIG)
      return;
  for (const auto& f : d->in_flight)
    if (f.second.cmd.record_type() == ENTRY_TYPE_BOOT_CONFIG)
      return;
  enqueue_command(self, d, boot_record(d, d->boot_summary), false);
}

void send_services(caf::event_based_actor* self, const link_data& d,
                   const std::string& services) {
  auto to = d.cfg.services;
  if (!to) // the agent's supervisor, whichever incarnation runs now
    to = caf::actor_cast<caf::actor>(
      self->system().registry().get(service_supervisor_name));
  if (to)
    self->send(to, declared_services_atom::value, services,
               d.overlay.attributes().supervisor_backend());
}

std::tuple<std::string, std::string> declared_services(const link_data& d) {
  if (d.source == boot_source::none)
    return {std::string(), std::string()};
  StateDelta services;
  for (const auto& i : node::effective_items(d.overlay, d.delta))
    if (i.category() == DELTA_CATEGORY_SERVICES)
      *services.add_items() = i;
  return {services.SerializeAsString(),
          d.overlay.attributes().supervisor_backend()};
}

std::tuple<std::string, std::string> declared_state(const link_data& d) {
  if (d.source == boot_source::none)
    return {std::string(), std::string()};
  return {d.overlay.SerializeAsString(), d.delta.SerializeAsString()};
}

} // namespace pact::agent::detail
