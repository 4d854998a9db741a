#include "cli/journal_session.hpp"

#include <iostream>

#include "protocol/caf_types.hpp"

namespace pact::cli {

expected<std::unique_ptr<journal_session>>
journal_session::open(const context& ctx) {
  auto token = resolve_token(ctx.cfg);
  if (!token)
    return token.err();
  return std::make_unique<journal_session>(ctx, *token);
}

journal_session::journal_session(const context& ctx, std::string token) {
  protocol::configure(cfg_);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  conn_ = std::make_unique<client::connection>(
    *sys_,
    client::options{ctx.journals, "journal", std::move(token),
                    timeout(ctx.cfg)});
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
  if (resp->state_reply().stale())
    warn_stale(resp->state_reply().stale_reason());
  return resp->state_reply();
}

expected<google::protobuf::RepeatedPtrField<protocol::DeltaItem>>
journal_session::declared_items(const protocol::Scope& scope,
                                std::string* vcluster) {
  using items = google::protobuf::RepeatedPtrField<protocol::DeltaItem>;
  std::string vc;
  if (scope.target_case() == protocol::Scope::kVcluster) {
    vc = scope.vcluster();
  } else if (scope.target_case() == protocol::Scope::kNode) {
    auto st = state("", scope.node());
    if (!st)
      return st.err();
    if (st->nodes_size() > 0)
      vc = st->nodes(0).vcluster();
  } else {
    auto st = state("", "");
    if (!st)
      return st.err();
    return items(st->global().items());
  }
  if (vcluster != nullptr)
    *vcluster = vc;
  if (vc.empty())
    return items();
  auto st = state(vc, "");
  if (!st)
    return st.err();
  for (auto& o : st->overlays())
    if (o.vcluster() == vc)
      return items(o.items());
  return items();
}

expected<protocol::CommandReply>
journal_session::command(protocol::JournalCommand cmd) {
  protocol::Request req;
  req.set_request_id("command");
  // One id for every attempt of this write: the journal applies it at most
  // once however often the client has to send it (another endpoint, a lost
  // answer).
  if (cmd.client_request_id().empty())
    cmd.set_client_request_id(client::new_request_id());
  *req.mutable_command()->mutable_command() = std::move(cmd);
  auto resp = call(std::move(req));
  if (!resp)
    return resp.err();
  return resp->command_reply();
}

void warn_stale(const std::string& reason) {
  // Once per invocation: a command may read state several times.
  static bool warned = false;
  if (warned)
    return;
  warned = true;
  std::cerr << "pact: warning: possibly stale answer: " << reason << "\n";
}

std::string sequences_text(const protocol::CommandReply& reply) {
  const auto& s = reply.result().sequences();
  if (s.empty())
    return "-";
  if (s.size() == 1)
    return std::to_string(s[0]);
  return std::to_string(s[0]) + "-" + std::to_string(s[s.size() - 1]);
}

} // namespace pact::cli
