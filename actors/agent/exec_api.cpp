#include "actors/agent/exec_api.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/agent_metrics.hpp"
#include "actors/agent/exec_record.hpp"
#include "actors/agent/link_command.hpp"
#include "actors/agent/operator_call.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/log_text.hpp"
#include "runtime/node/exec_process.hpp"
#include "runtime/policy/agent_action.hpp"
#include "runtime/policy/approval_id.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;
using std::chrono::seconds;

/// One exec as it goes through the handler.
struct job {
  std::shared_ptr<const exec_context> x;
  caf::actor link;
  ExecRecord rec;
  std::vector<std::string> argv;
  seconds timeout{0};
  caf::actor stream_to;
  /// The operator's token: a grant is used with it (operator_call.hpp).
  std::string token;
  /// The grant the request names (ExecRequest.approval_id); empty if none.
  std::string approval_id;
};

std::string summary(const ExecRecord& rec) {
  std::vector<std::string> argv(rec.argv().begin(), rec.argv().end());
  auto text = "exec by " + rec.caller().principal() + ": "
              + node::argv_text(argv) + ": " + rec.phase();
  if (rec.phase() == "finished")
    text += ", exit " + std::to_string(rec.exit_code())
            + (rec.timed_out() ? " (timed out)" : "")
            + (rec.truncated() ? " (output truncated)" : "");
  if (!rec.detail().empty())
    text += " (" + rec.detail() + ")";
  return text;
}

/// Hands the record to the journal link (exec_record.hpp). `then`: once
/// the link holds it (a record written before the command runs is kept
/// before the command starts); null = fire and forget.
void record(caf::event_based_actor* self, const job& j,
            std::function<void(bool kept)> then = {}) {
  auto rec = j.rec;
  if (j.x->wall)
    rec.set_occurred_unix_ms(j.x->wall->now_unix_ms());
  agent_metrics::get().exec_recorded(rec.phase(), rec.exit_code(),
                                     rec.timed_out());
  keep_exec_record(self, j.link, j.x->node_id, rec, summary(rec), "exec",
                   std::move(then));
}

/// Records a refusal and answers `st` (its message the record's detail);
/// nothing runs.
void refuse(caf::event_based_actor* self, job j, daemon::api_reply& reply,
            Status st) {
  j.rec.set_phase("refused");
  j.rec.set_detail(st.message());
  record(self, j);
  reply.fail(std::move(st));
}

void refuse(caf::event_based_actor* self, job j, daemon::api_reply& reply,
            StatusCode code, const std::string& why) {
  Status st;
  st.set_code(code);
  st.set_message(why);
  refuse(self, std::move(j), reply, std::move(st));
}

/// The detached actor that runs the program: blocking I/O never runs on
/// an actor thread of the scheduler. Chunks go straight to the client, in
/// order; the answer is a serialized ExecReply (exit_code -1 and
/// resolved_path empty when it could not start, the reason in
/// resolved_path's place: ExecReply has no error field, so the error is
/// sent as a failure message instead).
caf::behavior exec_worker(caf::event_based_actor* self, node::exec_spec spec,
                          caf::actor to) {
  return {
    [self, spec, to](exec_run_atom) -> std::tuple<std::string, std::string> {
      uint32_t chunks = 0;
      auto sink = [&](int stream, std::string_view data) {
        if (!to)
          return;
        ExecChunk c;
        c.set_stream(static_cast<uint32_t>(stream));
        c.set_data(std::string(data));
        self->send(to, exec_chunk_atom::value, c.SerializeAsString());
        ++chunks;
      };
      auto r = node::run_exec(spec, sink);
      self->quit();
      if (!r)
        return std::make_tuple(std::string(), r.err().message);
      ExecReply out;
      out.set_exit_code(r->exit_code);
      out.set_timed_out(r->timed_out);
      out.set_truncated(r->truncated);
      out.set_chunks_sent(chunks);
      return std::make_tuple(out.SerializeAsString(), std::string());
    },
  };
}

