// Revocation for certificate-bound node tokens (docs/security.md
// "Revocation"): a node certificate verifies against the node CA until it
// expires, so the gateway also asks the node's enrollment record whether
// the certificate is still the node's current one.

#include "actors/journal/gateway_detail.hpp"

#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/journal/journal_query.hpp"

namespace pact::journal {

namespace {

using protocol::JournalAnswer;
using protocol::JournalQuery;
using protocol::Request;

/// How long a verdict is reused: a revocation takes effect at every
/// gateway within this, plus the replica's apply lag.
constexpr int64_t verdict_ms = 5000;

/// Why `serial` is not `node`'s current certificate, by its record; "" when
/// it is.
std::string verdict_of(const protocol::NodeRecord* rec, const std::string& node,
                       const std::string& serial) {
  if (rec == nullptr || !rec->has_enrollment())
    return "node " + node + " is not enrolled";
  const auto& e = rec->enrollment();
  if (e.state() == protocol::ENROLLMENT_STATE_REVOKED)
    return "node " + node + " is revoked (pact enroll revoke)";
  if (e.cert_serial() != serial)
    return "node " + node + "'s certificate " + serial
           + " is not its current one (renewed or enrolled again)";
  return {};
}

void check(caf::event_based_actor* self, const gateway_shared& d,
           const std::string& node, const std::string& serial,
           std::function<void(const std::string&)> then) {
  auto key = node + " " + serial;
  auto now = d->cfg.wall->now_unix_ms();
  if (auto i = d->cert_verdicts.find(key);
      i != d->cert_verdicts.end() && now - i->second.second < verdict_ms) {
    then(i->second.first);
    return;
  }
  auto r = current_replica(self);
  if (!r) {
    then("no replica to check the node's certificate with");
    return;
  }
  JournalQuery jq;
  jq.set_linearizable(false); // a revocation applied here is enough
  jq.mutable_state()->set_node(node);
  self
    ->request(r, d->cfg.propose_timeout, protocol::query_atom::value,
              jq.SerializeAsString())
    .then(
      [d, key, node, serial, then](const std::string& bytes) {
        JournalAnswer a;
        const protocol::NodeRecord* rec = nullptr;
        if (a.ParseFromString(bytes))
          for (const auto& n : a.state().nodes())
            if (n.node() == node)
              rec = &n;
        auto why = verdict_of(rec, node, serial);
        // Bounded: one entry per node and certificate seen lately.
        if (d->cert_verdicts.size() > 100000)
          d->cert_verdicts.clear();
        d->cert_verdicts[key] = {why, d->cfg.wall->now_unix_ms()};
        then(why);
      },
      [then](caf::error& err) {
        then("cannot check the node's certificate: "
             + protocol::message_of(err));
      });
}

} // namespace

void check_node_certificate(caf::event_based_actor* self,
                            const gateway_shared& d, const std::string& node,
                            const std::string& serial,
                            std::function<void(const std::string&)> then) {
  check(self, d, node, serial, std::move(then));
}

void guard_node_certificates(caf::event_based_actor* self,
                             const gateway_shared& d,
                             daemon::api_table& table) {
  for (auto& [kind, handler] : table) {
    if (kind == Request::kCaBundle || kind == Request::kDiscovery)
      continue; // public answers
    handler = [self, d, inner = handler](const Request& req,
                                         const policy::authenticated& who,
                                         daemon::api_reply reply) {
      if (who.claims.cert_serial.empty()) {
        inner(req, who, std::move(reply));
        return;
      }
      // Handlers read who asked from the API context while they run
      // (api_endpoint.cpp, dispatch): the check's answer arrives later.
      check(self, d, who.claims.subject, who.claims.cert_serial,
            [d, sender = d->api->sender, req, who, inner,
             reply](const std::string& why) mutable {
              if (why.empty()) {
                auto before = d->api->sender;
                d->api->sender = sender;
                inner(req, who, std::move(reply));
                d->api->sender = before;
              } else {
                reply.fail(protocol::STATUS_CODE_UNAUTHORIZED,
                           "authentication failed: " + why);
              }
            });
    };
  }
}

} // namespace pact::journal
