#pragma once

/// An agent's enrollment requests to the journal (issue 16; docs/
/// security.md "Node enrollment"): the node CA's certificate, and a node
/// certificate for a CSR. Each call runs on an actor system of its own, so
/// its connection closes when the call returns: the agent's journal link
/// then opens its own, presenting the new certificate (CAF's BASP would
/// otherwise carry the link over the certificate-less connection).

#include <string>

#include "actors/client/client.hpp"
#include "runtime/common/config.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// The PEM certificate(s) of the CA that signs node certificates
/// (CaBundleRequest; `opts.token` may be empty: the journal answers anyone).
expected<std::string> fetch_node_ca(options opts);

/// Sends `req` (first enrollment: `enroll_token` set, `opts.token` empty;
/// renewal or re-enrollment: `opts.token` is the node's credential) and
/// returns the signed certificate. Refusals carry the journal's message
/// ("enrollment: hardware mismatch") and exit 2.
expected<protocol::EnrollReply>
request_certificate(options opts, protocol::EnrollRequest req);

/// Connection options for the agent API at `agent`, serving `node`. For
/// an https:// endpoint the agent's certificate must be signed by the
/// journal's node CA (fetched over the verified journal connection of
/// `cfg`, once per process) and name `node` (docs/security.md "What each
/// port requires").
expected<options> agent_options(const config::values& cfg,
                                const endpoint& agent, const std::string& node,
                                std::string token,
                                std::chrono::milliseconds timeout);

/// The node an agent request is about (the `node` field of its body).
std::string node_of(const protocol::Request& req);

} // namespace pact::client