std::string host_path(const std::string& root, const std::string& node_path) {
  auto r = root;
  while (r.size() > 1 && r.back() == '/')
    r.pop_back();
  return r == "/" ? node_path : r + node_path;
}

void run(caf::event_based_actor* self, job j, daemon::api_reply reply) {
  const auto& cfg = j.x->cfg;
  node::exec_spec spec;
  spec.program = host_path(cfg.root, j.rec.resolved_path());
  spec.argv = j.argv;
  spec.env = node::scrub_environment(cfg.inherited_env);
  spec.cwd = cfg.root.empty() ? "/" : cfg.root;
  spec.timeout = j.timeout;
  spec.max_output_bytes = cfg.max_output_bytes;
  auto worker = self->spawn<caf::detached>(exec_worker, spec, j.stream_to);
  self->request(worker, j.timeout + seconds(30), exec_run_atom::value)
    .then(
      [self, j, reply](const std::string& bytes,
                       const std::string& failure) mutable {
        ExecReply out;
        if (!failure.empty() || !out.ParseFromString(bytes)) {
          j.rec.set_phase("failed");
          j.rec.set_detail(failure);
          record(self, j);
          reply.fail(STATUS_CODE_ERROR, failure);
          return;
        }
        j.rec.set_phase("finished");
        j.rec.set_exit_code(out.exit_code());
        j.rec.set_timed_out(out.timed_out());
        j.rec.set_truncated(out.truncated());
        record(self, j);
        out.set_resolved_path(j.rec.resolved_path());
        out.set_timeout_seconds(static_cast<uint32_t>(j.timeout.count()));
        Response resp;
        *resp.mutable_exec_reply() = std::move(out);
        reply.ok(std::move(resp));
      },
      [self, j, reply](caf::error&) mutable {
        j.rec.set_phase("failed");
        j.rec.set_detail("the command's runner did not answer");
        record(self, j);
        reply.fail(STATUS_CODE_ERROR,
                   "the agent lost track of the command (its runner did not "
                   "answer); see the agent's log");
      });
}

/// Keeps the "started" record, then runs.
void start(caf::event_based_actor* self, job j, daemon::api_reply reply) {
  j.rec.set_phase("started");
  record(self, j, [self, j, reply](bool kept) mutable {
    if (!kept) {
      reply.fail(STATUS_CODE_UNAVAILABLE,
                 "the agent could not keep the audit record; nothing was run");
      return;
    }
    run(self, j, reply);
  });
}

/// A request naming a grant: the journal records its use before anything
/// runs, so a grant runs one command, once, for its requester only. Any
/// refusal (or no journal to ask) is passed back and nothing runs. Asked
/// whatever the policy says now: the operator named the grant, and the
/// journal decides whether it covers exactly this command.
void redeem_then_start(caf::event_based_actor* self, job j,
                       daemon::api_reply reply, const std::string& node_id) {
  const auto& id = j.approval_id;
  auto what = policy::exec_action(node_id, j.argv);
  redeem_grant(
    self, j.link, j.token, id, what, [self, j, reply](Status st) mutable {
      auto verdict = j.rec.detail();
      if (st.code() != STATUS_CODE_OK) {
        st.set_message("approval " + j.approval_id + ": " + st.message());
        refuse(self, std::move(j), reply, std::move(st));
        return;
      }
      j.rec.set_detail(verdict + "; approved: " + j.approval_id);
      start(self, std::move(j), std::move(reply));
    });
}

