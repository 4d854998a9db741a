#pragma once

/// Pushes journal events to Grafana Loki (runtime/journal/notification.hpp
/// says which and why every replica pushes). Runs when
/// `journal.notify.loki_url` is set, as a supervised detached actor: it
/// follows the local replica's applied entries through the same long poll
/// `pact watch` uses, queues the notifications, and posts them with
/// libcurl, retrying with backoff. Nothing on the write path waits for it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"

namespace pact::journal {

struct notifier_config {
  /// Loki's base URL (http or https), e.g. "http://loki:3100"; the push
  /// goes to <url>/loki/api/v1/push.
  std::string loki_url;
  /// PEM CA bundle for an https URL; empty: the system's.
  std::string ca_bundle;
  /// One push's limit.
  std::chrono::milliseconds timeout{5000};
  /// Notifications held while Loki is unreachable; beyond it the oldest
  /// are dropped (and counted in the log), never the journal's writes.
  size_t max_queued = 10000;
};

caf::behavior notifier(caf::event_based_actor* self,
                       supervision::health_handle h, notifier_config cfg);

} // namespace pact::journal
