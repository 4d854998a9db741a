#include "actors/agent/shell_session.hpp"

#include <csignal>

#include <atomic>
#include <memory>

#include <caf/blocking_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/link_command.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/node/line_editor.hpp"
#include "runtime/node/shell_line.hpp"
#include "runtime/node/shell_pty.hpp"
#include "runtime/render/failure.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;

enum class phase {
  /// Editing a line.
  prompt,
  /// A line was submitted: policy asked, record being kept.
  checking,
  /// A line runs on its PTY.
  running,
  closed,
};

const char* help_text
  = "pact shell runs whitelisted commands, one line at a time, without a "
    "general-purpose shell.\r\n"
    "  cmd arg ...            a command (names are searched on the agent's "
    "fixed PATH)\r\n"
    "  cmd ... | cmd ...      a pipeline (at most 8 commands)\r\n"
    "  '...' \"...\" \\c        quoting, as in sh; nothing is expanded\r\n"
    "  exit [N]               end the session (Ctrl-D at an empty prompt "
    "too)\r\n"
    "Not allowed: ; & && || > < $ ` ( ) { } globs, ~, NAME=value.\r\n";

} // namespace

struct shell_session_state {
  shell_session_config cfg;
  node::line_editor editor{true, node::max_shell_line};
  phase ph = phase::prompt;
  std::shared_ptr<node::pty> term;
  std::shared_ptr<std::atomic<bool>> stop;
  /// What came with a submitted line (a paste): the next lines'.
  std::string pending;
  /// Typed while a line was being checked: its command's input if it
  /// runs, the next line's if it does not.
  std::string ahead;
  uint32_t chunks = 0;
  uint32_t commands = 0;
  int last_status = 0;
  uint64_t idle_generation = 0;
  caf::response_promise done;
  bool run_asked = false;
  ShellReply reply;
  /// The record of the line being checked or run.
  ExecRecord line;
  /// What was sent last ended a line (the prompt starts a fresh one).
  bool line_start = true;
  /// The journal link as last seen: records go straight to it when the
  /// supervisor no longer names one (the agent stopping).
  caf::actor link;

  static inline const char* name = "shell-session";
};

