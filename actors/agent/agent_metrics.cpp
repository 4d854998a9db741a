#include "actors/agent/agent_metrics.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <prometheus/text_serializer.h>

namespace pact::agent {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

/// `name` without `prefix`, lower case ("COMMAND_KIND_DRIFT_DETECTED" ->
/// "drift_detected"); `fallback` for a value the enum does not name.
std::string enum_label(std::string name, const std::string& prefix,
                       const std::string& fallback) {
  if (name.rfind(prefix, 0) == 0)
    name = name.substr(prefix.size());
  if (name.empty())
    return fallback;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return name;
}

std::string kind_label(protocol::CommandKind kind) {
  return enum_label(protocol::CommandKind_Name(kind), "COMMAND_KIND_",
                    "kind_" + std::to_string(static_cast<int>(kind)));
}

std::string record_label(protocol::EntryType type) {
  return enum_label(protocol::EntryType_Name(type), "ENTRY_TYPE_",
                    "type_" + std::to_string(static_cast<int>(type)));
}

/// Label values whose series exist from the start at 0 (so that rate()
/// and the dashboard see them before the first event).
const char* const exec_results[] = {"ok", "nonzero_exit", "timed_out", "failed",
                                    "refused"};
const char* const service_states[] = {"waiting",  "starting", "running",
                                      "exited",   "backoff",  "failed",
                                      "stopping", "stopped"};

const char* phase_label(node::window_phase p) {
  switch (p) {
    case node::window_phase::open:
      return "open";
    case node::window_phase::expired:
      return "expired";
    case node::window_phase::closed:
      break;
  }
  return "closed";
}

const char* change_label(node::gpu_change_kind k) {
  switch (k) {
    case node::gpu_change_kind::appeared:
      return "appeared";
    case node::gpu_change_kind::disappeared:
      return "disappeared";
    case node::gpu_change_kind::ecc_rising:
      return "ecc_rising";
    case node::gpu_change_kind::throttling:
      return "throttling";
    case node::gpu_change_kind::tool_failed:
      return "tool_failed";
    case node::gpu_change_kind::tool_recovered:
      break;
  }
  return "tool_recovered";
}

prometheus::Family<prometheus::Gauge>&
gauges(prometheus::Registry& r, const char* name, const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>&
counters(prometheus::Registry& r, const char* name, const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r);
}

} // namespace

agent_metrics& agent_metrics::get() {
  static agent_metrics m;
  return m;
}

agent_metrics::agent_metrics() {
  auto& r = registry_;
  info_ = &gauges(r, "pact_agent_info", "The agent's node id and version (1)");
  drift_items_ = &gauges(r, "pact_agent_drift_items",
                         "Items drifted from the declared state now")
                    .Add({});
  drift_records_ = &counters(r, "pact_agent_drift_records_total",
                             "Drift records sent to the journal, by kind");
  for (auto k : {protocol::COMMAND_KIND_DRIFT_DETECTED,
                 protocol::COMMAND_KIND_AUTO_CONVERGE})
    drift_records_->Add({{"kind", kind_label(k)}});
  for (auto t : {protocol::ENTRY_TYPE_WINDOW_EXPIRED,
                 protocol::ENTRY_TYPE_DRIFT_RESOLVED})
    drift_records_->Add({{"kind", record_label(t)}});
  auto& window = gauges(r, "pact_agent_commit_window_state",
                        "1 for the commit window's current phase");
  for (auto p : {node::window_phase::closed, node::window_phase::open,
                 node::window_phase::expired})
    window_state_[p] = &window.Add({{"state", phase_label(p)}});
  window_state_[node::window_phase::closed]->Set(1);
  window_end_ = &gauges(r, "pact_agent_commit_window_end_timestamp_seconds",
                        "When the open commit window ends (Unix seconds; 0: "
                        "no window open)")
                   .Add({});
  services_ = &gauges(r, "pact_agent_services", "Declared services by state");
  for (const char* s : service_states)
    service_states_[s] = &services_->Add({{"state", s}});
  restarts_ = &counters(r, "pact_agent_service_restarts_total",
                        "Restarts of a supervised service (crashes and "
                        "operator restarts)");
  exec_ = &counters(r, "pact_agent_exec_total",
                    "pact exec commands, by result");
  for (const char* result : exec_results)
    exec_->Add({{"result", result}});
  gpu_devices_
    = &gauges(r, "pact_agent_gpu_devices", "GPUs the last poll found").Add({});
  gpu_tool_failed_ = &gauges(r, "pact_agent_gpu_tool_failed",
                             "1 when the GPU tool failed at the last poll")
                        .Add({});
  gpu_temperature_ = &gauges(r, "pact_agent_gpu_temperature_celsius",
                             "GPU temperature");
  gpu_ecc_ = &gauges(r, "pact_agent_gpu_ecc_uncorrected_errors",
                     "Volatile uncorrected ECC errors since the driver "
                     "loaded");
  gpu_throttled_ = &gauges(r, "pact_agent_gpu_throttled",
                           "1 while a thermal or power-brake slowdown is "
                           "active");
  gpu_changes_ = &counters(r, "pact_agent_gpu_health_changes_total",
                           "GPU health changes recorded, by kind");
  for (auto k :
       {node::gpu_change_kind::appeared, node::gpu_change_kind::disappeared,
        node::gpu_change_kind::ecc_rising, node::gpu_change_kind::throttling,
        node::gpu_change_kind::tool_failed,
        node::gpu_change_kind::tool_recovered})
    gpu_changes_->Add({{"kind", change_label(k)}});
}