/// Everything after the declared state is known: rights, whitelist,
/// grant, record, run.
void decide(caf::event_based_actor* self, job j, daemon::api_reply reply,
            const policy::authenticated& who, const VClusterOverlay& overlay,
            bool emergency) {
  const auto& x = *j.x;
  const auto& pol = overlay.policy();
  auto rights = node::rights_of(who, x.vcluster, pol);
  if (rights.lvl == node::exec_rights::level::none) {
    refuse(self, j, reply,
           rights.policy_refusal ? STATUS_CODE_POLICY_REJECTED
                                 : STATUS_CODE_UNAUTHORIZED,
           rights.why_not);
    return;
  }
  auto rules = node::admission_for(pol, node::command_list::exec,
                                   x.cfg.whitelist, x.cfg.root, x.cfg.mode,
                                   emergency, who.claims.subject, x.vcluster);
  auto a = node::admit_command(rules, rights, j.argv.front());
  j.rec.set_resolved_path(a.resolved);
  if (!a.allowed()) {
    refuse(self, j, reply, a.code, a.why_not);
    return;
  }
  auto v = a.v;
  if (v == node::verdict::bypass)
    spdlog::warn("exec: whitelist bypassed (agent.whitelist_mode = bypass, "
                 "development only): {} runs {}",
                 safe_text(who.claims.subject), a.resolved);
  else if (v == node::verdict::learning)
    spdlog::info("exec: learning mode: {} is not whitelisted; it runs and "
                 "is recorded for review",
                 a.resolved);
  j.rec.set_detail(node::verdict_text(v));
  if (!j.approval_id.empty()) {
    redeem_then_start(self, std::move(j), std::move(reply), x.node_id);
    return;
  }
  if (a.needs_approval) {
    // Two-person vCluster: the client asks the journal for a second
    // person's grant and sends the request again with its id.
    Status st;
    st.set_code(STATUS_CODE_POLICY_REJECTED);
    st.set_message(policy::approval_required_text(x.vcluster));
    st.set_approval_required(true);
    refuse(self, std::move(j), reply, std::move(st));
    return;
  }
  start(self, std::move(j), std::move(reply));
}

} // namespace

void handle_exec(caf::event_based_actor* self,
                 const std::shared_ptr<const exec_context>& x,
                 const Request& req, const policy::authenticated& who,
                 daemon::api_reply reply) {
  reply.set_write(true);
  const auto& ex = req.exec();
  job j;
  j.x = x;
  j.stream_to = reply.reply_to();
  j.argv.assign(ex.argv().begin(), ex.argv().end());
  *j.rec.mutable_caller() = policy::author_of(who, x->vcluster);
  *j.rec.mutable_argv() = ex.argv();
  j.rec.set_exec_id(req.request_id());
  j.token = req.token();
  j.approval_id = ex.approval_id();
  if (j.argv.empty() || j.argv.front().empty()) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT, "no command given");
    return;
  }
  for (size_t i = 0; i < j.argv.size(); ++i)
    if (j.argv[i].find('\0') != std::string::npos) {
      reply.fail(STATUS_CODE_INVALID_ARGUMENT,
                 "argument " + std::to_string(i) + " holds a NUL byte");
      return;
    }
  if (!j.approval_id.empty() && !policy::is_approval_id(j.approval_id)) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               policy::bad_approval_id_text(j.approval_id));
    return;
  }
  auto asked = seconds(ex.timeout_seconds());
  j.timeout = asked.count() == 0 ? x->cfg.default_timeout
                                 : std::min(asked, x->cfg.max_timeout);
  auto unavailable = [reply](const std::string& why) mutable {
    reply.fail(STATUS_CODE_UNAVAILABLE, why + "; nothing was run, retry");
  };
  with_declared_state(
    self, x->supervisor, x->journal_link_name,
    [self, j, reply, who](const caf::actor& link,
                          const std::string& overlay_bytes,
                          const std::string& delta_bytes) mutable {
      // Before the first boot: no policy, so nothing is listed.
      VClusterOverlay overlay;
      NodeDelta delta;
      overlay.ParseFromString(overlay_bytes);
      delta.ParseFromString(delta_bytes);
      j.link = link;
      decide(self, std::move(j), std::move(reply), who, overlay,
             delta.state() == NODE_STATE_EMERGENCY);
    },
    unavailable);
}

} // namespace pact::agent
