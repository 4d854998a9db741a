#pragma once

/// Internals shared by the journal link's files: its state and the steps of
/// connect (journal_link.cpp), boot (journal_link_boot.cpp) and node
/// commands (journal_link_commands.cpp).

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/response_promise.hpp>

#include "actors/agent/journal_link.hpp"
#include "runtime/journal/boot_assembler.hpp"
#include "runtime/node/boot_backoff.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::agent::detail {

/// Where the applied configuration came from.
enum class boot_source { none, journal, cache };

/// A node command and its id in the durable outbox (0: not kept there).
struct queued_command {
  uint64_t id = 0;
  protocol::JournalCommand cmd;
};

struct link_data {
  supervision::health_handle h;
  journal_link_config cfg;
  std::unique_ptr<node::boot_backoff> backoff;
  caf::actor journal;
  std::string journal_url;
  /// Index of the endpoint to try next; failures in the current round.
  size_t next = 0;
  size_t round_failures = 0;
  bool connected = false;
  /// The node credential as last read.
  std::string token;
  std::string token_problem;
  /// Request ids: a counter, and the boot stream in flight ("" = none).
  uint64_t request_seq = 0;
  std::string boot_request;
  std::optional<journal::boot_assembler> assembler;
  /// What is applied.
  boot_source source = boot_source::none;
  protocol::VClusterOverlay overlay;
  protocol::NodeDelta delta;
  /// What the first apply's files and sysctl keys held before it
  /// (node::before_delta), for the drift watcher.
  protocol::StateDelta before;
  /// The uncommitted local edits the first apply replaced
  /// (node::replaced_edits), until a boot record carried them.
  protocol::StateDelta replaced;
  int64_t applied_unix_ms = 0;
  uint64_t seen_sequence = 0;
  /// The journal's global blacklist as last answered (BootComplete); the
  /// drift watcher gets it merged into the overlay policy's patterns.
  std::vector<std::string> global_blacklist;
  std::string boot_summary;
  /// The journal answered the boot with nothing for this node.
  bool nothing_declared = false;
  bool ready_logged = false;
  /// "the boot cache is empty" was logged (once per process).
  bool cache_empty_logged = false;
  /// Node commands: waiting, and sent (by request id) awaiting an answer.
  /// Each is kept in the durable outbox of the boot cache under its id
  /// until the journal accepted or refused it for good.
  std::deque<queued_command> queue;
  /// In the order sent.
  std::deque<std::pair<std::string, queued_command>> in_flight;
  uint64_t dropped_commands = 0;
  /// The outbox id of the next command.
  uint64_t next_outbox_id = 1;
  /// Operator requests in flight (operator_call_atom), by request id.
  std::map<std::string, caf::response_promise> operator_calls;
  /// Of those, the commits of this node's delta (`pact commit` of drift),
  /// with the items sent: once recorded they are merged into `delta`, so
  /// the next boot answer does not count the node's own values as a
  /// change to apply (that overwrote an edit made right after the commit).
  std::map<std::string, protocol::StateDelta> operator_commits;
  /// Why the journal refused this agent's boot record as a second agent
  /// of the node (gateway claim_node; docs/agent.md "One agent per node");
  /// empty while it is the node's agent.
  std::string displaced;
  /// The detail line of the health report.
  std::string status = "connecting";
};

using shared = std::shared_ptr<link_data>;
using self_ptr = caf::event_based_actor*;

/// A request envelope carrying the node credential and a fresh id
/// ("<prefix>-<n>").
protocol::Request make_request(const shared& d, const std::string& prefix);

/// Sends `req` to the connected journal, answers addressed to the link.
void send_request(self_ptr self, const shared& d, const protocol::Request& req);

/// The health state and detail the heartbeat reports.
std::pair<protocol::ActorState, std::string> link_state(const link_data& d);

/// Sends the NodeReport (liveness and actor tree) when connected.
void send_report(self_ptr self, const shared& d);

/// Publishes the detail line (log and health report).
void set_status(self_ptr self, const shared& d, const std::string& status,
                bool warn);

// -- boot (journal_link_boot.cpp) --------------------------------------------

/// Sends the declared services, with the overlay's supervisor_backend, to
/// cfg.services, else to the service supervisor registered as
/// service_supervisor_name (none running: it asks with
/// (declared_services_atom) when it starts).
void send_services(caf::event_based_actor* self, const link_data& d,
                   const std::string& services);

/// The declared SERVICES items, a serialized StateDelta (empty before the
/// first boot), and the overlay's supervisor_backend.
std::tuple<std::string, std::string> declared_services(const link_data& d);

/// Asks the connected journal for the boot stream; `full` asks for the
/// overlay even when the applied one is current (the node delta rides only
/// with the overlay).
void request_boot(self_ptr self, const shared& d, bool full);
/// One chunk of the stream in flight.
void on_boot_chunk(self_ptr self, const shared& d, const std::string& bytes);
/// The answer closing the boot stream `resp` (request id boot-*).
void on_boot_reply(self_ptr self, const shared& d,
                   const protocol::Response& resp);
/// Every replica failed a round: boot from the cache unless booted.
void boot_from_cache(self_ptr self, const shared& d);
/// While another agent holds the node: asks again to be its agent (the
/// boot record), so that this one takes over once the other is gone.
void claim_again(self_ptr self, const shared& d);
/// (declared_state_atom) asked by a late actor.
std::tuple<std::string, std::string> declared_state(const link_data& d);

// -- node commands (journal_link_commands.cpp) -------------------------------

/// Takes the commands a previous link (or process) left in the durable
/// outbox into the queue, in their order; they go first once connected.
void load_outbox(const shared& d);
/// Queues a node command (bounded) and sends what can be sent; `durable`:
/// kept in the outbox until the journal accepted it (the boot record is
/// not: the next boot records again).
void enqueue_command(self_ptr self, const shared& d,
                     protocol::JournalCommand cmd, bool durable = true);
/// Sends the queued commands to the connected journal.
void flush_commands(self_ptr self, const shared& d);
/// The answer to a command request (request id cmd-*).
void on_command_reply(self_ptr self, const shared& d,
                      const protocol::Response& resp);
/// The connection is gone: commands in flight go back to the queue front.
void requeue_in_flight(const shared& d);

/// (operator_call_atom, request): proposes an operator's request on the
/// connection; answers UNAVAILABLE at once when not connected.
void operator_call(self_ptr self, const shared& d, const std::string& bytes);
/// The journal's answer to an operator request (request id op-*).
void on_operator_reply(const shared& d, const protocol::Response& resp);
/// The connection is gone: operator requests in flight end, their outcome
/// unknown (each carries a client request id, so a retry applies once).
void fail_operator_calls(const shared& d);

} // namespace pact::agent::detail
