#include "runtime/node/exec_rules.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "runtime/common/terminal_text.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::node {

namespace {

/// Symlinks followed in one resolution before it is a loop (Linux's
/// MAXSYMLINKS).
constexpr int max_links = 40;

std::vector<std::string> components(std::string_view path, char sep = '/') {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    auto j = path.find(sep, i);
    if (j == std::string_view::npos)
      j = path.size();
    if (j > i)
      out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += "/" + p;
  return out.empty() ? "/" : out;
}

/// The host path of node path `node` ("/" root adds nothing).
std::string host_path(const std::string& root, const std::string& node) {
  auto r = root;
  while (r.size() > 1 && r.back() == '/')
    r.pop_back();
  return r == "/" ? node : r + node;
}

bool executable_file(const std::string& host) {
  struct stat st {};
  return ::stat(host.c_str(), &st) == 0 && S_ISREG(st.st_mode)
         && ::access(host.c_str(), X_OK) == 0;
}

} // namespace

expected<std::string> resolve_in_root(const std::string& root,
                                      const std::string& path) {
  if (path.empty() || path.front() != '/')
    return make_error(path + ": not an absolute path");
  std::vector<std::string> done;
  auto parts = components(path);
  std::deque<std::string> todo(parts.begin(), parts.end());
  int links = 0;
  while (!todo.empty()) {
    auto c = std::move(todo.front());
    todo.pop_front();
    if (c == ".")
      continue;
    if (c == "..") {
      if (!done.empty())
        done.pop_back(); // never above the root
      continue;
    }
    done.push_back(c);
    auto host = host_path(root, join(done));
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0)
      return make_error(path + ": " + std::strerror(errno));
    if (!S_ISLNK(st.st_mode))
      continue;
    if (++links > max_links)
      return make_error(path + ": too many levels of symbolic links");
    std::string target(static_cast<size_t>(st.st_size) + 256, '\0');
    auto n = ::readlink(host.c_str(), target.data(), target.size());
    if (n < 0)
      return make_error(path + ": " + std::strerror(errno));
    target.resize(static_cast<size_t>(n));
    done.pop_back();
    if (!target.empty() && target.front() == '/')
      done.clear(); // an absolute target starts again at the root
    auto more = components(target);
    todo.insert(todo.begin(), more.begin(), more.end());
  }
  return join(done);
}

expected<std::string> resolve_command(const std::string& root,
                                      const std::string& command) {
  if (command.empty())
    return make_error("no command given");
  auto shown = argv_text({command}, 200);
  if (command.find('/') != std::string::npos) {
    if (command.front() != '/')
      return make_error(shown
                        + ": a command is a name on the agent's PATH or an "
                          "absolute path");
    auto r = resolve_in_root(root, command);
    if (!r || !executable_file(host_path(root, *r)))
      return make_error(shown + ": no such executable on the node");
    return r;
  }
  for (const auto& dir : components(exec_path, ':')) {
    auto r = resolve_in_root(root, dir + "/" + command);
    if (r && executable_file(host_path(root, *r)))
      return r;
  }
  return make_error(shown + ": command not found on the agent's PATH ("
                    + std::string(exec_path) + ")");
}

std::set<std::string>
resolve_commands(const std::string& root,
                 const std::vector<std::string>& entries) {
  std::set<std::string> out;
  for (const auto& e : entries)
    if (auto r = resolve_command(root, e))
      out.insert(*r);
  return out;
}

std::optional<whitelist_mode> parse_whitelist_mode(std::string_view text) {
  if (text == "strict")
    return whitelist_mode::strict;
  if (text == "learning")
    return whitelist_mode::learning;
  if (text == "bypass")
    return whitelist_mode::bypass;
  return std::nullopt;
}

verdict decide(whitelist_mode mode, bool listed, bool emergency) {
  if (listed)
    return verdict::whitelisted;
  if (mode == whitelist_mode::bypass)
    return verdict::bypass;
  if (emergency)
    return verdict::emergency;
  if (mode == whitelist_mode::learning)
    return verdict::learning;
  return verdict::refused;
}

std::string verdict_text(verdict v) {
  switch (v) {
    case verdict::whitelisted:
      return "whitelisted";
    case verdict::learning:
      return "learning: not whitelisted";
    case verdict::bypass:
      return "bypass: whitelist not checked";
    case verdict::emergency:
      return "emergency: not whitelisted";
    case verdict::refused:
      break;
  }
  return "command not whitelisted";
}

