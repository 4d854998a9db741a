// The rules of pact exec (runtime/node/exec_rules.hpp): resolution under a
// root with symlink, ".." and PATH tricks, whitelist verdicts, rights,
// environment scrub, output cap, exit status and argv text.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <doctest/doctest.h>

#include "runtime/node/exec_rules.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

namespace pact::node {

namespace {

void program(const test::temp_root& r, const std::string& p) {
  r.write(p, "#!/bin/true\n");
  REQUIRE(::chmod(r.host(p).c_str(), 0755) == 0);
}

void link(const test::temp_root& r, const std::string& target,
          const std::string& p) {
  std::filesystem::create_directories(
    std::filesystem::path(r.host(p)).parent_path());
  REQUIRE(::symlink(target.c_str(), r.host(p).c_str()) == 0);
}

policy::authenticated caller(std::vector<std::string> groups,
                             std::string type = "human") {
  policy::authenticated who;
  who.claims.subject = "sam";
  who.claims.principal_type = std::move(type);
  who.roles = policy::parse_roles(groups);
  return who;
}

} // namespace

TEST_CASE("a name is searched on the fixed PATH under the root, in order") {
  test::temp_root r;
  program(r, "/usr/bin/cat");
  program(r, "/bin/cat");
  program(r, "/usr/local/bin/tool");
  CHECK(resolve_command(r.path(), "cat").value() == "/usr/bin/cat");
  CHECK(resolve_command(r.path(), "tool").value() == "/usr/local/bin/tool");
  CHECK(resolve_command(r.path(), "/bin/cat").value() == "/bin/cat");
  CHECK_FALSE(resolve_command(r.path(), "nope"));
  CHECK_FALSE(resolve_command(r.path(), ""));
  // Relative paths name nothing: no current directory on the agent.
  auto rel = resolve_command(r.path(), "bin/cat");
  REQUIRE_FALSE(rel);
  CHECK(rel.err().message.find("absolute path") != std::string::npos);
}

TEST_CASE("a file that is not an executable regular file is no command") {
  test::temp_root r;
  r.write("/usr/bin/data", "x");
  r.mkdir("/usr/bin/dir");
  CHECK_FALSE(resolve_command(r.path(), "data"));
  CHECK_FALSE(resolve_command(r.path(), "dir"));
}

TEST_CASE("'..' never climbs above the root and resolves to the real "
          "program") {
  test::temp_root r;
  program(r, "/usr/bin/rm");
  CHECK(resolve_command(r.path(), "/usr/bin/../../../../usr/bin/rm").value()
        == "/usr/bin/rm");
  CHECK(resolve_in_root(r.path(), "/../../..").value() == "/");
  CHECK(resolve_in_root(r.path(), "/usr/./bin/.././bin/rm").value()
        == "/usr/bin/rm");
}

TEST_CASE("symlinks resolve inside the root, absolute targets included") {
  test::temp_root r;
  program(r, "/usr/bin/rm");
  program(r, "/usr/bin/cat");
  // A 'cat' that is really rm is rm.
  link(r, "/usr/bin/rm", "/usr/local/bin/cat");
  CHECK(resolve_command(r.path(), "cat").value() == "/usr/bin/rm");
  // A relative link and a linked directory.
  link(r, "../../usr/bin/cat", "/opt/x/cat");
  CHECK(resolve_command(r.path(), "/opt/x/cat").value() == "/usr/bin/cat");
  link(r, "/usr", "/u");
  CHECK(resolve_command(r.path(), "/u/bin/cat").value() == "/usr/bin/cat");
  // A loop is an error, not a hang.
  link(r, "/loop/b", "/loop/a");
  link(r, "/loop/a", "/loop/b");
  auto loop = resolve_in_root(r.path(), "/loop/a");
  REQUIRE_FALSE(loop);
  CHECK(loop.err().message.find("symbolic links") != std::string::npos);
}

TEST_CASE("a link pointing outside the root stays inside it") {
  test::temp_root r;
  // On the host /bin/sh exists; under the root it does not.
  link(r, "/bin/sh", "/usr/bin/notsh");
  CHECK_FALSE(resolve_command(r.path(), "notsh"));
}

TEST_CASE("the whitelist is matched on resolved paths") {
  test::temp_root r;
  program(r, "/usr/bin/cat");
  program(r, "/usr/bin/rm");
  link(r, "/usr/bin/rm", "/usr/local/bin/cat");
  // 'cat' on the PATH is the link to rm: listing "cat" lists rm's path,
  // and /usr/bin/cat stays unlisted.
  auto listed = resolve_commands(r.path(), {"cat", "missing", "ls; id"});
  CHECK(listed == std::set<std::string>{"/usr/bin/rm"});
  auto by_path = resolve_commands(r.path(), {"/usr/bin/cat"});
  CHECK(by_path.count(resolve_command(r.path(), "/usr/bin/cat").value()) == 1);
  CHECK(by_path.count(resolve_command(r.path(), "cat").value()) == 0);
}

TEST_CASE("whitelist verdicts by mode and emergency") {
  using m = whitelist_mode;
  CHECK(decide(m::strict, true, false) == verdict::whitelisted);
  CHECK(decide(m::strict, false, false) == verdict::refused);
  CHECK(decide(m::strict, false, true) == verdict::emergency);
  CHECK(decide(m::learning, false, false) == verdict::learning);
  CHECK(decide(m::bypass, false, false) == verdict::bypass);
  CHECK(decide(m::learning, true, false) == verdict::whitelisted);
  CHECK(verdict_text(verdict::refused) == "command not whitelisted");
  CHECK(parse_whitelist_mode("learning") == m::learning);
  CHECK_FALSE(parse_whitelist_mode("Strict"));
}

TEST_CASE("rights: ops and admins run everything, viewers and AI read-only") {
  protocol::VClusterPolicy p;
  using lvl = exec_rights::level;
  CHECK(rights_of(caller({"pact-ops-ml"}), "ml", p).lvl == lvl::full);
  CHECK(rights_of(caller({"pact-platform-admin"}), "ml", p).lvl == lvl::full);
  CHECK(rights_of(caller({"pact-regulated-ml"}), "ml", p).lvl == lvl::full);
  CHECK(rights_of(caller({"pact-viewer-ml"}), "ml", p).lvl == lvl::read_only);
  auto other = rights_of(caller({"pact-ops-other"}), "ml", p);
  CHECK(other.lvl == lvl::none);
  CHECK(other.why_not.rfind("policy: denied: sam", 0) == 0);
  CHECK_FALSE(other.policy_refusal);
  // AI: refused by policy unless ai_exec_allowed, then read-only even
  // with an ops role.
  auto ai = rights_of(caller({"pact-service-ai"}), "ml", p);
  CHECK(ai.lvl == lvl::none);
  CHECK(ai.policy_refusal);
  p.set_ai_exec_allowed(true);
  CHECK(rights_of(caller({"pact-service-ai"}), "ml", p).lvl == lvl::read_only);
  CHECK(rights_of(caller({"pact-ops-ml"}, "agent"), "ml", p).lvl
        == lvl::read_only);
  CHECK(rights_of(caller({"pact-node"}), "ml", p).lvl == lvl::none);
}

TEST_CASE("admission: resolve, read-only limit, whitelist, emergency") {
  test::temp_root r;
  program(r, "/usr/bin/cat");
  program(r, "/usr/bin/rm");
  admission_rules rules;
  rules.root = r.path();
  rules.listed = {"cat"};
  rules.read_only = {"cat"};
  rules.caller = "sam";
  rules.vcluster = "ml";
  exec_rights full{exec_rights::level::full, "", false, false};
  exec_rights viewer{exec_rights::level::read_only, "", false, false};
  auto cat = admit_command(rules, full, "cat");
  CHECK(cat.allowed());
  CHECK(cat.resolved == "/usr/bin/cat");
  CHECK(cat.v == verdict::whitelisted);
  auto rm = admit_command(rules, full, "rm");
  CHECK(rm.code == protocol::STATUS_CODE_NOT_WHITELISTED);
  CHECK(rm.resolved == "/usr/bin/rm");
  CHECK(rm.why_not.rfind("command not whitelisted: /usr/bin/rm", 0) == 0);
  auto missing = admit_command(rules, full, "nope");
  CHECK(missing.code == protocol::STATUS_CODE_NOT_WHITELISTED);
  CHECK(missing.resolved.empty());
  auto ro = admit_command(rules, viewer, "rm");
  CHECK(ro.code == protocol::STATUS_CODE_UNAUTHORIZED);
  CHECK(ro.why_not.find("read_only_commands of vCluster ml")
        != std::string::npos);
  CHECK(admit_command(rules, viewer, "cat").allowed());
  // An emergency relaxes the whitelist, never the read-only limit.
  rules.emergency = true;
  auto relaxed = admit_command(rules, full, "rm");
  CHECK(relaxed.allowed());
  CHECK(relaxed.v == verdict::emergency);
  CHECK(admit_command(rules, viewer, "rm").code
        == protocol::STATUS_CODE_UNAUTHORIZED);
  // Outside strict mode a name for no program is bad input, not a refusal.
  rules.emergency = false;
  rules.mode = whitelist_mode::learning;
  CHECK(admit_command(rules, full, "nope").code
        == protocol::STATUS_CODE_INVALID_ARGUMENT);
  CHECK(admit_command(rules, full, "rm").v == verdict::learning);
}

TEST_CASE("two-person vClusters: what is not read-only needs a grant") {
  test::temp_root r;
  program(r, "/usr/bin/cat");
  program(r, "/usr/bin/rm");
  protocol::VClusterPolicy p;
  p.add_exec_whitelist("cat");
  p.add_exec_whitelist("rm");
  p.add_read_only_commands("/usr/bin/cat");
  auto rules = admission_for(p, command_list::exec, {}, r.path(),
                             whitelist_mode::strict, false, "sam", "ml");
  // Without two-person approval nothing waits.
  auto plain = rights_of(caller({"pact-ops-ml"}), "ml", p);
  CHECK_FALSE(plain.needs_approval);
  CHECK_FALSE(admit_command(rules, plain, "rm").needs_approval);
  p.set_two_person_approval(true);
  auto ops = rights_of(caller({"pact-ops-ml"}), "ml", p);
  CHECK(ops.lvl == exec_rights::level::full);
  CHECK(ops.needs_approval);
  auto rm = admit_command(rules, ops, "rm");
  CHECK(rm.allowed());
  CHECK(rm.needs_approval);
  // Read-only commands run as before, by name or path.
  CHECK_FALSE(admit_command(rules, ops, "cat").needs_approval);
  CHECK_FALSE(admit_command(rules, ops, "/usr/bin/cat").needs_approval);
  // A refusal stays a refusal: there is nothing to approve.
  rules.listed = {"cat"};
  auto refused = admit_command(rules, ops, "rm");
  CHECK_FALSE(refused.allowed());
  CHECK_FALSE(refused.needs_approval);
  // An emergency relaxes the whitelist, never the need for a grant (the
  // journal grants its owner at once).
  rules.emergency = true;
  auto relaxed = admit_command(rules, ops, "rm");
  CHECK(relaxed.allowed());
  CHECK(relaxed.needs_approval);
  // The shell decides its lines one by one: its row never waits.
  CHECK_FALSE(
    rights_of(caller({"pact-ops-ml"}), "ml", p, "shell").needs_approval);
}

TEST_CASE("exec and shell read their own policy list, and the agent's") {
  protocol::VClusterPolicy p;
  p.add_exec_whitelist("cat");
  p.add_shell_whitelist("grep");
  p.add_read_only_commands("cat");
  auto e = admission_for(p, command_list::exec, {"/opt/x"}, "/r",
                         whitelist_mode::learning, true, "sam", "ml");
  CHECK(e.listed == std::vector<std::string>{"cat", "/opt/x"});
  CHECK(e.read_only == std::vector<std::string>{"cat"});
  CHECK(e.root == "/r");
  CHECK(e.mode == whitelist_mode::learning);
  CHECK(e.emergency);
  auto s = admission_for(p, command_list::shell, {}, "/",
                         whitelist_mode::strict, false, "sam", "ml");
  CHECK(s.listed == std::vector<std::string>{"grep"});
  CHECK(s.caller == "sam");
  CHECK(s.vcluster == "ml");
}

TEST_CASE("the environment is scrubbed to the allow-list") {
  auto env
    = scrub_environment({"PATH=/evil", "LD_PRELOAD=/x.so",
                         "AWS_SECRET_ACCESS_KEY=k", "LANG=C.UTF-8", "LC_ALL=C",
                         "TZ=UTC", "HOME=/root", "PACT_TOKEN=t", "noequals"});
  CHECK(env
        == std::vector<std::string>{"PATH=" + std::string(exec_path), "HOME=/",
                                    "LANG=C.UTF-8", "LC_ALL=C", "TZ=UTC"});
}

TEST_CASE("the output cap keeps the first bytes and marks the rest") {
  output_cap cap(10);
  CHECK(cap.take("12345") == "12345");
  CHECK_FALSE(cap.truncated());
  CHECK(cap.take("67890") == "67890");
  CHECK_FALSE(cap.truncated());
  CHECK(cap.take("x").empty());
  CHECK(cap.truncated());
  output_cap cut(3);
  CHECK(cut.take("abcdef") == "abc");
  CHECK(cut.truncated());
}

TEST_CASE("exit status as ssh reports it") {
  auto run = [](const char* script) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    return exit_code_of(st);
  };
  CHECK(run("exit 0") == 0);
  CHECK(run("exit 42") == 42);
  CHECK(run("kill -KILL $$") == 137);
  CHECK(run("kill -TERM $$") == 143);
}

TEST_CASE("argv text quotes what a shell would split and escapes controls") {
  CHECK(argv_text({"echo", "hi"}) == "echo hi");
  CHECK(argv_text({"echo", "a b", ""}) == "echo 'a b' ''");
  CHECK(argv_text({"echo", "x\ny"}) == "echo 'x\\x0ay'");
  CHECK(argv_text({"echo", "\xff"}) == "echo '\\xff'");
  auto long_text = argv_text({std::string(2000, 'a')}, 100);
  CHECK(long_text.size() == 103);
}

} // namespace pact::node
