// `pact shell [NODE]`: a restricted interactive session on a node through
// its agent (docs/cli.md, docs/agent.md "Shell"). The operator's terminal
// is put in raw mode, as ssh does, so every key (Ctrl-C included) goes to
// the agent, which edits the line, checks it and runs it on a PTY of its
// own; what comes back is written as it arrives. Window changes are
// passed on. The exit status is the session's: `exit N`'s N, else the last
// line's. Without a terminal on stdin (a script), lines are read to the
// end of input and nothing is echoed.

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <thread>

#include "actors/client/agent_shell.hpp"
#include "cli/commands.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// The terminal's modes before raw mode, for the restore on every way out
/// (a return, or SIGTERM/SIGHUP/SIGINT from outside: tcsetattr is
/// async-signal-safe).
termios saved_modes;
std::atomic<bool> raw_mode{false};
int winch_pipe[2] = {-1, -1};

void restore_terminal() {
  if (raw_mode.exchange(false))
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_modes);
}

extern "C" void on_fatal_signal(int sig) {
  restore_terminal();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

extern "C" void on_winch(int) {
  char c = 'w';
  auto saved = errno;
  [[maybe_unused]] auto n = ::write(winch_pipe[1], &c, 1);
  errno = saved;
}

bool enter_raw_mode() {
  if (::tcgetattr(STDIN_FILENO, &saved_modes) != 0)
    return false;
  termios raw = saved_modes;
  ::cfmakeraw(&raw);
  for (int sig : {SIGTERM, SIGHUP, SIGINT, SIGQUIT})
    ::signal(sig, on_fatal_signal);
  raw_mode = true;
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
    raw_mode = false;
    return false;
  }
  return true;
}

void window_size(unsigned& rows, unsigned& cols) {
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
    rows = ws.ws_row;
    cols = ws.ws_col;
  }
}

void write_out(std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

/// Reads the operator's input and passes it on until it ends; runs on its
/// own thread (the main one waits for the session's output).
void pump_input(client::shell_handle h, bool tty) {
  char buf[4096];
  bool line_ended = true;
  for (;;) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {winch_pipe[0], POLLIN, 0}};
    int n = ::poll(fds, tty ? 2 : 1, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return;
    if (tty && (fds[1].revents & POLLIN) != 0) {
      char drain[64];
      [[maybe_unused]] auto r = ::read(winch_pipe[0], drain, sizeof drain);
      unsigned rows = 0, cols = 0;
      window_size(rows, cols);
      client::send_shell_resize(h, rows, cols);
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
      continue;
    auto got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      // End of input: the last line counts even without its newline,
      // then Ctrl-D ends the session.
      client::send_shell_input(h, line_ended ? "\x04" : "\n\x04");
      return;
    }
    line_ended = buf[got - 1] == '\n';
    client::send_shell_input(h, std::string(buf, static_cast<size_t>(got)));
  }
}

int run_shell(context& ctx) {
  std::string node;
  if (ctx.vm.count("node"))
    node = ctx.vm["node"].as<std::string>();
  if (node == "local")
    node.clear(); // this host's agent, whichever node it serves
  else if (!node.empty())
    if (auto st = check_node_name(node); !st)
      return report(st.err());
  auto agent = node_agent(ctx, node);
  if (!agent)
    return report(agent.err());
  bool tty = ::isatty(STDIN_FILENO) == 1;
  client::shell_terminal terminal;
  if (tty) {
    const char* term = std::getenv("TERM");
    terminal.term = term != nullptr && *term != '\0' ? term : "dumb";
    window_size(terminal.rows, terminal.cols);
    if (::pipe(winch_pipe) == 0)
      ::signal(SIGWINCH, on_winch);
  }
  bool attached = false;
  auto reply = client::agent_shell(ctx.cfg, *agent, node, terminal, write_out,
                                   [&](const client::shell_handle& h) {
                                     if (attached)
                                       return;
                                     attached = true;
                                     // Raw mode only once the session exists: a
                                     // refusal before it is printed on a
                                     // terminal in its normal modes.
                                     if (tty && !enter_raw_mode())
                                       tty = false;
                                     std::thread(pump_input, h, tty).detach();
                                   });
  restore_terminal();
  if (!reply)
    return report(reply.err());
  return reply->exit_code();
}

} // namespace

command shell_command() {
  command c;
  c.name = "shell";
  c.summary = "Open a restricted interactive shell on a node through its "
              "agent (whitelisted commands, every line recorded)";
  c.usage = "[NODE]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(),
                       "Node to open the shell on (default or 'local': this "
                       "host's agent)");
    pos.add("node", 1);
  };
  c.run = run_shell;
  return c;
}

} // namespace pact::cli
