// The gateway's questions to OPA (issue 13 item 5; docs/authorization.md
// "OPA"). When `journal.policy.opa_url` is set, a command the built-in
// rules allow is decided again with the vCluster policy (a stale read of
// the local replica: the state machine decides once more when it applies
// it) and then put to OPA. The HTTP call blocks, so it runs in a detached
// worker actor with its own thread, never on the gateway's.

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/journal/gateway_detail.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/node_authz.hpp"
#include "runtime/policy/opa.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;
using opa_ask_atom = caf::atom_constant<caf::atom("opaask")>;
using self_ptr = caf::event_based_actor*;

/// Asks OPA each body in turn and answers with one encoded answer per
/// body ("a", "d" or "u" + why), then quits: one worker per command.
caf::behavior opa_worker(caf::event_based_actor* self) {
  return {
    [self](opa_ask_atom, const std::string& url,
           const std::vector<std::string>& bodies, int64_t timeout_ms) {
      auto rp = self->make_response_promise();
      std::vector<std::string> out;
      for (const auto& body : bodies) {
        auto a = policy::ask_opa(url, body,
                                 std::chrono::milliseconds(timeout_ms));
        switch (a.k) {
          case policy::opa_answer::kind::allow:
            out.emplace_back("a");
            break;
          case policy::opa_answer::kind::deny:
            out.emplace_back("d");
            break;
          case policy::opa_answer::kind::unreachable:
            out.push_back("u" + a.why);
            break;
        }
      }
      rp.deliver(std::move(out));
      self->quit();
    },
  };
}

policy::opa_answer decode(const std::string& s) {
  if (s == "a")
    return {policy::opa_answer::kind::allow, {}};
  if (s == "d")
    return {policy::opa_answer::kind::deny, {}};
  return {policy::opa_answer::kind::unreachable, s.substr(1)};
}

std::string principal_type_name(PrincipalType t) {
  switch (t) {
    case PRINCIPAL_TYPE_AGENT:
      return "agent";
    case PRINCIPAL_TYPE_SERVICE:
      return "service";
    default:
      return "human";
  }
}

void fail_with(daemon::api_reply& reply, const policy::decision& d) {
  reply.fail(d.out == policy::decision::outcome::reject
               ? STATUS_CODE_POLICY_REJECTED
               : STATUS_CODE_UNAUTHORIZED,
             d.message);
}

/// The decisions and OPA inputs of `cmd` with the state `st` known.
struct engine_question {
  std::vector<policy::decision> decisions;
  std::vector<policy::opa_input> inputs;
};

engine_question question_of(const policy::authenticated& who,
                            const JournalCommand& cmd, const StateReply& st,
                            policy::decision& refusal) {
  std::map<std::string, VClusterPolicy> policies;
  for (const auto& o : st.overlays())
    policies[o.vcluster()] = o.policy();
  auto policy_of = [&](const std::string& vc) {
    auto it = policies.find(vc);
    return it == policies.end() ? default_policy() : it->second;
  };
  std::string node_vc;
  if (cmd.scope().target_case() == Scope::kNode)
    if (auto vc = policy::enrolled_in(st, cmd.scope().node()))
      node_vc = *vc;
  engine_question q;
  auto me = policy::principal_of(who);
  std::vector<std::string> roles;
  for (const auto& r : who.roles)
    roles.push_back(policy::role_name(r));
  auto vclusters = policy::written_vclusters(cmd, node_vc);
  // A decision is about the approval's vClusters (read with it, below).
  if (cmd.kind() == COMMAND_KIND_APPROVAL_DECIDE) {
    vclusters.clear();
    for (const auto& a : st.approvals())
      vclusters.assign(a.vclusters().begin(), a.vclusters().end());
  }
  for (const auto& vc : vclusters) {
    auto p = policy_of(vc);
    policy::target where{vc, !vc.empty() && policy::is_regulated(p)};
    auto d = policy::decide(me, who.roles, policy::command_action(cmd), where,
                            policy::view_of(p));
    if (!d.allowed()) {
      refusal = d;
      return {};
    }
    policy::opa_input in;
    in.subject = who.claims.subject;
    in.principal_type = principal_type_name(cmd.author().principal_type());
    in.roles = roles;
    in.action = std::string(policy::command_action(cmd));
    in.vcluster = vc;
    in.node = cmd.scope().node();
    in.regulated = where.regulated;
    in.vcluster_policy = p;
    q.decisions.push_back(std::move(d));
    q.inputs.push_back(std::move(in));
  }
  return q;
}

} // namespace