void agent_metrics::set_info(const std::string& node,
                             const std::string& version) {
  std::lock_guard<std::mutex> guard{mu_};
  info_->Add({{"node", node}, {"version", version}}).Set(1);
}

void agent_metrics::drift_record(const protocol::JournalCommand& cmd) {
  auto label = cmd.kind() == protocol::COMMAND_KIND_RECORD
                 ? record_label(cmd.record_type())
                 : kind_label(cmd.kind());
  std::lock_guard<std::mutex> guard{mu_};
  drift_records_->Add({{"kind", label}}).Increment();
}

void agent_metrics::drift_state(size_t items, node::window_phase phase,
                                int64_t window_ends_ms) {
  drift_items_->Set(static_cast<double>(items));
  for (auto& [p, g] : window_state_)
    g->Set(p == phase ? 1 : 0);
  window_end_->Set(phase == node::window_phase::closed
                     ? 0
                     : static_cast<double>(window_ends_ms) / 1000.0);
}

void agent_metrics::services(const std::map<std::string, size_t>& by_state) {
  std::lock_guard<std::mutex> guard{mu_};
  for (const auto& [state, n] : by_state) {
    auto& g = service_states_[state];
    if (g == nullptr)
      g = &services_->Add({{"state", state}});
  }
  for (auto& [state, g] : service_states_) {
    auto it = by_state.find(state);
    g->Set(it == by_state.end() ? 0 : static_cast<double>(it->second));
  }
}

void agent_metrics::service_restarts(const std::string& service,
                                     uint32_t restarts) {
  std::lock_guard<std::mutex> guard{mu_};
  auto& seen = restarts_seen_[service];
  auto& c = restarts_->Add({{"service", service}});
  // Fewer than last time: a new service actor, counting from 0 again.
  c.Increment(restarts >= seen ? restarts - seen : restarts);
  seen = restarts;
}

void agent_metrics::exec_recorded(const std::string& phase, int32_t exit_code,
                                  bool timed_out) {
  std::string result;
  if (phase == "finished")
    result = timed_out ? "timed_out" : exit_code == 0 ? "ok" : "nonzero_exit";
  else if (phase == "failed" || phase == "refused")
    result = phase;
  else
    return;
  std::lock_guard<std::mutex> guard{mu_};
  exec_->Add({{"result", result}}).Increment();
}

void agent_metrics::gpu_polled(const node::gpu_poll& poll) {
  std::lock_guard<std::mutex> guard{mu_};
  gpu_tool_failed_->Set(poll.status.rfind("error:", 0) == 0 ? 1 : 0);
  gpu_devices_->Set(static_cast<double>(poll.report.devices.size()));
  std::set<uint32_t> present;
  for (const auto& dev : poll.report.devices) {
    present.insert(dev.index);
    auto& series = gpu_series_[dev.index];
    for (auto& [family, g] : series)
      family->Remove(g);
    series.clear();
    prometheus::Labels l{{"gpu", std::to_string(dev.index)}};
    if (dev.temperature_c) {
      auto* g = &gpu_temperature_->Add(l);
      g->Set(static_cast<double>(*dev.temperature_c));
      series.emplace_back(gpu_temperature_, g);
    }
    if (dev.ecc_uncorrected) {
      auto* g = &gpu_ecc_->Add(l);
      g->Set(static_cast<double>(*dev.ecc_uncorrected));
      series.emplace_back(gpu_ecc_, g);
    }
    bool throttled = std::any_of(dev.throttle_reasons.begin(),
                                 dev.throttle_reasons.end(),
                                 node::is_health_throttle);
    auto* g = &gpu_throttled_->Add(l);
    g->Set(throttled ? 1 : 0);
    series.emplace_back(gpu_throttled_, g);
  }
  // A device that went is not shown with its last values.
  for (auto it = gpu_series_.begin(); it != gpu_series_.end();) {
    if (present.count(it->first) > 0) {
      ++it;
      continue;
    }
    for (auto& [family, g] : it->second)
      family->Remove(g);
    it = gpu_series_.erase(it);
  }
}

void agent_metrics::gpu_changes(const std::vector<node::gpu_change>& changes) {
  std::lock_guard<std::mutex> guard{mu_};
  for (const auto& c : changes)
    gpu_changes_->Add({{"kind", change_label(c.kind)}}).Increment();
}

std::string agent_metrics::render() {
  // Collect() is thread-safe in prometheus-cpp; the mutex keeps a GPU
  // series from being removed while it is read.
  std::lock_guard<std::mutex> guard{mu_};
  return prometheus::TextSerializer{}.Serialize(registry_.Collect());
}

} // namespace pact::agent
