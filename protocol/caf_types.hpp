#pragma once

/// The one place where pact's CAF atoms and message types are declared.
///
/// CAF 0.17 has no type-ID blocks; atoms are compile-time constants and
/// custom message types are announced with `add_message_type<T>()`. pact
/// keeps messages that cross a process boundary to atoms, integers and
/// `std::string` holding serialized protobuf, so the wire schema is versioned
/// by protocol/*.proto and not by CAF's serializer.

#include <cstdint>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

namespace pact::protocol {

// -- client API (CLI/MCP -> gateway, CLI -> agent API) -----------------------

/// (api_atom, bytes Request[, actor reply_to]) -> bytes Response, sent to
/// reply_to when given (actors/daemon/api_endpoint.hpp says why the
/// CLI names itself), else the response to the request.
using api_atom = caf::atom_constant<caf::atom("pactapi")>;
/// (exec_chunk_atom, bytes ExecChunk) -> void. The agent API to the
/// client's reply_to actor while a `pact exec` command runs, in order,
/// before the ExecReply (api.proto).
using exec_chunk_atom = caf::atom_constant<caf::atom("execchunk")>;
/// (shell_attach_atom, actor session, string secret) -> void. The agent to
/// the client's reply_to actor once a `pact shell` session is open: where
/// to send the operator's input, and the secret each input must carry (an
/// actor id is a small number anyone connected could guess; the secret is
/// 128 random bits).
using shell_attach_atom = caf::atom_constant<caf::atom("shattach")>;
/// (shell_input_atom, secret, bytes) -> void. Client to session: what the
/// operator typed.
using shell_input_atom = caf::atom_constant<caf::atom("shinput")>;
/// (shell_resize_atom, secret, uint32 rows, uint32 cols) -> void. Client to
/// session: the operator's terminal changed size.
using shell_resize_atom = caf::atom_constant<caf::atom("shresize")>;

// -- node plane (agent -> journal) --------------------------------------------

/// (node_report_atom, bytes NodeReport) -> void. Agent liveness and health.
using node_report_atom = caf::atom_constant<caf::atom("nodereport")>;

// -- health registry ---------------------------------------------------------

/// (register_atom, name, kind, parent, actor) -> void.
using health_register_atom = caf::atom_constant<caf::atom("hregister")>;
/// (health_atom, name, int32 state, detail, uint64 mailbox_depth) -> void.
using health_report_atom = caf::atom_constant<caf::atom("hreport")>;
/// (health_restart_atom, name, uint32 restarts) -> void.
using health_restart_atom = caf::atom_constant<caf::atom("hrestart")>;
/// (health_snapshot_atom) -> bytes HealthTree.
using health_snapshot_atom = caf::atom_constant<caf::atom("hsnapshot")>;
/// (heartbeat_atom) -> void. Self-sent timer that triggers a health report.
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;

// -- supervision -------------------------------------------------------------

/// (supervisor_children_atom) -> std::vector<std::string>. Test/debug query.
using children_atom = caf::atom_constant<caf::atom("children")>;
/// (child_atom, name) -> caf::actor. The current incarnation of a child.
using child_atom = caf::atom_constant<caf::atom("child")>;

// -- journal replica
// -----------------------------------------------------------

/// (raft_atom, bytes RaftMessage) -> void. Replica to replica (raft port).
using raft_atom = caf::atom_constant<caf::atom("raftmsg")>;
/// (tick_atom) -> void. The replica's tick timer.
using tick_atom = caf::atom_constant<caf::atom("tick")>;
/// (propose_atom, bytes command) -> (uint64 index, bytes result). Followers
/// delegate to the leader; errors are caf::error with a message.
using propose_atom = caf::atom_constant<caf::atom("propose")>;
/// (raft_status_atom) -> bytes RaftStatus.
using raft_status_atom = caf::atom_constant<caf::atom("raftstatus")>;
/// (read_index_atom) -> uint64 applied index (linearizable read point).
using read_index_atom = caf::atom_constant<caf::atom("readindex")>;
/// (query_atom, bytes JournalQuery) -> bytes JournalAnswer. Gateway to its
/// replica.
using query_atom = caf::atom_constant<caf::atom("jquery")>;
/// (watch_atom, bytes WatchRequest) -> bytes WatchReply. Gateway to its
/// replica; answered when entries arrive or the wait ends.
using watch_atom = caf::atom_constant<caf::atom("jwatch")>;
/// (boot_chunk_atom, bytes BootChunk) -> void. Gateway to the actor that
/// asked for boot configuration, one message per chunk, in order.
using boot_chunk_atom = caf::atom_constant<caf::atom("bootchunk")>;
/// (peer_hello_atom, uint64 id, string members, uint64 term, uint64 last,
/// uint64 you_stored) -> the same fields of the answering replica. Sent by
/// the replica that opened a peer connection before any Raft message: the
/// other side learns its handle when the canonical member lists agree and
/// neither log lost entries it acknowledged (term, durable last index, a
/// leader's match index for the receiver; actors/journal/cluster_config.hpp);
/// both sides compare.
using peer_hello_atom = caf::atom_constant<caf::atom("peerhello")>;
/// (peer_connect_atom, uint64 id) -> void. Peer (re)connect timer.
using peer_connect_atom = caf::atom_constant<caf::atom("peerconn")>;
/// (node_ca_atom) -> (string cert_pem, string key_pem). A replica asks a
/// peer for its ephemeral node CA over their mutually authenticated link,
/// and keeps the older of the two (runtime/journal/node_ca.hpp,
/// prefer_shared). Answered only to a connected peer, and only where the
/// raft links are TLS and the CA is ephemeral; otherwise an error.
using node_ca_atom = caf::atom_constant<caf::atom("nodeca")>;

// -- daemons -----------------------------------------------------------------

/// (published_atom, uint16_t port) -> void. An actor is listening on port.
using published_atom = caf::atom_constant<caf::atom("published")>;

// -- agent internals ---------------------------------------------------------

/// (reconnect_atom) -> void. Journal link (re)connect timer.
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
/// (report_tick_atom) -> void. Journal link periodic report timer.
using report_tick_atom = caf::atom_constant<caf::atom("reporttick")>;

/// Announces pact's message types and loads the modules every pact process
/// needs (the middleman for remoting), and turns on BASP heartbeats with a
/// connection timeout (caf_types.cpp says why). Call once on each actor system
/// configuration before constructing the actor system.
void configure(caf::actor_system_config& cfg);

} // namespace pact::protocol