namespace {

using self_ptr = caf::stateful_actor<shell_session_state>*;

void out(self_ptr self, const std::string& bytes) {
  auto& st = self->state;
  if (bytes.empty() || !st.cfg.client)
    return;
  ExecChunk c;
  c.set_stream(1);
  c.set_data(bytes);
  self->send(st.cfg.client, exec_chunk_atom::value, c.SerializeAsString());
  ++st.chunks;
  st.line_start = bytes.back() == '\n';
}

std::string eol(self_ptr self) {
  return self->state.cfg.tty ? "\r\n" : "\n";
}

/// A line from pact itself, "pact: ..." on the operator's terminal.
void say(self_ptr self, const std::string& text) {
  out(self, "pact: " + text + eol(self));
}

void prompt(self_ptr self) {
  auto& st = self->state;
  if (st.cfg.tty)
    out(self, std::string(st.line_start ? "" : "\r\n")
                + "pact:" + st.cfg.node_id + "> ");
}

std::string summary(const ExecRecord& rec) {
  auto text = "shell by " + rec.caller().principal() + " (session "
              + rec.session_id() + "): ";
  if (rec.command_seq() > 0)
    text += "line " + std::to_string(rec.command_seq()) + ": "
            + node::argv_text({rec.line()}) + ": ";
  text += rec.phase();
  if (rec.phase() == "finished" || rec.phase() == "closed")
    text += ", exit " + std::to_string(rec.exit_code());
  if (!rec.detail().empty())
    text += " (" + rec.detail() + ")";
  return text;
}

JournalCommand record_command(self_ptr self, const ExecRecord& rec) {
  const auto& cfg = self->state.cfg;
  JournalCommand cmd;
  cmd.set_kind(COMMAND_KIND_RECORD);
  cmd.set_record_type(ENTRY_TYPE_SHELL_SESSION);
  cmd.mutable_scope()->set_node(cfg.node_id);
  cmd.set_message(summary(rec));
  *cmd.mutable_exec() = rec;
  if (cfg.wall)
    cmd.mutable_exec()->set_occurred_unix_ms(cfg.wall->now_unix_ms());
  return cmd;
}

/// Hands `rec` to whichever journal link runs now (its outbox keeps it
/// across journal outages), then calls `after` (kept or not: the link
/// logs what it could not keep). The session quits only in an `after`, so
/// that its last record is handed over before it is gone.
void record(
  self_ptr self, const ExecRecord& rec, std::function<void()> after = [] {}) {
  const auto& cfg = self->state.cfg;
  auto cmd = record_command(self, rec).SerializeAsString();
  spdlog::info("shell: {}", summary(rec));
  self
    ->request(cfg.supervisor, std::chrono::seconds(5),
              protocol::child_atom::value, cfg.journal_link_name)
    .then(
      [self, cmd, after](const caf::actor& link) {
        if (link)
          self->state.link = link;
        keep_record(self, self->state.link, cmd, [after](bool) { after(); });
      },
      [self, cmd, after](caf::error&) {
        // The agent stopping: its supervisor is going, the link may still
        // take the record into its outbox.
        keep_record(self, self->state.link, cmd, [after](bool) { after(); });
      });
}

void arm_idle(self_ptr self) {
  auto& st = self->state;
  ++st.idle_generation;
  self->delayed_send(self, st.cfg.idle_timeout, shell_idle_atom::value,
                     st.idle_generation);
}

void close(self_ptr self, const std::string& reason, int code) {
  auto& st = self->state;
  if (st.ph == phase::closed)
    return;
  if (st.ph == phase::running && st.stop) {
    st.stop->store(true);
    // The line does not end on its own: its record says how it ended.
    st.line.set_phase("finished");
    st.line.set_exit_code(128 + SIGKILL);
    st.line.set_detail(st.line.detail() + "; killed: the session closed ("
                       + reason + ")");
    record(self, st.line);
  }
  st.ph = phase::closed;
  ExecRecord rec;
  *rec.mutable_caller() = st.cfg.caller;
  rec.set_session_id(st.cfg.session_id);
  rec.set_exec_id(st.cfg.session_id);
  rec.set_phase("closed");
  rec.set_exit_code(code);
  rec.set_detail(reason + ", " + std::to_string(st.commands) + " line"
                 + (st.commands == 1 ? "" : "s"));
  st.reply.set_exit_code(code);
  st.reply.set_reason(reason);
  st.reply.set_commands(st.commands);
  st.reply.set_chunks_sent(st.chunks);
  if (st.run_asked)
    st.done.deliver(st.reply.SerializeAsString());
  record(self, rec, [self] { self->quit(); });
}

void feed(self_ptr self, std::string bytes);

/// The line was refused: nothing runs; say why, record it.
void refuse_line(self_ptr self, StatusCode code, const std::string& why) {
  auto& st = self->state;
  say(self, why);
  st.last_status = static_cast<int>(render::exit_code_of(code));
  st.line.set_phase("refused");
  st.line.set_detail(why);
  st.line.set_exit_code(st.last_status);
  record(self, st.line);
  st.ph = phase::prompt;
  prompt(self);
  auto next = std::exchange(st.pending, {});
  next += std::exchange(st.ahead, {});
  feed(self, std::move(next));
}

void runner(caf::blocking_actor* self, std::shared_ptr<node::pty> term,
            node::pty_job_spec spec, std::shared_ptr<std::atomic<bool>> stop,
            caf::actor session) {
  auto r = node::run_on_pty(
    *term, spec,
    [&](std::string_view data) {
      self->send(session, shell_output_atom::value, std::string(data));
    },
    *stop);
  if (r)
    self->send(session, shell_done_atom::value, static_cast<int32_t>(*r),
               std::string());
  else
    self->send(session, shell_done_atom::value, int32_t{126}, r.err().message);
}

void run_line(self_ptr self, const std::vector<std::vector<std::string>>& cmds,
              const std::vector<std::string>& resolved) {
  auto& st = self->state;
  auto term = node::pty::open(st.cfg.rows, st.cfg.cols, st.cfg.tty);
  if (!term) {
    st.line.set_phase("failed");
    st.line.set_detail(term.err().message);
    record(self, st.line);
    say(self, term.err().message);
    st.last_status = 126;
    st.ph = phase::prompt;
    prompt(self);
    return;
  }
  node::pty_job_spec spec;
  auto root = st.cfg.root;
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  for (size_t i = 0; i < cmds.size(); ++i)
    spec.pipeline.push_back(
      {root == "/" ? resolved[i] : root + resolved[i], cmds[i]});
  spec.env = st.cfg.env;
  spec.cwd = root.empty() ? "/" : root;
  st.term = std::make_shared<node::pty>(std::move(*term));
  st.stop = std::make_shared<std::atomic<bool>>(false);
  st.ph = phase::running;
  self->spawn(runner, st.term, std::move(spec), st.stop,
              caf::actor_cast<caf::actor>(self));
  // What came in the same read as the line's Enter (a paste of several
  // lines) is the next lines', kept for the prompt; what was typed after
  // it, while the line was checked, is the command's input. An interrupt
  // in the paste is the line's, though, and drops the rest, as a
  // terminal's Ctrl-C flushes its input. Without a terminal the command
  // reads an empty input.
  if (!st.cfg.tty) {
    st.term->write("\x04");
    return;
  }
  if (auto at = st.pending.find_first_of("\x03\x1c"); at != std::string::npos) {
    st.term->write(st.pending.substr(at, 1));
    st.pending.clear();
  }
  st.term->write(std::exchange(st.ahead, {}));
}

/// The policy and emergency flag as the journal link holds them now, then
/// admission of every command of the line, the "started" record, the run.
void check_line(self_ptr self, node::shell_pipeline pipeline) {
  auto& st = self->state;
  st.ph = phase::checking;
  auto unavailable = [self](const std::string& why) {
    if (self->state.ph == phase::checking)
      refuse_line(self, STATUS_CODE_UNAVAILABLE, why + "; nothing was run");
  };
  with_declared_state(
    self, st.cfg.supervisor, st.cfg.journal_link_name,
    [self, pipeline](const caf::actor& link, const std::string& overlay_bytes,
                     const std::string& delta_bytes) {
      auto& now = self->state;
      now.link = link;
      if (now.ph != phase::checking)
        return;
      VClusterOverlay overlay;
      NodeDelta delta;
      overlay.ParseFromString(overlay_bytes);
      delta.ParseFromString(delta_bytes);
      const auto& pol = overlay.policy();
      auto rights = node::rights_of(now.cfg.who, now.cfg.vcluster, pol,
                                    "shell");
      if (rights.lvl == node::exec_rights::level::none) {
        refuse_line(self,
                    rights.policy_refusal ? STATUS_CODE_POLICY_REJECTED
                                          : STATUS_CODE_UNAUTHORIZED,
                    rights.why_not);
        return;
      }
      auto rules = node::admission_for(
        pol, node::command_list::shell, now.cfg.agent_whitelist, now.cfg.root,
        now.cfg.mode, delta.state() == NODE_STATE_EMERGENCY,
        now.cfg.who.claims.subject, now.cfg.vcluster);
      std::vector<std::string> resolved;
      std::string verdicts;
      for (const auto& argv : pipeline.commands) {
        auto a = node::admit_command(rules, rights, argv.front());
        now.line.add_resolved_paths(a.resolved);
        if (!a.allowed()) {
          refuse_line(self, a.code, a.why_not);
          return;
        }
        if (a.v == node::verdict::bypass)
          spdlog::warn("shell: whitelist bypassed (agent.whitelist_mode = "
                       "bypass, development only): {} runs {}",
                       rules.caller, a.resolved);
        resolved.push_back(a.resolved);
        if (verdicts.find(node::verdict_text(a.v)) == std::string::npos)
          verdicts += (verdicts.empty() ? "" : ", ") + node::verdict_text(a.v);
      }
      now.line.set_resolved_path(resolved.front());
      now.line.set_detail(verdicts);
      now.line.set_phase("started");
      keep_record(self, link,
                  record_command(self, now.line).SerializeAsString(),
                  [self, pipeline, resolved](bool kept) {
                    if (self->state.ph != phase::checking)
                      return;
                    if (!kept) {
                      refuse_line(self, STATUS_CODE_UNAVAILABLE,
                                  "the agent could not keep the audit "
                                  "record; nothing was run");
                      return;
                    }
                    run_line(self, pipeline.commands, resolved);
                  });
    },
    unavailable);
}

/// `exit [N]`: the status N (0..255), or the last line's.
void builtin_exit(self_ptr self, const std::vector<std::string>& argv) {
  auto& st = self->state;
  if (argv.size() == 1) {
    close(self, "exit", st.last_status);
    return;
  }
  const auto& n = argv[1];
  bool number = argv.size() == 2 && !n.empty() && n.size() <= 3
                && n.find_first_not_of("0123456789") == std::string::npos
                && std::stoi(n) <= 255;
  if (!number) {
    say(self, "exit: the status must be one number from 0 to 255");
    st.last_status = 1;
    prompt(self);
    return;
  }
  close(self, "exit", std::stoi(n));
}

void submit(self_ptr self, const std::string& text, bool too_long,
            bool control) {
  auto& st = self->state;
  if (text.find_first_not_of(" \t") == std::string::npos && !too_long
      && !control) {
    prompt(self);
    return;
  }
  // The token's rights end with it: a session does not outlive its token
  // (docs/authorization.md: decided again for every line).
  auto exp = st.cfg.who.claims.expires_at;
  if (exp > 0 && st.cfg.wall && st.cfg.wall->now_unix_ms() / 1000 >= exp) {
    say(self, "your token has expired; session closed (log in again)");
    close(self, "token expired", 2);
    return;
  }
  st.line = ExecRecord();
  *st.line.mutable_caller() = st.cfg.caller;
  st.line.set_session_id(st.cfg.session_id);
  st.line.set_line(text);
  st.line.set_command_seq(++st.commands);
  st.line.set_exec_id(st.cfg.session_id + "/"
                      + std::to_string(st.line.command_seq()));
  if (control) {
    refuse_line(self, STATUS_CODE_INVALID_ARGUMENT,
                "control characters are not allowed (the line held one)");
    return;
  }
  if (too_long) {
    refuse_line(self, STATUS_CODE_INVALID_ARGUMENT,
                "the line is longer than "
                  + std::to_string(node::max_shell_line) + " bytes");
    return;
  }
  auto parsed = node::parse_shell_line(text);
  if (!parsed) {
    refuse_line(self, STATUS_CODE_INVALID_ARGUMENT, parsed.err().message);
    return;
  }
  const auto& first = parsed->commands.front();
  for (const auto& a : first)
    *st.line.add_argv() = a;
  if (parsed->commands.size() == 1 && first.front() == "exit") {
    --st.commands; // a session's end, not a command line
    builtin_exit(self, first);
    return;
  }
  if (parsed->commands.size() == 1 && first.front() == "help"
      && first.size() == 1) {
    --st.commands;
    std::string help = help_text;
    if (!st.cfg.tty)
      for (auto at = help.find("\r\n"); at != std::string::npos;
           at = help.find("\r\n", at))
        help.erase(at, 1);
    out(self, help);
    prompt(self);
    return;
  }
  check_line(self, std::move(*parsed));
}

/// What the operator typed, as the current phase takes it.
void feed(self_ptr self, std::string bytes) {
  auto& st = self->state;
  while (!bytes.empty()) {
    switch (st.ph) {
      case phase::closed:
        return;
      case phase::checking:
        (st.cfg.tty ? st.ahead : st.pending) += bytes;
        return;
      case phase::running:
        if (st.cfg.tty)
          st.term->write(bytes);
        else
          st.pending += bytes;
        return;
      case phase::prompt:
        break;
    }
    std::string echo, rest;
    auto ev = st.editor.feed(bytes, echo, rest);
    out(self, echo);
    bytes = std::move(rest);
    if (!ev)
      return;
    using kind = node::line_editor::event::kind;
    if (ev->what == kind::end_of_input) {
      if (st.cfg.tty)
        out(self, eol(self));
      close(self, "end of input", st.last_status);
      return;
    }
    if (ev->what == kind::interrupt) {
      prompt(self);
      continue;
    }
    // What follows the line in this read is the next lines': held until
    // the line ran or was refused.
    st.pending = std::move(bytes);
    bytes.clear();
    submit(self, ev->line, ev->too_long, ev->control);
    if (st.ph == phase::prompt)
      bytes = std::exchange(st.pending, {});
  }
}

bool secret_ok(self_ptr self, const std::string& secret) {
  const auto& want = self->state.cfg.secret;
  return secret.size() == want.size()
         && CRYPTO_memcmp(secret.data(), want.data(), want.size()) == 0;
}

caf::behavior session(self_ptr self, shell_session_config cfg, caf::actor api) {
  auto& s0 = self->state;
  s0.cfg = std::move(cfg);
  s0.editor = node::line_editor(s0.cfg.tty, node::max_shell_line);
  s0.link = s0.cfg.link;
  // Monitored, not linked: a session's failure must not take the agent
  // API (and every other session) down with it.
  self->monitor(s0.cfg.client);
  self->monitor(api);
  self->set_down_handler([self, api](caf::down_msg& dm) {
    if (dm.source == self->state.cfg.client)
      close(self, "client gone", self->state.last_status);
    else if (dm.source == api)
      close(self, "agent stopping", self->state.last_status);
  });
  self->send(s0.cfg.client, protocol::shell_attach_atom::value,
             caf::actor_cast<caf::actor>(self), s0.cfg.secret);
  if (s0.cfg.tty)
    out(self, "pact shell on " + s0.cfg.node_id
                + ": whitelisted commands only, every line recorded; 'help' "
                  "for the grammar, 'exit' to leave\r\n");
  prompt(self);
  arm_idle(self);
  return {
    [self](shell_run_atom) -> caf::result<std::string> {
      auto& st = self->state;
      st.run_asked = true;
      st.done = self->make_response_promise();
      if (st.ph == phase::closed)
        st.done.deliver(st.reply.SerializeAsString());
      return st.done;
    },
    [self](protocol::shell_input_atom, const std::string& secret,
           std::string& bytes) {
      if (!secret_ok(self, secret)) {
        spdlog::warn("shell: input with a wrong session secret ignored");
        return;
      }
      arm_idle(self);
      feed(self, std::move(bytes));
    },
    [self](protocol::shell_resize_atom, const std::string& secret,
           uint32_t rows, uint32_t cols) {
      auto& st = self->state;
      if (!secret_ok(self, secret) || rows > 10000 || cols > 10000)
        return;
      st.cfg.rows = rows;
      st.cfg.cols = cols;
      if (st.ph == phase::running && st.term)
        st.term->resize(rows, cols);
    },
    [self](shell_output_atom, const std::string& bytes) {
      if (self->state.ph == phase::running)
        out(self, bytes);
    },
    [self](shell_done_atom, int32_t status, const std::string& failure) {
      auto& st = self->state;
      if (st.ph != phase::running)
        return;
      if (!failure.empty())
        say(self, failure);
      st.term.reset();
      st.stop.reset();
      st.last_status = status;
      st.line.set_phase("finished");
      st.line.set_exit_code(status);
      record(self, st.line);
      st.ph = phase::prompt;
      prompt(self);
      feed(self, std::exchange(st.pending, {}));
    },
    [self](shell_idle_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.idle_generation)
        return;
      if (st.ph != phase::prompt) {
        arm_idle(self);
        return;
      }
      out(self, eol(self));
      say(self, "idle for " + std::to_string(st.cfg.idle_timeout.count())
                  + " s (agent.shell.idle_timeout_seconds); session closed");
      close(self, "idle timeout", st.last_status);
    },
  };
}

} // namespace

caf::actor spawn_shell_session(caf::event_based_actor* parent,
                               shell_session_config cfg) {
  return parent->spawn(session, std::move(cfg),
                       caf::actor_cast<caf::actor>(parent));
}

} // namespace pact::agent
