#include "actors/agent/gpu_poller.hpp"

#include <caf/exit_reason.hpp>
#include <caf/spawn_options.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/agent_metrics.hpp"
#include "actors/agent/link_command.hpp"
#include "runtime/node/capability_manifest.hpp"
#include "runtime/node/capability_probe.hpp"
#include "runtime/node/capability_record.hpp"

namespace pact::agent {

namespace {

using nlohmann::json;

struct poller_data {
  supervision::health_handle h;
  gpu_poller_config cfg;
  /// The last poll (its devices are the last good ones after a failure).
  node::gpu_poll last;
  /// Whether `last` is a real observation (a poll, or a manifest left by
  /// an earlier run) that a new poll may be compared with.
  bool have_last = false;
  bool in_flight = false;
  std::string detail = "waiting for the first poll";
  supervision::actor_state state = protocol::ACTOR_STATE_STARTING;
};

using data_ptr = std::shared_ptr<poller_data>;

/// The worker: one poll, blocking, then an answer. Its whole input is in
/// the message so that it shares nothing with the poller. Only the poller
/// holds a handle to it: a poller that dies (and is restarted) with a poll
/// in flight drops that handle, and CAF destroys the worker once its poll
/// ends (tests/unit/actors/agent/gpu_poller_test.cpp checks it).
caf::behavior poll_worker(caf::event_based_actor*, gpu_poller_config cfg) {
  return {
    [cfg](gpu_work_atom, const std::string& last_json) -> std::string {
      node::gpu_poll last;
      if (auto j = json::parse(last_json, nullptr, false); !j.is_discarded())
        if (auto p = node::gpu_poll_of(j))
          last = *p;
      auto host = node::probe_host(cfg.root);
      auto poll = node::poll_gpus(cfg.tool, last);
      auto now = cfg.wall->now_unix_ms();
      return json{{"host", std::move(host)},
                  {"gpus", node::gpus_json(poll, now)},
                  {"now", now}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    },
  };
}

void send_record(caf::event_based_actor* self, const data_ptr& d,
                 const std::vector<node::gpu_change>& changes, int64_t now) {
  auto cmd = node::capability_change_command(d->cfg.node_id, changes, now);
  std::string bytes;
  PACT_ASSERT(cmd.SerializeToString(&bytes), "JournalCommand serializes");
  if (d->cfg.journal_link) {
    self->send(d->cfg.journal_link, node_command_atom::value, std::move(bytes));
    return;
  }
  send_to_link(self, d->cfg.supervisor, d->cfg.journal_link_name,
               std::move(bytes), "GPU health change");
}

std::string summary_of(const node::gpu_poll& p) {
  if (p.ok())
    return std::to_string(p.report.devices.size()) + " GPU(s) via " + p.tool;
  return p.status.rfind("error:", 0) == 0 ? "GPU tool " + p.status : p.status;
}

/// Takes a worker's answer: manifest, health changes, state.
void take_result(caf::event_based_actor* self, const data_ptr& d,
                 const std::string& result) {
  auto j = json::parse(result, nullptr, false);
  PACT_ASSERT(!j.is_discarded(), "the poll worker answers JSON");
  auto poll = node::gpu_poll_of(j);
  PACT_ASSERT(poll.has_value(), "the poll worker's gpus section reads back");
  auto now = j["now"].get<int64_t>();
  if (d->have_last) {
    auto changes = node::diff_gpu_polls(d->last, *poll);
    if (!changes.empty()) {
      spdlog::warn("GPU health change: {}", node::summarize(changes));
      agent_metrics::get().gpu_changes(changes);
      send_record(self, d, changes, now);
    }
  }
  d->last = std::move(*poll);
  d->have_last = true;
  agent_metrics::get().gpu_polled(d->last);
  auto manifest = node::make_manifest(d->cfg.node_id, now, j["host"],
                                      j["gpus"]);
  auto errors = manifest["probe_errors"];
  if (auto st = node::write_manifest(d->cfg.root, manifest); !st) {
    d->state = protocol::ACTOR_STATE_DEGRADED;
    d->detail = "cannot write the capability manifest: " + st.err().message;
    spdlog::error("{}", d->detail);
  } else {
    // A node without a GPU tool is a CPU node, not a sick poller; a tool
    // that fails, or a probe that cannot read its source, is.
    bool tool_failed = d->last.status.rfind("error:", 0) == 0;
    d->state = tool_failed || !errors.empty() ? protocol::ACTOR_STATE_DEGRADED
                                              : protocol::ACTOR_STATE_RUNNING;
    d->detail
      = summary_of(d->last)
        + (errors.empty()
             ? ""
             : "; probe errors: "
                 + errors[0].dump(-1, ' ', false,
                                  nlohmann::json::error_handler_t::replace));
  }
  supervision::report(self, d->h, d->state, d->detail);
}

void start_poll(caf::event_based_actor* self, const data_ptr& d) {
  if (d->in_flight)
    return;
  d->in_flight = true;
  auto worker = d->cfg.detached_worker
                  ? self->spawn<caf::detached>(poll_worker, d->cfg)
                  : self->spawn(poll_worker, d->cfg);
  auto last = node::gpus_json(d->last, 0);
  // The tool's own timeout bounds the poll; the margin covers the probes.
  auto limit = d->cfg.tool.limits.timeout + std::chrono::seconds(30);
  self
    ->request(worker, limit, gpu_work_atom::value,
              json{{"gpus", std::move(last)}}.dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace))
    .then(
      [self, d, worker](const std::string& result) {
        self->send_exit(worker, caf::exit_reason::user_shutdown);
        d->in_flight = false;
        take_result(self, d, result);
      },
      [self, d, worker](caf::error& err) {
        self->send_exit(worker, caf::exit_reason::kill);
        d->in_flight = false;
        d->state = protocol::ACTOR_STATE_DEGRADED;
        d->detail = "capability poll failed: "
                    + supervision::error_text(self->system(), err);
        spdlog::error("{}", d->detail);
        supervision::report(self, d->h, d->state, d->detail);
      });
}

/// The GPUs an earlier run recorded, if its manifest is readable.
void restore_last(const data_ptr& d) {
  auto text = node::read_manifest(d->cfg.root);
  if (!text)
    return;
  auto j = node::parse_manifest(*text, "manifest");
  if (!j)
    return;
  if (auto p = node::gpu_poll_of(*j)) {
    d->last = std::move(*p);
    d->have_last = true;
  }
}

} // namespace

caf::behavior gpu_poller(caf::event_based_actor* self,
                         supervision::health_handle h, gpu_poller_config cfg) {
  PACT_ASSERT(cfg.wall != nullptr, "the GPU poller needs a wall clock");
  PACT_ASSERT(cfg.interval.count() > 0, "GPU poll interval must be positive");
  auto d = std::make_shared<poller_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  restore_last(d);
  supervision::report(self, d->h, d->state, d->detail);
  supervision::start_heartbeat(self);
  self->send(self, gpu_tick_atom::value);
  auto state = [d] { return std::make_pair(d->state, d->detail); };
  return caf::message_handler{
    [self, d](gpu_poll_atom) { start_poll(self, d); },
    [self, d](gpu_tick_atom) {
      start_poll(self, d);
      self->delayed_send(self, d->cfg.interval, gpu_tick_atom::value);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, state));
}

} // namespace pact::agent
