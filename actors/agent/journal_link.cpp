#include "actors/agent/journal_link.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include <caf/io/middleman.hpp>
#include <caf/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include <pact/protocol/health.pb.h>

namespace pact::agent {

namespace {

using namespace pact::protocol;
using std::chrono::seconds;

struct link_data {
  supervision::health_handle h;
  journal_link_config cfg;
  caf::actor journal;
  size_t next = 0;
  seconds backoff{1};
  std::string status = "connecting";
  bool connected = false;
};

using shared = std::shared_ptr<link_data>;

void send_report(caf::event_based_actor* self, const shared& d) {
  if (!d->connected)
    return;
  self->request(d->cfg.registry, seconds(5), health_snapshot_atom::value)
    .then([self, d](const std::string& tree) {
      if (!d->journal)
        return;
      NodeReport r;
      r.set_node_id(d->cfg.node_id);
      r.set_vcluster(d->cfg.vcluster);
      r.set_agent_endpoint(d->cfg.agent_endpoint());
      PACT_ASSERT(r.mutable_health()->ParseFromString(tree),
                  "health tree from the local registry");
      self->send(d->journal, node_report_atom::value, r.SerializeAsString());
    });
}

void schedule_reconnect(caf::event_based_actor* self, const shared& d,
                        const std::string& why) {
  d->connected = false;
  d->journal = nullptr;
  d->status = why + "; retrying in " + std::to_string(d->backoff.count())
              + " s";
  spdlog::warn("journal link: {}", d->status);
  supervision::report(self, d->h, ACTOR_STATE_DEGRADED, d->status);
  self->delayed_send(self, d->backoff, reconnect_atom::value);
  d->backoff = std::min(d->backoff * 2, d->cfg.reconnect_max);
}

void connect(caf::event_based_actor* self, const shared& d) {
  auto& target = d->cfg.journals[d->next % d->cfg.journals.size()];
  ++d->next;
  auto mm = self->system().middleman().actor_handle();
  self
    ->request(mm, seconds(5), caf::connect_atom::value, target.host,
              target.port)
    .then(
      [self, d, target](const caf::node_id&, caf::strong_actor_ptr& ptr,
                        const std::set<std::string>&) {
        if (!ptr) {
          schedule_reconnect(self, d,
                             "no journal published at " + target.url());
          return;
        }
        d->journal = caf::actor_cast<caf::actor>(ptr);
        self->monitor(d->journal);
        d->connected = true;
        d->backoff = seconds(1);
        d->status = "connected to " + target.url();
        spdlog::info("journal link: {}", d->status);
        supervision::report(self, d->h, ACTOR_STATE_RUNNING, d->status);
        send_report(self, d);
      },
      [self, d, target](caf::error&) {
        schedule_reconnect(self, d, "journal unreachable at " + target.url());
      });
}

} // namespace

caf::behavior journal_link(caf::event_based_actor* self,
                           supervision::health_handle h,
                           journal_link_config cfg) {
  auto d = std::make_shared<link_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  if (d->cfg.journals.empty()) {
    self->quit(caf::make_error(caf::sec::invalid_argument,
                               "no journal endpoints configured"));
    return {};
  }
  self->set_down_handler([self, d](caf::down_msg& dm) {
    if (dm.source == d->journal.address())
      schedule_reconnect(self, d, "lost the journal connection");
  });
  supervision::report(self, d->h, ACTOR_STATE_STARTING, d->status);
  self->send(self, reconnect_atom::value);
  self->delayed_send(self, d->cfg.report_interval, report_tick_atom::value);
  supervision::start_heartbeat(self);
  auto state = [d] {
    return std::make_pair(
      d->connected ? ACTOR_STATE_RUNNING : ACTOR_STATE_DEGRADED, d->status);
  };
  return caf::message_handler{
    [self, d](reconnect_atom) { connect(self, d); },
    [self, d](report_tick_atom) {
      send_report(self, d);
      self->delayed_send(self, d->cfg.report_interval, report_tick_atom::value);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, d->h, state));
}

} // namespace pact::agent
