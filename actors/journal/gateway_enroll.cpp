// The enrollment side of the gateway (issue 16; docs/security.md): a node's
// certificate request is checked and signed here (runtime/journal/
// enroll_issue), recorded through the log as NODE_ACTIVATE, and the
// certificate is answered only once that entry committed. A first request
// authenticates with the node's one-time enrollment token and no bearer
// token (api_endpoint.cpp lets it through); a renewal with the node's own
// credential. The CA bundle is for any authenticated caller.

#include <spdlog/spdlog.h>

#include "actors/journal/gateway_detail.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/common/log_text.hpp"
#include "runtime/journal/enroll_issue.hpp"
#include "runtime/policy/node_authz.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;
using daemon::api_reply;
using self_ptr = caf::event_based_actor*;

/// The journal's node CA, or null after answering `reply`.
std::shared_ptr<const node_ca_material> ca_or_fail(const gateway_shared& d,
                                                   api_reply& reply) {
  auto ca = d->cfg.node_ca ? d->cfg.node_ca->current() : nullptr;
  if (!ca)
    reply.fail(STATUS_CODE_ERROR,
               "this journal has no node CA (journal.tls.ca_cert); it signs "
               "no node certificates");
  return ca;
}

void refuse(api_reply& reply, const std::string& node, StatusCode code,
            const std::string& why) {
  // The troubleshooting guide: "CSR rejected: check journal logs for the
  // rejection reason".
  spdlog::warn("enrollment: refused the certificate request of node {}: {}",
               safe_text(node, 64), safe_text(why, 300));
  reply.fail(code, why);
}

/// Records the certificate (NODE_ACTIVATE) and answers with it once the
/// entry committed; a refusal discards it.
void record_and_answer(self_ptr self, const gateway_shared& d,
                       std::shared_ptr<const node_ca_material> ca,
                       issued_cert cert, api_reply reply) {
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  auto node = cert.activate.scope().node();
  self
    ->request(r, d->cfg.propose_timeout, propose_atom::value,
              cert.activate.SerializeAsString())
    .then(
      [reply, ca, cert, node](uint64_t, const std::string& bytes) mutable {
        CommandResult res;
        if (!res.ParseFromString(bytes)) {
          reply.fail(STATUS_CODE_ERROR, "replica sent a malformed result");
          return;
        }
        if (res.status().code() != STATUS_CODE_OK) {
          refuse(reply, node, res.status().code(), res.status().message());
          return;
        }
        spdlog::info("enrollment: issued certificate {} to node {} (entry "
                     "{})",
                     cert.activate.cert_serial(), safe_text(node, 64),
                     res.sequences_size() > 0 ? res.sequences(0) : 0);
        Response resp;
        auto* out = resp.mutable_enroll_reply();
        out->set_cert_pem(std::move(cert.cert_pem));
        out->set_ca_pem(ca->ca.cert_pem);
        out->set_not_after_unix_ms(cert.not_after_unix_ms);
        reply.ok(std::move(resp));
      },
      [reply](caf::error& err) mutable {
        reply.fail(err, "enrollment not recorded (no certificate was "
                        "issued; retry with a new CSR)");
      });
}

/// Signs the request (pre-checked against `known` when `state_read`) and
/// records it.
void sign(self_ptr self, const gateway_shared& d, const EnrollRequest& q,
          bool state_read, const NodeRecord* known, api_reply reply) {
  auto ca = ca_or_fail(d, reply);
  if (!ca)
    return;
  auto out = issue_node_cert(q, *ca,
                             d->cfg.node_ca->node_cert_validity_seconds(),
                             d->cfg.wall->now_unix_ms(), state_read, known);
  if (!out.issued) {
    refuse(reply, q.node(), out.refusal.code, out.refusal.message);
    return;
  }
  record_and_answer(self, d, std::move(ca), std::move(*out.issued),
                    std::move(reply));
}

void handle_enroll(self_ptr self, const gateway_shared& d, const Request& req,
                   const policy::authenticated& who, api_reply reply) {
  const auto& q = req.enroll();
  reply.set_write(true);
  if (!ca_or_fail(d, reply))
    return;
  // A renewal: only the node itself (its credential; later its
  // certificate-bound token). A first request carries the one-time token
  // instead and was let through unauthenticated.
  if (q.enroll_token().empty()
      && (!policy::holds_node_role(who.roles)
          || who.claims.subject != q.node())) {
    refuse(reply, q.node(), STATUS_CODE_UNAUTHORIZED,
           "enrollment: a renewal needs the node's own credential (sub "
             + safe_text(q.node(), 64)
             + ", role pact-node); a first enrollment needs the one-time "
               "token `pact enroll` printed");
    return;
  }
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  // A fast answer from the node's record (linearizable, so a `pact enroll`
  // that just committed is seen); the state machine decides again. Without
  // an answer, sign anyway and let it decide.
  JournalQuery jq;
  jq.set_linearizable(true);
  jq.mutable_state()->set_node(q.node());
  self
    ->request(r, d->cfg.propose_timeout, query_atom::value,
              jq.SerializeAsString())
    .then(
      [self, d, q, reply](const std::string& bytes) mutable {
        JournalAnswer a;
        if (!a.ParseFromString(bytes)) {
          sign(self, d, q, false, nullptr, std::move(reply));
          return;
        }
        const NodeRecord* known = nullptr;
        for (const auto& n : a.state().nodes())
          if (n.node() == q.node())
            known = &n;
        sign(self, d, q, true, known, std::move(reply));
      },
      [self, d, q, reply](caf::error&) mutable {
        sign(self, d, q, false, nullptr, std::move(reply));
      });
}

void handle_ca_bundle(self_ptr, const gateway_shared& d, const Request&,
                      const policy::authenticated&, api_reply reply) {
  auto ca = ca_or_fail(d, reply);
  if (!ca)
    return;
  Response resp;
  resp.mutable_ca_bundle_reply()->set_ca_pem(ca->ca.cert_pem);
  reply.ok(std::move(resp));
}

} // namespace

void add_enroll_handlers(self_ptr self, const gateway_shared& d,
                         daemon::api_table& table) {
  using namespace std::placeholders;
  table.emplace(Request::kEnroll,
                std::bind(handle_enroll, self, d, _1, _2, _3));
  table.emplace(Request::kCaBundle,
                std::bind(handle_ca_bundle, self, d, _1, _2, _3));
}

} // namespace pact::journal
