#include "actors/client/journal_session.hpp"

#include <algorithm>

#include "actors/client/access.hpp"
#include "protocol/caf_types.hpp"

namespace pact::client {

status vcluster_known(const protocol::StateReply& st,
                      const std::string& vcluster) {
  auto named = [&](const auto& x) { return x.vcluster() == vcluster; };
  if (vcluster.empty()
      || std::any_of(st.overlays().begin(), st.overlays().end(), named)
      || std::any_of(st.nodes().begin(), st.nodes().end(), named))
    return {};
  return make_error("vcluster '" + vcluster + "' is not known to this journal");
}

expected<std::unique_ptr<journal_session>>
journal_session::open(const config::values& cfg, caf::actor_system* sys,
                      const char* own_token_variable) {
  auto eps = journal_endpoints(cfg);
  if (!eps)
    return eps.err();
  auto token = resolve_token(cfg, own_token_variable);
  if (!token)
    return token.err();
  options opts{std::move(*eps), "journal", std::move(*token), timeout_of(cfg)};
  opts.ca_bundle = cfg.get_string("ca_bundle");
  return std::make_unique<journal_session>(sys, std::move(opts));
}

journal_session::journal_session(caf::actor_system* sys, options opts) {
  if (sys == nullptr) {
    cfg_ = std::make_unique<caf::actor_system_config>();
    protocol::configure(*cfg_);
    own_sys_ = std::make_unique<caf::actor_system>(*cfg_);
    sys = own_sys_.get();
  }
  conn_ = std::make_unique<connection>(*sys, std::move(opts));
}

void journal_session::note_stale(bool stale, const std::string& reason) {
  if (stale && on_stale_)
    on_stale_(reason);
}

expected<protocol::Response>
journal_session::call(protocol::Request req, std::chrono::milliseconds extra) {
  return conn_->call(std::move(req), extra);
}

expected<protocol::StateReply>
journal_session::state(const std::string& vcluster, const std::string& node,
                       bool stale) {
  protocol::Request req;
  req.set_request_id("state");
  auto* q = req.mutable_state();
  q->set_vcluster(vcluster);
  q->set_node(node);
  q->set_stale(stale);
  auto resp = call(std::move(req));
  if (!resp)
    return resp.err();
  note_stale(resp->state_reply().stale(), resp->state_reply().stale_reason());
  return resp->state_reply();
}

expected<protocol::VClusterOverlay>
journal_session::overlay(const std::string& vcluster) {
  auto st = state(vcluster, "");
  if (!st)
    return st.err();
  return render::overlay_of(*st, vcluster);
}

expected<protocol::CommandReply>
journal_session::command(protocol::JournalCommand cmd) {
  protocol::Request req;
  req.set_request_id("command");
  // One id for every attempt of this write: the journal applies it at most
  // once however often the client has to send it (another endpoint, a lost
  // answer).
  if (cmd.client_request_id().empty())
    cmd.set_client_request_id(new_request_id());
  bool held_kind = cmd.kind() != protocol::COMMAND_KIND_APPROVAL_DECIDE
                   && cmd.kind() != protocol::COMMAND_KIND_APPROVAL_REQUEST;
  *req.mutable_command()->mutable_command() = std::move(cmd);
  auto resp = call(std::move(req));
  if (!resp)
    return resp.err();
  // Refused for want of a second person's grant (a delegation,
  // delegation.hpp): the refusal is the reply's result, flag included.
  if (resp->status().approval_required()) {
    protocol::CommandReply refused;
    *refused.mutable_result()->mutable_status() = resp->status();
    return refused;
  }
  const auto& reply = resp->command_reply();
  if (held_kind && on_pending_ && reply.result().has_approval()
      && reply.result().approval().state() == protocol::APPROVAL_STATE_PENDING)
    return on_pending_(*this, reply);
  return reply;
}

expected<protocol::LogReply> journal_session::ask_log(protocol::LogRequest lq,
                                                      const char* id) {
  protocol::Request req;
  req.set_request_id(id);
  *req.mutable_log() = std::move(lq);
  auto resp = call(std::move(req));
  if (!resp)
    return resp.err();
  auto r = resp->log_reply();
  note_stale(r.stale(), r.stale_reason());
  return r;
}

expected<render::log_view> journal_session::log(const log_query& q) {
  if (q.limit == 0 || q.limit > 10000)
    return make_error("log: -n " + std::to_string(q.limit)
                      + " is outside 1 .. 10000");
  protocol::LogRequest lq;
  lq.set_limit(q.limit);
  lq.set_scope(q.scope);
  lq.set_stale(q.stale);
  lq.set_since_unix_ms(q.since_unix_ms);
  lq.set_until_unix_ms(q.until_unix_ms);
  auto r = ask_log(std::move(lq), "log");
  if (!r)
    return r.err();
  if (q.verify)
    if (auto st = verify_pages(*r, q.stale); !st)
      return st.err();
  return render::make_log_view(std::move(*r), q.scope, q.verify,
                               q.since_unix_ms != 0 || q.until_unix_ms != 0);
}

pact::status journal_session::verify_pages(protocol::LogReply& into,
                                           bool stale) {
  // The journal checks a bounded page per request (no request reads the
  // whole journal); each page checks its link to the one before.
  into.set_verified(true);
  protocol::LogRequest lq;
  lq.set_verify(true);
  lq.set_stale(stale);
  lq.set_from_sequence(1);
  for (;;) {
    auto page = ask_log(lq, "log-verify");
    if (!page)
      return page.err();
    if (!page->verified()) {
      into.set_verified(false);
      into.set_verify_error(page->verify_error());
      return {};
    }
    if (!page->more() || page->entries_size() == 0)
      return {};
    lq.set_from_sequence(page->entries(0).sequence() + 1);
  }
}

expected<protocol::LogReply>
journal_session::log_page(const log_page_query& q) {
  PACT_ASSERT(q.from_sequence != 0, "export pages start at a sequence");
  protocol::LogRequest lq;
  lq.set_from_sequence(q.from_sequence);
  lq.set_limit(q.limit);
  lq.set_stale(q.stale);
  lq.set_since_unix_ms(q.since_unix_ms);
  lq.set_until_unix_ms(q.until_unix_ms);
  return ask_log(std::move(lq), "log-page");
}

expected<render::node_diff>
journal_session::diff(const std::string& node,
                      const std::string& default_vcluster,
                      bool committed_only) {
  auto st = state("", node);
  if (!st)
    return st.err();
  if (st->nodes_size() == 0)
    return make_error("node '" + node + "' is not known to this journal");
  render::node_diff d;
  d.node = node;
  d.record = st->nodes(0);
  d.committed_only = committed_only;
  if (d.record.vcluster().empty())
    d.record.set_vcluster(default_vcluster);
  // A node compared with no vCluster has an empty overlay: nothing to read.
  if (d.record.vcluster().empty())
    return d;
  auto o = overlay(d.record.vcluster());
  if (!o)
    return o.err();
  d.overlay = std::move(*o);
  return d;
}

expected<render::status_view>
journal_session::status(const std::string& node, const std::string& vcluster) {
  render::status_view v;
  v.node = node;
  v.vcluster = vcluster;
  if (!node.empty() || !vcluster.empty()) {
    // Declared state first: a node the journal knows is not an error even
    // before its agent reports. A refusal is the answer (a node of another
    // vCluster is "denied", never "not known"); other failures fall back to
    // the live status below.
    auto st = state(vcluster, node, true);
    if (st)
      v.declared = std::move(*st);
    else if (st.err().code == exit_code::auth_failure)
      return st.err();
    // As for an unknown node (the gateway's answer below).
    if (v.declared)
      if (auto known = vcluster_known(*v.declared, vcluster); !known)
        return known.err();
  }
  bool journal_knows = v.declared && v.declared->nodes_size() > 0;
  protocol::Request req;
  req.set_request_id("status");
  req.mutable_status()->set_vcluster(vcluster);
  if (!node.empty() && !journal_knows)
    req.mutable_status()->set_node(node);
  auto resp = call(std::move(req));
  if (!resp)
    return resp.err();
  v.reply = resp->status_reply();
  render::keep_only_node(v.reply, node);
  // What needs someone's attention: active emergencies and pending
  // approvals (a possibly stale read: status answers during elections).
  protocol::Request alerts;
  alerts.set_request_id("status-alerts");
  auto* aq = alerts.mutable_state();
  aq->set_approvals_only(true);
  aq->set_vcluster(vcluster);
  aq->set_node(node);
  aq->set_stale(true);
  if (auto a = call(std::move(alerts)); a) {
    for (const auto& e : a->state_reply().emergencies())
      v.emergencies.push_back(e);
    for (const auto& x : a->state_reply().approvals())
      if (x.state() == protocol::APPROVAL_STATE_PENDING)
        v.approvals.push_back(x);
  }
  return v;
}

} // namespace pact::client