void ask_policy_engine(self_ptr self, const gateway_shared& d,
                       const policy::authenticated& who, JournalCommand cmd,
                       daemon::api_reply reply,
                       std::function<void(daemon::api_reply)> then) {
  // A node credential's own events are node_authz's rule, not an action of
  // the decision point: OPA is not asked about them.
  if (d->cfg.opa_url.empty() || policy::node_role_only(who.roles)) {
    then(std::move(reply));
    return;
  }
  auto r = replica_or_fail(self, reply);
  if (!r)
    return;
  JournalQuery q;
  q.set_linearizable(false);
  // Every overlay, and the one node the command names; " " is no node's
  // name, so a command of another scope reads no node record.
  q.mutable_state()->set_node(cmd.scope().target_case() == Scope::kNode
                                ? cmd.scope().node()
                                : std::string(" "));
  // Deciding an approval: the approval itself says which vClusters the
  // decision is about (an unknown id asks nothing: the state machine
  // refuses it).
  if (cmd.kind() == COMMAND_KIND_APPROVAL_DECIDE)
    q.mutable_state()->set_approval_id(cmd.approval_id());
  auto timeout = d->cfg.opa_timeout;
  self
    ->request(r, d->cfg.propose_timeout, query_atom::value,
              q.SerializeAsString())
    .then(
      [self, d, who, cmd, reply, then,
       timeout](const std::string& bytes) mutable {
        JournalAnswer a;
        if (!a.ParseFromString(bytes)) {
          reply.fail(STATUS_CODE_ERROR, "replica sent a malformed answer");
          return;
        }
        policy::decision refusal;
        auto question = question_of(who, cmd, a.state(), refusal);
        if (question.inputs.empty()) {
          if (!refusal.allowed() && !refusal.message.empty()) {
            fail_with(reply, refusal);
            return;
          }
          then(std::move(reply));
          return;
        }
        std::vector<std::string> bodies;
        for (const auto& in : question.inputs)
          bodies.push_back(policy::opa_request_body(in));
        auto worker = self->spawn<caf::detached>(opa_worker);
        auto n = static_cast<int64_t>(bodies.size());
        // The worker's own deadline is the per-request timeout; this one
        // only guards against a worker that never answers.
        auto wait = timeout * n + std::chrono::seconds(1);
        auto url = d->cfg.opa_url;
        auto finish = [reply, then, question,
                       url](const std::vector<std::string>& answers) mutable {
          for (size_t i = 0; i < question.inputs.size(); ++i) {
            auto ans = i < answers.size()
                         ? decode(answers[i])
                         : policy::opa_answer{
                           policy::opa_answer::kind::unreachable, "no answer"};
            auto v = policy::after_opa(question.decisions[i], ans,
                                       question.inputs[i], url);
            if (!v.allowed()) {
              fail_with(reply, v);
              return;
            }
          }
          then(std::move(reply));
        };
        self
          ->request(worker, wait, opa_ask_atom::value, url, bodies,
                    static_cast<int64_t>(timeout.count()))
          .then(
            [finish](const std::vector<std::string>& answers) mutable {
              finish(answers);
            },
            [finish](caf::error&) mutable { finish({}); });
      },
      [reply](caf::error& err) mutable {
        reply.fail(err, "the journal replica did not answer");
      });
}

} // namespace pact::journal
