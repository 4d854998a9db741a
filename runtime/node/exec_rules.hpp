#pragma once

/// The rules of `pact exec` on a node (issue 12 item 2; docs/agent.md,
/// "Exec"), free of CAF and of processes so they can be tested alone:
///
///   * which program a command names: a name is searched on the agent's
///     fixed PATH, an absolute path taken as it is, both under --root, and
///     every symlink and ".." on the way resolved as chroot(2) would (an
///     absolute link target starts again at the root, ".." never climbs
///     above it). The resolved node path is what the whitelist is matched
///     against, so "../", a symlink to another binary or a PATH trick
///     cannot pass one program off as another;
///   * whether it may run: the whitelist mode, the node's emergency and the
///     caller's rights (viewers and AI principals run only the policy's
///     read_only_commands);
///   * what it runs with: a scrubbed environment, a capped output, and the
///     exit status as ssh reports it.

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/policy/request_auth.hpp"
#include <pact/protocol/journal.pb.h>

namespace pact::node {

/// The agent's PATH for exec: node directories searched in this order,
/// under --root. Fixed, so that no caller and no agent environment can
/// change which program a name means.
inline constexpr std::string_view exec_path
  = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Node path `path` (absolute) with every symlink and "." / ".." resolved
/// under `root` (chroot-like, see above). Errors: not absolute, a missing
/// component ("no such file"), a symlink loop.
expected<std::string> resolve_in_root(const std::string& root,
                                      const std::string& path);

/// The program `command` names (see above), as a resolved node path of an
/// executable regular file. Errors (one line, naming the command): empty,
/// a relative path with '/', not found on the PATH, not an executable
/// regular file.
expected<std::string> resolve_command(const std::string& root,
                                      const std::string& command);

/// The resolved node paths of the commands in `entries` (names or absolute
/// paths, resolved as resolve_command); entries that name no program on
/// this node are left out.
std::set<std::string> resolve_commands(const std::string& root,
                                       const std::vector<std::string>& entries);

enum class whitelist_mode { strict, learning, bypass };

/// "strict", "learning" or "bypass" (agent.whitelist_mode); nullopt else.
std::optional<whitelist_mode> parse_whitelist_mode(std::string_view text);

/// What the whitelist says about one command.
enum class verdict {
  /// Listed: runs in every mode.
  whitelisted,
  /// Not listed, learning mode: runs, recorded for review.
  learning,
  /// Not listed, bypass mode: runs, logged at warn.
  bypass,
  /// Not listed, an emergency is active on the node: runs.
  emergency,
  /// Not listed, strict mode: refused, never started.
  refused,
};

verdict decide(whitelist_mode mode, bool listed, bool emergency);

/// For records and logs: "whitelisted", "learning: not whitelisted", ...
std::string verdict_text(verdict v);

/// What a caller may run on a node of `vcluster`.
struct exec_rights {
  enum class level {
    /// Nothing (the reason is in `why_not`).
    none,
    /// Only the policy's read_only_commands (viewers; AI principals where
    /// ai_exec_allowed).
    read_only,
    /// Every command the whitelist lets run (ops, platform admins).
    full,
  };
  level lvl = level::none;
  /// "policy: denied: ..." when none.
  std::string why_not;
  /// Exit code class of the refusal: false = authorization (exit 2), true =
  /// policy (AI exec not allowed, exit 3).
  bool policy_refusal = false;
  /// A two-person vCluster (policy `two_person_approval`): a command that
  /// is not one of the policy's read_only_commands runs only with a second
  /// person's grant (issue 14; docs/agent.md, "Approval").
  bool needs_approval = false;
};

/// What decide() (runtime/policy/decision.hpp) grants `who` for `action`
/// ("exec", "shell" or "diag") on a node of `vcluster` under `policy`.
exec_rights rights_of(const policy::authenticated& who,
                      const std::string& vcluster,
                      const protocol::VClusterPolicy& policy,
                      std::string_view action = "exec");

/// Whether one command may run, and as which program: resolve, the
/// caller's read-only limit, the whitelist (the shared rules of `pact exec`
/// and of each command of a `pact shell` line).
struct admission {
  /// Resolved node path (empty when it did not resolve).
  std::string resolved;
  verdict v = verdict::refused;
  /// When refused: the status and the one-line reason ("command not
  /// whitelisted: ...").
  protocol::StatusCode code = protocol::STATUS_CODE_OK;
  std::string why_not;
  /// When allowed: it runs only with a second person's grant (the rights
  /// need approval and the command is not read-only).
  bool needs_approval = false;
  bool allowed() const {
    return code == protocol::STATUS_CODE_OK;
  }
};

struct admission_rules {
  /// --root: programs are resolved under it.
  std::string root = "/";
  whitelist_mode mode = whitelist_mode::strict;
  bool emergency = false;
  /// The whitelist: the policy's list plus the agent's own (names or
  /// absolute paths).
  std::vector<std::string> listed;
  /// The policy's read_only_commands (what read-only callers may run).
  std::vector<std::string> read_only;
  /// Which list it is, for messages ("agent.whitelist_mode = strict").
  std::string caller;
  std::string vcluster;
};

admission admit_command(const admission_rules& rules, const exec_rights& rights,
                        const std::string& command);

/// Which of the policy's lists whitelists: `pact exec`'s exec_whitelist or
/// `pact shell`'s shell_whitelist.
enum class command_list { exec, shell };

/// The rules for a caller on a node of `vcluster` under `policy`: the
/// policy's `list` plus the agent's own `agent_listed`, the policy's
/// read_only_commands.
admission_rules
admission_for(const protocol::VClusterPolicy& policy, command_list list,
              const std::vector<std::string>& agent_listed, std::string root,
              whitelist_mode mode, bool emergency, std::string caller,
              std::string vcluster);

/// The environment a command runs with: PATH = exec_path, HOME=/, and of
/// `inherited` ("NAME=value" strings, the agent's own environment) only
/// LANG, LANGUAGE, TZ and LC_*. Everything else (credentials, LD_PRELOAD,
/// proxies, the agent's own settings) is dropped.
std::vector<std::string>
scrub_environment(const std::vector<std::string>& inherited);

/// Keeps at most `cap` bytes of a stream; what comes after is dropped and
/// the stream marked truncated.
class output_cap {
public:
  explicit output_cap(size_t cap) : left_(cap) {
  }
  /// The part of `data` to keep (possibly empty).
  std::string_view take(std::string_view data);
  bool truncated() const {
    return truncated_;
  }

private:
  size_t left_;
  bool truncated_ = false;
};

/// The exit code of a wait(2) status as ssh reports it: the exit status,
/// or 128 + the signal number when a signal ended the command.
int exit_code_of(int wait_status);

/// One line for logs and the journal entry's message: the argv with each
/// argument quoted when it holds a space, quote or control byte, and
/// bytes that are not UTF-8 written \xNN; at most `max_bytes` long.
std::string argv_text(const std::vector<std::string>& argv,
                      size_t max_bytes = 1024);

} // namespace pact::node
