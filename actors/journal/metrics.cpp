#include "actors/journal/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace pact::journal {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Gauge* gauge(prometheus::Registry& r, const char* name,
                         const char* help, const std::string& node) {
  return &BuildGauge().Name(name).Help(help).Register(r).Add(
    {{"replica", node}});
}

prometheus::Counter* counter(prometheus::Registry& r, const char* name,
                             const char* help, const std::string& node) {
  return &BuildCounter().Name(name).Help(help).Register(r).Add(
    {{"replica", node}});
}

} // namespace

raft_metrics::raft_metrics(const std::string& node_id)
  : registry(std::make_shared<prometheus::Registry>()), node_id_(node_id) {
  auto& r = *registry;
  term = gauge(r, "pact_raft_term", "Current Raft term", node_id);
  is_leader = gauge(r, "pact_raft_is_leader", "1 if this replica is the leader",
                    node_id);
  leader_id = gauge(r, "pact_raft_leader_id", "Known leader id (0: none)",
                    node_id);
  commit_index = gauge(r, "pact_raft_commit_index", "Highest committed index",
                       node_id);
  applied_index = gauge(r, "pact_raft_applied_index",
                        "Highest index applied to the state machine", node_id);
  last_index = gauge(r, "pact_raft_last_index", "Last index in the local log",
                     node_id);
  commit_lag = gauge(r, "pact_raft_commit_lag_entries",
                     "Entries in the local log not yet known committed",
                     node_id);
  apply_lag = gauge(r, "pact_raft_apply_lag_entries",
                    "Committed entries not yet applied to the state machine",
                    node_id);
  store_failed = gauge(r, "pact_raft_store_failed",
                       "1 if the store failed and writes are refused", node_id);
  elections = counter(r, "pact_raft_elections_total",
                      "Elections this replica started", node_id);
  proposals = counter(r, "pact_raft_proposals_total",
                      "Proposals committed and applied by this leader",
                      node_id);
  proposals_failed = counter(r, "pact_raft_proposals_failed_total",
                             "Proposals refused or lost", node_id);
  forwarded = counter(r, "pact_raft_proposals_forwarded_total",
                      "Proposals forwarded to the leader", node_id);
  messages_sent = counter(r, "pact_raft_messages_sent_total",
                          "Raft messages sent to peers", node_id);
  messages_received = counter(r, "pact_raft_messages_received_total",
                              "Raft messages received from peers", node_id);
  fsync_seconds = &BuildHistogram()
                     .Name("pact_raft_fsync_seconds")
                     .Help("Duration of one durable write (group commit)")
                     .Register(r)
                     .Add({{"replica", node_id}},
                          prometheus::Histogram::BucketBoundaries{
                            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                            0.025, 0.05, 0.1, 0.25, 1});
  batch_entries = &BuildHistogram()
                     .Name("pact_raft_batch_entries")
                     .Help("Entries persisted per durable write")
                     .Register(r)
                     .Add({{"replica", node_id}},
                          prometheus::Histogram::BucketBoundaries{
                            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
  gateway = std::make_shared<gateway_metrics>(r, node_id);
  state = std::make_shared<state_metrics>(r, node_id);
  lag_family_ = &BuildGauge()
                   .Name("pact_raft_replication_lag_entries")
                   .Help("Entries the peer is behind the leader's log")
                   .Register(r);
}

void raft_metrics::set_lag(uint64_t peer, double entries) {
  auto& g = lag_[peer];
  if (g == nullptr)
    g = &lag_family_->Add(
      {{"replica", node_id_}, {"peer", std::to_string(peer)}});
  g->Set(entries);
}

std::string render_metrics(prometheus::Registry& registry) {
  return prometheus::TextSerializer{}.Serialize(registry.Collect());
}

} // namespace pact::journal
