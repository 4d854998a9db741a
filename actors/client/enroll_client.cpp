#include "actors/client/enroll_client.hpp"

#include <mutex>

#include "actors/client/access.hpp"
#include "actors/client/journal_session.hpp"

namespace pact::client {

expected<std::string> fetch_node_ca(options opts) {
  journal_session s(nullptr, std::move(opts));
  protocol::Request req;
  req.set_request_id("ca-bundle");
  req.mutable_ca_bundle();
  auto resp = s.call(std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_ca_bundle_reply() || resp->ca_bundle_reply().ca_pem().empty())
    return make_error("the journal sent no node CA certificate");
  return resp->ca_bundle_reply().ca_pem();
}

expected<protocol::EnrollReply> request_certificate(options opts,
                                                    protocol::EnrollRequest e) {
  journal_session s(nullptr, std::move(opts));
  protocol::Request req;
  req.set_request_id("enroll");
  *req.mutable_enroll() = std::move(e);
  auto resp = s.call(std::move(req));
  if (!resp)
    return resp.err();
  if (!resp->has_enroll_reply() || resp->enroll_reply().cert_pem().empty())
    return make_error("the journal answered the certificate request without "
                      "a certificate");
  return resp->enroll_reply();
}

expected<options> agent_options(const config::values& cfg,
                                const endpoint& agent, const std::string& node,
                                std::string token,
                                std::chrono::milliseconds timeout) {
  options o{{agent}, "agent", std::move(token), timeout};
  if (!agent.tls)
    return o;
  // One question per process: `pact diag --vcluster` asks many agents.
  static std::mutex mu;
  static std::string cached;
  std::unique_lock<std::mutex> guard{mu};
  if (cached.empty()) {
    auto eps = journal_endpoints(cfg);
    if (!eps)
      return eps.err();
    auto jt = resolve_token(cfg);
    options jo{std::move(*eps), "journal", jt ? *jt : std::string{},
               timeout_of(cfg)};
    jo.ca_bundle = cfg.get_string("ca_bundle");
    auto ca = fetch_node_ca(std::move(jo));
    if (!ca)
      return make_error("cannot verify the agent of " + node
                          + ": the journal's node CA: " + ca.err().message,
                        ca.err().code);
    cached = *ca;
  }
  o.trust_pem = cached;
  guard.unlock();
  o.ca_bundle = "the journal's node CA";
  o.expect_name = node;
  // The node's enrollment says which certificate is its current one: no
  // operator token goes to an agent whose certificate was revoked or
  // superseded (a compromised node could replay it at the journal).
  if (!node.empty()) {
    auto js = journal_session::open(cfg);
    if (!js)
      return js.err();
    auto st = (*js)->state("", node);
    if (!st)
      return make_error("cannot verify the agent of " + node
                          + ": its enrollment: " + st.err().message,
                        st.err().code);
    for (const auto& n : st->nodes()) {
      if (n.node() != node || !n.has_enrollment())
        continue;
      const auto& e = n.enrollment();
      if (e.state() == protocol::ENROLLMENT_STATE_REVOKED)
        return make_error("node " + node + " is revoked (pact enroll status "
                            + node
                            + "): its agent is not sent your credentials",
                          exit_code::auth_failure);
      o.expect_serial = e.cert_serial();
    }
  }
  return o;
}

std::string node_of(const protocol::Request& req) {
  switch (req.body_case()) {
    case protocol::Request::kDrift:
      return req.drift().node();
    case protocol::Request::kCapability:
      return req.capability().node();
    case protocol::Request::kDriftCommit:
      return req.drift_commit().node();
    case protocol::Request::kNodeRollback:
      return req.node_rollback().node();
    case protocol::Request::kExec:
      return req.exec().node();
    case protocol::Request::kService:
      return req.service().node();
    case protocol::Request::kDiag:
      return req.diag().node();
    case protocol::Request::kShell:
      return req.shell().node();
    default:
      return {};
  }
}

} // namespace pact::client
