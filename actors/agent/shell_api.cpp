#include "actors/agent/shell_api.hpp"

#include <cctype>

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/link_command.hpp"
#include "actors/agent/shell_session.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/policy/command_authz.hpp"
#include "runtime/policy/token.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;

/// TERM as the operator's terminal named it, when it is a plain name
/// ("xterm-256color"); "dumb" otherwise (a TERM is looked up as a file
/// name by the programs that read it).
std::string term_of(const std::string& term) {
  bool plain = !term.empty() && term.size() <= 64 && term.front() != '.';
  for (char c : term)
    plain = plain
            && (std::isalnum(static_cast<unsigned char>(c)) || c == '-'
                || c == '_' || c == '.' || c == '+');
  return plain ? term : "dumb";
}

void open_session(caf::event_based_actor* self,
                  const std::shared_ptr<shell_context>& x,
                  shell_session_config cfg, daemon::api_reply reply) {
  auto session = spawn_shell_session(self, std::move(cfg));
  self->request(session, caf::infinite, shell_run_atom::value)
    .then(
      [x, reply](const std::string& bytes) mutable {
        --x->open;
        Response resp;
        if (!resp.mutable_shell_reply()->ParseFromString(bytes)) {
          reply.fail(STATUS_CODE_ERROR, "the shell session ended without "
                                        "an answer; see the agent's log");
          return;
        }
        reply.ok(std::move(resp));
      },
      [x, reply](caf::error&) mutable {
        --x->open;
        reply.fail(STATUS_CODE_ERROR,
                   "the shell session stopped; see the agent's log");
      });
}

} // namespace

void handle_shell(caf::event_based_actor* self,
                  const std::shared_ptr<shell_context>& x, const Request& req,
                  const policy::authenticated& who, daemon::api_reply reply) {
  reply.set_write(true);
  const auto& sh = req.shell();
  shell_session_config cfg;
  cfg.session_id = req.request_id();
  cfg.secret = policy::generate_secret(16);
  cfg.node_id = x->node_id;
  cfg.vcluster = x->vcluster;
  cfg.tty = !sh.term().empty();
  cfg.rows = std::min<uint32_t>(sh.rows(), 10000);
  cfg.cols = std::min<uint32_t>(sh.cols(), 10000);
  cfg.who = who;
  cfg.caller = policy::author_of(who, x->vcluster);
  cfg.root = x->exec.root;
  cfg.mode = x->exec.mode;
  cfg.agent_whitelist = x->cfg.whitelist;
  cfg.env = node::scrub_environment(x->exec.inherited_env);
  cfg.env.push_back("TERM=" + (cfg.tty ? term_of(sh.term()) : "dumb"));
  cfg.idle_timeout = x->cfg.idle_timeout;
  cfg.supervisor = x->supervisor;
  cfg.journal_link_name = x->journal_link_name;
  cfg.client = reply.reply_to();
  cfg.wall = x->wall;
  if (!cfg.client || cfg.secret.empty()) {
    reply.fail(STATUS_CODE_ERROR, "the agent cannot open a shell session "
                                  "(no client actor or no random source)");
    return;
  }
  ExecRecord rec;
  *rec.mutable_caller() = cfg.caller;
  rec.set_session_id(cfg.session_id);
  rec.set_exec_id(cfg.session_id);
  auto unavailable = [reply](const std::string& why) mutable {
    reply.fail(STATUS_CODE_UNAVAILABLE, why + "; no session was opened, retry");
  };
  with_declared_state(
    self, x->supervisor, x->journal_link_name,
    [self, x, cfg, rec, reply, who](const caf::actor& link,
                                    const std::string& overlay_bytes,
                                    const std::string&) mutable {
      VClusterOverlay overlay;
      overlay.ParseFromString(overlay_bytes);
      auto rights = node::rights_of(who, x->vcluster, overlay.policy(),
                                    "shell");
      auto keep = [&](const std::string& phase, const std::string& detail,
                      std::function<void(bool)> then) {
        rec.set_phase(phase);
        rec.set_detail(detail);
        JournalCommand cmd;
        cmd.set_kind(COMMAND_KIND_RECORD);
        cmd.set_record_type(ENTRY_TYPE_SHELL_SESSION);
        cmd.mutable_scope()->set_node(x->node_id);
        *cmd.mutable_exec() = rec;
        if (x->wall)
          cmd.mutable_exec()->set_occurred_unix_ms(x->wall->now_unix_ms());
        cmd.set_message("shell by " + rec.caller().principal() + " (session "
                        + rec.session_id() + "): " + phase + " (" + detail
                        + ")");
        spdlog::info("shell: {}", cmd.message());
        keep_record(self, link, cmd.SerializeAsString(), std::move(then));
      };
      if (rights.lvl == node::exec_rights::level::none) {
        keep("refused", rights.why_not, {});
        reply.fail(rights.policy_refusal ? STATUS_CODE_POLICY_REJECTED
                                         : STATUS_CODE_UNAUTHORIZED,
                   rights.why_not);
        return;
      }
      if (x->open >= x->cfg.max_sessions) {
        auto why = "shell: node " + x->node_id + " has "
                   + std::to_string(x->open)
                   + " sessions open, the most it allows "
                     "(agent.shell.max_sessions); retry later";
        keep("refused", why, {});
        reply.fail(STATUS_CODE_UNAVAILABLE, why);
        return;
      }
      auto detail = std::string(rights.lvl == node::exec_rights::level::full
                                  ? "every whitelisted command"
                                  : "read_only_commands only")
                    + (cfg.tty ? ", terminal " + cfg.env.back().substr(5)
                               : ", no terminal");
      // The slot is taken now: two opens at once cannot both pass the limit.
      ++x->open;
      cfg.link = link;
      keep("opened", detail, [self, x, cfg, reply](bool kept) mutable {
        if (!kept) {
          --x->open;
          reply.fail(STATUS_CODE_UNAVAILABLE,
                     "the agent could not keep the audit record; no session "
                     "was opened");
          return;
        }
        open_session(self, x, std::move(cfg), std::move(reply));
      });
    },
    unavailable);
}

} // namespace pact::agent
