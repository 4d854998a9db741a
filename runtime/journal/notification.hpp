#pragma once

/// Notifications of journal events to the site's log system: emergency
/// starts and ends are pushed to Grafana Loki's push API (issue 14 item 6;
/// the operator guide's "Emergency Mode": start and end are announced).
///
/// Pure: which applied entries announce something, the push body, and the
/// retry schedule. The journal's notifier actor (actors/journal/notifier)
/// does the I/O, off the write path: a failed or slow push never delays or
/// fails the operation it reports.
///
/// Every replica pushes the entries it applies. Loki drops an entry whose
/// stream, timestamp and line equal one it already holds, and the body is
/// made from the replicated entry alone (its own timestamp, no replica
/// name), so the copies collapse into one and a leader change between the
/// write and the push loses nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// One event to push.
struct notification {
  /// Loki labels (low cardinality: no node names, no free text).
  std::string event; // "emergency_start" or "emergency_end"
  std::string vcluster;
  /// The entry's time in ms since the epoch; the push is stamped with it.
  int64_t timestamp_unix_ms = 0;
  /// The log line: a JSON object with the entry's sequence, event, scope,
  /// node, vCluster, author (principal, type, role) and reason.
  std::string line;
};

/// The notification an applied entry announces, if any: emergency-start
/// and emergency-end entries.
std::optional<notification> notification_of(const protocol::ConfigEntry& e);

/// The body of `POST /loki/api/v1/push` (JSON): one stream per distinct
/// label set, labels {app="pact", event, vcluster}, values [[ns, line]]
/// with the timestamp in nanoseconds as a decimal string, as Loki expects.
std::string loki_push_body(const std::vector<notification>& batch);

/// When to try a failed push again: 1 s, doubling, at most 60 s apart.
/// Pushes are retried as long as the journal runs (the queue is bounded
/// by the notifier), so an outage of the log system delays announcements
/// but does not drop them.
class push_backoff {
public:
  /// Milliseconds to wait after the `failures`-th failure in a row (>= 1).
  static int64_t delay_ms(uint32_t failures);
};

} // namespace pact::journal
