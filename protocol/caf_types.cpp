#include "protocol/caf_types.hpp"

#include <chrono>
#include <vector>

#include <caf/io/middleman.hpp>

#include "protocol/errors.hpp"

namespace pact::protocol {

namespace {

/// BASP heartbeats every pact process sends to the nodes it is connected
/// to, and how long a connection may stay silent before it is dropped. The
/// timeout is ten heartbeats: a loaded host may delay a few without a false
/// disconnect (which would cost a retry, never a lost answer).
constexpr std::chrono::seconds heartbeat_interval{1};
constexpr std::chrono::seconds connection_timeout{10};

} // namespace

void configure(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  // Work sharing instead of CAF's default work stealing: stealing workers
  // poll and nanosleep while idle, which on small control-plane machines
  // (and with several pact processes per host) burns the CPU the journal
  // needs. Sharing parks idle workers on a condition variable.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  // Every process tells each node it is connected to that it is alive, and
  // drops a connection that has been silent for a while. The reason is a
  // race in CAF 0.17's BASP broker: it cleans up a closed connection later,
  // through its message queue, by connection handle (= file descriptor).
  // Under load a short-lived client's descriptor is reused by a new
  // connection, and the late cleanup of an earlier connection on that
  // number then erases the new connection's route and context: answers to
  // that client vanish while its TCP connection stays open (seen as a
  // status request answered by the gateway and never received, issue 8
  // item 1). The server stops sending heartbeats on a connection it has no
  // route for, so the client notices the silence, drops the connection
  // (its monitors fire) and retries on a fresh one (reads are idempotent;
  // writes carry a client request id). The timeout also reports a peer
  // that hangs without closing its socket (SIGSTOP, a stuck host).
  cfg.set("middleman.heartbeat-interval", caf::timespan{heartbeat_interval});
  cfg.set("middleman.connection-timeout", caf::timespan{connection_timeout});
  // The middleman's utility actors run on the scheduler, not on threads of
  // their own. A detached middleman actor that outlives the tree (a publish
  // in flight when start-up failed, e.g. the metrics port taken) made the
  // actor system's destructor wait for its thread forever: pact-journal
  // printed its error and never exited (CI, stop 22).
  cfg.set("middleman.attach-utility-actors", true);
  // Replies to children_atom carry a vector of names; std::vector<string>
  // is not announced by default in CAF 0.17.
  cfg.add_message_type<std::vector<std::string>>("std::vector<std::string>");
  // Logs render pact errors as "pact: no-leader: <message>".
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value,
                                            const caf::message& ctx) {
    auto text = std::string("pact: ")
                + to_string(static_cast<ErrorReason>(code));
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      text += ": " + ctx.get_as<std::string>(0);
    return text;
  });
}

} // namespace pact::protocol
