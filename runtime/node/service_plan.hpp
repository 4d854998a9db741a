#pragma once

/// Service supervision, the pure part (issue 12 item 5; docs/services.md):
/// what a declared service is, the order services start in, what happens
/// when a service's process ends, and its bounded log. No processes,
/// clocks or actors: runtime/node/service_process.hpp runs the processes,
/// actors/agent/service_supervisor.hpp drives both.
///
/// A declared service is a SERVICES item of the node's declared state
/// whose value is the canonical JSON the spec parser writes (docs/spec.md,
/// "Services"): {"binary", "args", "restart", "restart_delay_seconds",
/// "depends_on", "order", "health_check"?, "cgroup_slice"?,
/// "cgroup_memory_max"?}.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::node {

enum class restart_policy { always, on_failure, never };

struct health_check_spec {
  /// "process", "http" or "tcp".
  std::string type;
  /// http: the URL asked (GET; 2xx/3xx is healthy).
  std::string url;
  /// tcp: the port connected to on 127.0.0.1.
  int port = 0;
  std::chrono::seconds interval{10};
};

struct service_spec {
  std::string name;
  /// Absolute node path of the program (run under --root).
  std::string binary;
  std::vector<std::string> args;
  restart_policy restart = restart_policy::always;
  std::chrono::seconds restart_delay{5};
  std::vector<std::string> depends_on;
  int64_t order = 0;
  std::optional<health_check_spec> health;
  std::string cgroup_slice;
  std::string cgroup_memory_max;
  /// The declared value as the journal holds it: a change of any field is
  /// a changed service (it is restarted with the new declaration).
  std::string declared;
};

/// Parses a SERVICES item (`name`, its JSON value). An error names the
/// service and the field; the journal validated the value when it was
/// applied, so this refuses only what no spec parser writes.
expected<service_spec> parse_service(const std::string& name,
                                     const std::string& value);

std::string restart_name(restart_policy p);

/// The order services start in: every service after the services it
/// depends on, otherwise by `order` (lower first), then by name. Services
/// that cannot start — a dependency that is not declared, or a dependency
/// cycle — are left out of `order` and named in `blocked` with the reason
/// (their dependents too). Services stop in the reverse of `order`.
struct start_plan {
  std::vector<std::string> order;
  std::map<std::string, std::string> blocked;
};
start_plan plan_start(const std::vector<service_spec>& services);

/// How a process ended: its exit status, or the signal that killed it.
struct exit_status {
  bool signaled = false;
  /// Exit status (0..255), or the signal number when `signaled`.
  int code = 0;

  bool success() const {
    return !signaled && code == 0;
  }
};

/// "exited with status N" / "killed by signal N (SIGNAME)".
std::string exit_text(const exit_status& e);

/// Crash-loop settings: a process that ran less than `min_uptime` before it
/// failed counts as a crash in a loop; each one in a row doubles the
/// restart delay, up to `max_delay`. A run that lasted `min_uptime` or more
/// starts the count again.
struct crash_loop_limits {
  std::chrono::milliseconds min_uptime{std::chrono::seconds(10)};
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
};

/// What the supervisor does after a process ended.
struct restart_decision {
  enum class kind { restart, exited, failed } k = kind::failed;
  /// restart: when, from now.
  std::chrono::milliseconds delay{0};
  /// Crashes in a row after this one (0 after a clean or long run).
  uint32_t crashes_in_a_row = 0;
  /// For the status detail and the log, e.g. "restarting in 20 s (3rd
  /// crash in a row)".
  std::string detail;
};

/// The decision for `spec` after its process ended with `e` having run for
/// `uptime`, `crashes_in_a_row` crashes having come before. `always`
/// restarts every time; `on-failure` restarts unless the process exited
/// with status 0 (then: exited); `never` never does (exited on status 0,
/// else failed). The delay is `restart_delay_seconds`, doubled for each
/// crash in a row beyond the first, capped at `limits.max_delay`.
restart_decision after_exit(const service_spec& spec, const exit_status& e,
                            std::chrono::milliseconds uptime,
                            uint32_t crashes_in_a_row,
                            const crash_loop_limits& limits = {});

/// A service's captured stdout and stderr: the newest lines, bounded by
/// line count and bytes (the oldest are dropped first). A line longer than
/// `max_line_bytes` is cut there and marked, and the rest of it dropped.
/// Bytes that are not UTF-8 are kept as \xNN. Bytes come in pieces as a
/// pipe gives them; a piece may end mid-line.
class service_log {
public:
  explicit service_log(size_t max_lines = 1000, size_t max_bytes = 256 * 1024,
                       size_t max_line_bytes = 4096);

  void append(const std::string& bytes);
  /// Ends a partial last line (the process ended without a newline).
  void flush();
  /// The newest `n` complete lines, oldest first, and whether older lines
  /// than those exist or were dropped.
  std::pair<std::vector<std::string>, bool> tail(size_t n) const;

private:
  void push(std::string line);

  size_t max_lines_, max_bytes_, max_line_bytes_;
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  bool dropped_ = false;
  std::string partial_;
  /// Within a line that was cut: its rest is dropped up to its newline.
  bool cutting_ = false;
};

} // namespace pact::node
