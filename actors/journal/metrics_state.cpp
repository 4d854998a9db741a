#include "actors/journal/metrics_state.hpp"

#include <algorithm>
#include <cctype>

namespace pact::journal {

namespace {

using prometheus::BuildGauge;

prometheus::Gauge* gauge(prometheus::Registry& r, const char* name,
                         const char* help, const std::string& replica) {
  return &BuildGauge().Name(name).Help(help).Register(r).Add(
    {{"replica", replica}});
}

/// "observe_only" for NODE_STATE_OBSERVE_ONLY.
std::string state_label(int state) {
  auto name = protocol::NodeState_Name(static_cast<protocol::NodeState>(state));
  const std::string prefix = "NODE_STATE_";
  if (name.rfind(prefix, 0) == 0)
    name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return name;
}

} // namespace

state_metrics::state_metrics(prometheus::Registry& r,
                             const std::string& replica) {
  entries_ = gauge(r, "pact_journal_entries",
                   "Config entries in the journal (the latest sequence)",
                   replica);
  vclusters_ = gauge(r, "pact_journal_vclusters", "vClusters with an overlay",
                     replica);
  approvals_pending_ = gauge(r, "pact_journal_approvals_pending",
                             "Two-person approvals waiting for a decision",
                             replica);
  approval_next_expiry_
    = gauge(r, "pact_journal_approval_next_expiry_timestamp_seconds",
            "When the pending approval that expires first expires (Unix "
            "seconds; 0: none pending)",
            replica);
  emergencies_ = gauge(r, "pact_journal_emergencies_active",
                       "Active emergencies (nodes and vClusters)", replica);
  auto& family = BuildGauge()
                   .Name("pact_journal_nodes")
                   .Help("Nodes the journal knows, by state")
                   .Register(r);
  // Every state, zero included, so that a query for one never finds it
  // missing.
  for (int s = protocol::NodeState_MIN; s <= protocol::NodeState_MAX; ++s)
    if (protocol::NodeState_IsValid(s))
      nodes_[s]
        = &family.Add({{"replica", replica}, {"state", state_label(s)}});
}

bool state_metrics::due(uint64_t applied, time_point now) {
  if (applied == applied_ || (refreshed_ && now - last_ < min_interval))
    return false;
  refreshed_ = true;
  applied_ = applied;
  last_ = now;
  return true;
}

void state_metrics::refresh(const config_state_machine& sm) {
  entries_->Set(static_cast<double>(sm.last_sequence()));
  vclusters_->Set(static_cast<double>(sm.overlays().size()));
  emergencies_->Set(static_cast<double>(sm.emergencies().size()));
  std::map<int, size_t> by_state;
  for (const auto& [name, rec] : sm.nodes())
    ++by_state[static_cast<int>(rec.state())];
  for (auto& [s, g] : nodes_)
    g->Set(static_cast<double>(by_state[s]));
  size_t pending = 0;
  int64_t next_ms = 0;
  for (const auto& [id, a] : sm.approvals()) {
    if (a.state() != protocol::APPROVAL_STATE_PENDING)
      continue;
    ++pending;
    if (next_ms == 0 || a.expires_unix_ms() < next_ms)
      next_ms = a.expires_unix_ms();
  }
  approvals_pending_->Set(static_cast<double>(pending));
  approval_next_expiry_->Set(static_cast<double>(next_ms) / 1000.0);
}

} // namespace pact::journal