admission admit_command(const admission_rules& rules, const exec_rights& rights,
                        const std::string& command) {
  admission a;
  auto resolved = resolve_command(rules.root, command);
  if (!resolved) {
    // Nothing by that name: in strict mode it cannot be whitelisted.
    bool strict = rules.mode == whitelist_mode::strict && !rules.emergency;
    a.code = strict ? protocol::STATUS_CODE_NOT_WHITELISTED
                    : protocol::STATUS_CODE_INVALID_ARGUMENT;
    a.why_not = strict ? "command not whitelisted: " + resolved.err().message
                       : resolved.err().message;
    return a;
  }
  a.resolved = *resolved;
  if (rights.lvl == exec_rights::level::read_only
      && resolve_commands(rules.root, rules.read_only).count(a.resolved) == 0) {
    a.code = protocol::STATUS_CODE_UNAUTHORIZED;
    a.why_not = "policy: denied: " + rules.caller
                + " may run only the read_only_commands of vCluster "
                + rules.vcluster + ", not " + a.resolved;
    return a;
  }
  a.v = decide(rules.mode,
               resolve_commands(rules.root, rules.listed).count(a.resolved) > 0,
               rules.emergency);
  if (a.v == verdict::refused) {
    a.code = protocol::STATUS_CODE_NOT_WHITELISTED;
    a.why_not = "command not whitelisted: " + a.resolved
                + " (agent.whitelist_mode = strict)";
    return a;
  }
  // Two-person vClusters: only the read-only commands run without a grant
  // (an emergency relaxes the whitelist, not this: its owner's grant is
  // issued at once by the journal, and recorded).
  a.needs_approval
    = rights.needs_approval
      && resolve_commands(rules.root, rules.read_only).count(a.resolved) == 0;
  return a;
}

admission_rules
admission_for(const protocol::VClusterPolicy& policy, command_list list,
              const std::vector<std::string>& agent_listed, std::string root,
              whitelist_mode mode, bool emergency, std::string caller,
              std::string vcluster) {
  admission_rules r;
  r.root = std::move(root);
  r.mode = mode;
  r.emergency = emergency;
  const auto& listed = list == command_list::exec ? policy.exec_whitelist()
                                                  : policy.shell_whitelist();
  r.listed.assign(listed.begin(), listed.end());
  r.listed.insert(r.listed.end(), agent_listed.begin(), agent_listed.end());
  r.read_only.assign(policy.read_only_commands().begin(),
                     policy.read_only_commands().end());
  r.caller = std::move(caller);
  r.vcluster = std::move(vcluster);
  return r;
}

exec_rights
rights_of(const policy::authenticated& who, const std::string& vcluster,
          const protocol::VClusterPolicy& policy, std::string_view action) {
  // The decision point's exec, shell and diag rows (docs/authorization.md).
  auto d = policy::decide(policy::principal_of(who), who.roles, action,
                          {vcluster, policy::is_regulated(policy)},
                          policy::view_of(policy));
  exec_rights r;
  if (!d.allowed()) {
    r.why_not = d.message;
    r.policy_refusal = d.out == policy::decision::outcome::reject;
    return r;
  }
  r.lvl = d.read_only ? exec_rights::level::read_only
                      : exec_rights::level::full;
  r.needs_approval = d.needs_approval;
  return r;
}

std::vector<std::string>
scrub_environment(const std::vector<std::string>& inherited) {
  std::vector<std::string> out{"PATH=" + std::string(exec_path), "HOME=/"};
  for (const auto& kv : inherited) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      continue;
    auto name = std::string_view(kv).substr(0, eq);
    if (name == "LANG" || name == "LANGUAGE" || name == "TZ"
        || name.substr(0, 3) == "LC_")
      out.push_back(kv);
  }
  return out;
}

std::string_view output_cap::take(std::string_view data) {
  if (data.size() > left_) {
    truncated_ = true;
    data = data.substr(0, left_);
  }
  left_ -= data.size();
  return data;
}

int exit_code_of(int wait_status) {
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

std::string argv_text(const std::vector<std::string>& argv, size_t max_bytes) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty())
      out += " ";
    bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return c > ' ' && c != '\'' && c != '"' && c != '\\' && c != 0x7f;
    });
    if (plain) {
      out += utf8_safe(a);
      continue;
    }
    out += "'";
    for (char c : a) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '\'' || c == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else {
        out += c;
      }
    }
    out += "'";
  }
  out = utf8_safe(out);
  if (out.size() > max_bytes) {
    out.resize(max_bytes);
    // Not inside a UTF-8 sequence: cut back to a lead byte.
    while (!out.empty()
           && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
      out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0)
      out.pop_back();
    out += "...";
  }
  return out;
}

} // namespace pact::node
