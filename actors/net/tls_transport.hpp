#pragma once

/// pact's TLS transport for CAF's middleman (issue 16; DESIGN.md §5;
/// docs/security.md).
///
/// CAF 0.17's caf::openssl applies one policy to a whole actor system
/// (mutual authentication, or anonymous ECDH). This transport is a
/// middleman actor like caf::openssl's, speaking the same protocol
/// (`connect_atom`, `publish_atom`, `close_atom`) over CAF's default
/// multiplexer and BASP broker, but each instance carries its own policy
/// (runtime/tls/tls_context.hpp): one process can serve its gateway with
/// server authentication, its raft port with mutual authentication, and
/// dial agents checking that their certificate names the node.
///
/// Connecting handshakes before BASP starts (blocking the middleman actor,
/// which runs on its own thread, for at most `handshake_timeout`), so a
/// refused certificate is the connect request's error: its message is in
/// words ("certificate verify failed: the certificate has expired").
/// Accepting handshakes from the multiplexer's events; a failed handshake
/// is logged with the peer's address and the connection closed.

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/io/middleman_actor.hpp>

#include "runtime/tls/tls_context.hpp"

namespace pact::net {

/// One middleman instance's policy.
struct tls_policy {
  /// Used for connections this instance makes (null: it makes none).
  std::shared_ptr<tls::context_slot> client;
  /// Used for connections accepted on ports it opens (null: it opens
  /// none).
  std::shared_ptr<tls::context_slot> server;
  /// Name the server's certificate must carry when dialing; empty: the host
  /// dialed. Set it to the node name when dialing an agent whose endpoint
  /// is an address.
  std::string expect_name;
  /// Check only the chain, not the name (replica links, whose certificates
  /// name the replica, not its address).
  bool chain_only = false;
  /// When set, the server's certificate must have this serial (hex): an
  /// agent's current certificate by its node's enrollment record, so that
  /// no operator credential goes to an agent holding a revoked or
  /// superseded one.
  std::string expect_serial;
  std::chrono::milliseconds handshake_timeout{5000};
};

/// Spawns a TLS middleman with `policy`. Send it what you would send
/// `system.middleman().actor_handle()`. It ends when the system stops its
/// network layer; its thread then waits until no handle to it is left, so
/// drop every handle before the actor system's destructor runs.
caf::io::middleman_actor spawn_tls_middleman(caf::actor_system& sys,
                                             tls_policy policy);

} // namespace pact::net
