#include "actors/journal/notifier.hpp"

#include <deque>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/journal/replica.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/http_client.hpp"
#include "runtime/journal/notification.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

namespace {

using namespace std::chrono_literals;

/// (notify_poll_atom): ask the replica for entries after `after`.
using notify_poll_atom = caf::atom_constant<caf::atom("ntfpoll")>;
/// (notify_push_atom): try the queued notifications now.
using notify_push_atom = caf::atom_constant<caf::atom("ntfpush")>;

/// A long poll's wait; the replica answers earlier when entries arrive.
constexpr uint32_t poll_wait_ms = 10000;
constexpr uint32_t poll_batch = 256;
/// Notifications sent in one push.
constexpr size_t push_batch = 100;

struct notifier_data {
  notifier_config cfg;
  std::deque<notification> queue;
  /// Last sequence read; 0 until the first poll ("from now").
  uint64_t after = 0;
  bool started = false;
  uint32_t failures = 0;
  bool push_armed = false;
  size_t dropped = 0;
  std::string detail = "following the journal";
};

void push(caf::event_based_actor* self, supervision::health_handle& h,
          notifier_data& d);

void arm_push(caf::event_based_actor* self, notifier_data& d,
              std::chrono::milliseconds wait) {
  if (d.push_armed)
    return;
  d.push_armed = true;
  self->delayed_send(self, wait, notify_push_atom::value);
}

void enqueue(notifier_data& d, notification n) {
  if (d.queue.size() >= d.cfg.max_queued) {
    d.queue.pop_front();
    ++d.dropped;
    spdlog::warn("notify: {} notifications dropped: Loki has been "
                 "unreachable for longer than the queue holds ({})",
                 d.dropped, d.cfg.max_queued);
  }
  d.queue.push_back(std::move(n));
}

void poll(caf::event_based_actor* self, supervision::health_handle h,
          std::shared_ptr<notifier_data> d) {
  auto replica
    = caf::actor_cast<caf::actor>(self->system().registry().get(replica_name));
  if (!replica) {
    // Not registered yet (starting) or restarting: the first poll must
    // land before the gateway serves, so that nothing written after the
    // start is missed; look again soon.
    self->delayed_send(self, 50ms, notify_poll_atom::value);
    return;
  }
  protocol::WatchRequest req;
  req.set_after_sequence(d->after);
  req.set_from_now(!d->started);
  req.set_wait_ms(d->started ? poll_wait_ms : 0);
  req.set_max_entries(poll_batch);
  self
    ->request(replica, std::chrono::milliseconds(poll_wait_ms) + 5s,
              protocol::watch_atom::value, req.SerializeAsString())
    .then(
      [self, h, d](const std::string& bytes) mutable {
        protocol::WatchReply reply;
        if (reply.ParseFromString(bytes)) {
          d->started = true;
          for (const auto& e : reply.entries())
            if (auto n = notification_of(e))
              enqueue(*d, std::move(*n));
          d->after = std::max(d->after, reply.last_sequence());
        }
        if (!d->queue.empty())
          push(self, h, *d);
        self->send(self, notify_poll_atom::value);
      },
      [self](caf::error&) {
        // The replica is restarting or has no answer yet: poll again soon.
        self->delayed_send(self, 1s, notify_poll_atom::value);
      });
}

void push(caf::event_based_actor* self, supervision::health_handle& h,
          notifier_data& d) {
  if (d.push_armed || d.queue.empty())
    return; // a retry is scheduled: keep the backoff
  std::vector<notification> batch(
    d.queue.begin(),
    d.queue.begin()
      + static_cast<std::ptrdiff_t>(std::min(push_batch, d.queue.size())));
  http::client_request req;
  req.method = "POST";
  req.url = d.cfg.loki_url + "/loki/api/v1/push";
  req.headers = {"Content-Type: application/json"};
  req.body = loki_push_body(batch);
  req.ca_bundle = d.cfg.ca_bundle;
  req.timeout = d.cfg.timeout;
  req.allow_plain_http = true; // Loki is often plain HTTP on the site LAN
  req.max_response_bytes = 64 * 1024;
  auto resp = http::perform(req);
  std::string why;
  if (!resp)
    why = resp.err().message;
  else if (resp->status < 200 || resp->status >= 300)
    why = req.url + ": status " + std::to_string(resp->status);
  // Loki refuses a batch it will never take (malformed, too old for the
  // stream, over a limit) with 4xx: retrying cannot help, and would hold
  // back every later notification. 429 means "later".
  bool permanent = resp && resp->status >= 400 && resp->status < 500
                   && resp->status != 429;
  if (permanent) {
    spdlog::error("notify: Loki refused {} notifications ({}): {}; dropped",
                  batch.size(), why, resp->body.substr(0, 200));
    why.clear();
  }
  if (why.empty()) {
    d.queue.erase(d.queue.begin(),
                  d.queue.begin() + static_cast<std::ptrdiff_t>(batch.size()));
    if (d.failures > 0)
      spdlog::info("notify: Loki reachable again, {} notifications sent",
                   batch.size());
    d.failures = 0;
    d.detail = "following the journal";
    supervision::report(self, h, protocol::ACTOR_STATE_RUNNING, d.detail);
    if (!d.queue.empty())
      arm_push(self, d, 0ms);
    return;
  }
  ++d.failures;
  auto wait = std::chrono::milliseconds(push_backoff::delay_ms(d.failures));
  d.detail = "cannot push " + std::to_string(d.queue.size())
             + " notifications: " + why;
  spdlog::warn("notify: {}; retrying in {} ms", d.detail, wait.count());
  supervision::report(self, h, protocol::ACTOR_STATE_DEGRADED, d.detail);
  arm_push(self, d, wait);
}

} // namespace

caf::behavior notifier(caf::event_based_actor* self,
                       supervision::health_handle h, notifier_config cfg) {
  auto d = std::make_shared<notifier_data>();
  d->cfg = std::move(cfg);
  while (!d->cfg.loki_url.empty() && d->cfg.loki_url.back() == '/')
    d->cfg.loki_url.pop_back();
  supervision::report(self, h, protocol::ACTOR_STATE_RUNNING, d->detail);
  supervision::start_heartbeat(self);
  self->send(self, notify_poll_atom::value);
  auto state = [d] {
    return std::make_pair(d->failures == 0 ? protocol::ACTOR_STATE_RUNNING
                                           : protocol::ACTOR_STATE_DEGRADED,
                          d->detail);
  };
  return caf::message_handler{
    [self, h, d](notify_poll_atom) { poll(self, h, d); },
    [self, h, d](notify_push_atom) mutable {
      d->push_armed = false;
      push(self, h, *d);
    },
  }
    .or_else(supervision::heartbeat_behavior(self, h, state));
}

} // namespace pact::journal
