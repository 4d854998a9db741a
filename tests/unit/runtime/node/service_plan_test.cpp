// service_plan: declared services, their start order, the restart policy
// with crash-loop back-off, and the bounded log (issue 12 item 5).

#include "runtime/node/service_plan.hpp"

#include <doctest/doctest.h>

#include <csignal>

using namespace pact::node;
using ms = std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

service_spec svc(const std::string& name, std::vector<std::string> deps = {},
                 int64_t order = 0) {
  service_spec s;
  s.name = name;
  s.binary = "/usr/bin/" + name;
  s.depends_on = std::move(deps);
  s.order = order;
  return s;
}

} // namespace

TEST_CASE("a declared service parses from the spec's canonical JSON") {
  auto s = parse_service(
    "web", R"({"args":["-p","80"],"binary":"/usr/bin/web","depends_on":["db"],)"
           R"("health_check":{"interval_seconds":5,"port":80,"type":"tcp"},)"
           R"("order":3,"restart":"on-failure","restart_delay_seconds":2})");
  REQUIRE(s);
  CHECK(s->binary == "/usr/bin/web");
  CHECK(s->args == std::vector<std::string>{"-p", "80"});
  CHECK(s->restart == restart_policy::on_failure);
  CHECK(s->restart_delay == seconds(2));
  CHECK(s->depends_on == std::vector<std::string>{"db"});
  CHECK(s->order == 3);
  REQUIRE(s->health);
  CHECK(s->health->type == "tcp");
  CHECK(s->health->port == 80);
  CHECK(s->health->interval == seconds(5));
  // Defaults of a minimal declaration.
  auto m = parse_service("m", R"({"binary":"/bin/m"})");
  REQUIRE(m);
  CHECK(m->restart == restart_policy::always);
  CHECK(m->restart_delay == seconds(5));
  for (auto [value, why] : std::vector<std::pair<std::string, std::string>>{
         {"not json", "not a JSON object"},
         {"[]", "not a JSON object"},
         {"{}", "'binary' is missing"},
         {R"({"binary":"bin/x"})", "not an absolute path"},
         {R"({"binary":"/x","restart":"sometimes"})", "restart 'sometimes'"},
         {R"({"binary":"/x","args":"a b"})", "'args' is not an array"},
         {R"({"binary":"/x","health_check":{"type":"tcp","port":0}})",
          "health_check.port"},
         {R"({"binary":"/x","health_check":{"type":"icmp"}})",
          "health_check.type 'icmp'"}}) {
    CAPTURE(value);
    auto bad = parse_service("x", value);
    REQUIRE_FALSE(bad);
    CHECK(bad.err().message.find("service 'x'") == 0);
    CHECK(bad.err().message.find(why) != std::string::npos);
  }
}

TEST_CASE("services start after their dependencies, then by order and name") {
  auto p = plan_start({svc("web", {"db", "cache"}), svc("db", {}, 5),
                       svc("cache"), svc("agent", {}, -1), svc("zeta")});
  CHECK(p.blocked.empty());
  // agent (order -1) first; cache, zeta (order 0, by name); db (order 5);
  // web once db and cache are up.
  CHECK(p.order
        == std::vector<std::string>{"agent", "cache", "zeta", "db", "web"});
}

TEST_CASE("an undeclared dependency or a cycle blocks the services it "
          "concerns, and their dependents") {
  auto p = plan_start({svc("a", {"b"}), svc("b", {"a"}), svc("c", {"a"}),
                       svc("d", {"ghost"}), svc("e", {"d"}), svc("ok")});
  CHECK(p.order == std::vector<std::string>{"ok"});
  REQUIRE(p.blocked.size() == 5);
  CHECK(p.blocked.at("a").find("dependency cycle: ") == 0);
  CHECK(p.blocked.at("b").find("dependency cycle: ") == 0);
  CHECK(p.blocked.at("c").find("depends on 'a', which cannot start") == 0);
  CHECK(p.blocked.at("d")
        == "depends on 'ghost', which is not declared on this node");
  CHECK(p.blocked.at("e").find("depends on 'd', which cannot start") == 0);
  // A service that depends on itself is a cycle of one.
  auto self = plan_start({svc("s", {"s"})});
  CHECK(self.order.empty());
  CHECK(self.blocked.at("s") == "dependency cycle: s -> s");
}

TEST_CASE("exit text names the status or the signal") {
  CHECK(exit_text({false, 3}) == "exited with status 3");
  CHECK(exit_text({true, SIGKILL}) == "killed by signal 9 (SIGKILL)");
  CHECK(exit_status{false, 0}.success());
  CHECK_FALSE(exit_status{true, 0}.success());
}

TEST_CASE("restart policies: always, on-failure, never") {
  auto s = svc("x");
  s.restart_delay = seconds(1);
  auto long_run = ms(60'000);
  s.restart = restart_policy::always;
  auto r = after_exit(s, {false, 0}, long_run, 0);
  CHECK(r.k == restart_decision::kind::restart);
  CHECK(r.delay == ms(1000));
  CHECK(r.crashes_in_a_row == 0); // a clean exit is no crash
  s.restart = restart_policy::on_failure;
  CHECK(after_exit(s, {false, 0}, long_run, 0).k
        == restart_decision::kind::exited);
  CHECK(after_exit(s, {true, SIGSEGV}, long_run, 0).k
        == restart_decision::kind::restart);
  s.restart = restart_policy::never;
  auto f = after_exit(s, {false, 2}, long_run, 0);
  CHECK(f.k == restart_decision::kind::failed);
  CHECK(f.detail == "exited with status 2; restart = \"never\": not restarted");
  CHECK(after_exit(s, {false, 0}, long_run, 0).k
        == restart_decision::kind::exited);
}

TEST_CASE("a crash loop doubles the delay up to the cap; a long run resets "
          "it") {
  auto s = svc("x");
  s.restart_delay = seconds(5);
  crash_loop_limits lim{ms(10'000), ms(60'000)};
  uint32_t crashes = 0;
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    auto r = after_exit(s, {false, 1}, ms(100), crashes, lim);
    REQUIRE(r.k == restart_decision::kind::restart);
    crashes = r.crashes_in_a_row;
    delays.push_back(r.delay.count());
  }
  CHECK(delays
        == std::vector<int64_t>{5000, 10000, 20000, 40000, 60000, 60000});
  CHECK(crashes == 6);
  auto r = after_exit(s, {false, 1}, ms(100), 2, lim);
  CHECK(r.detail
        == "exited with status 1; restarting in 20 s (3rd crash in "
           "a row)");
  // Ran long enough: the next failure starts the count again.
  auto again = after_exit(s, {false, 1}, ms(20'000), crashes, lim);
  CHECK(again.crashes_in_a_row == 0);
  CHECK(again.delay == ms(5000));
  // A declared delay above the cap is honoured as declared.
  s.restart_delay = seconds(600);
  CHECK(after_exit(s, {false, 1}, ms(1), 0, lim).delay == ms(600'000));
}

TEST_CASE("the service log keeps the newest lines within its bounds") {
  service_log log(3, 1000, 20);
  log.append("one\ntw");
  log.append("o\nthree\n");
  auto [lines, truncated] = log.tail(10);
  CHECK(lines == std::vector<std::string>{"one", "two", "three"});
  CHECK_FALSE(truncated);
  log.append("four\n");
  std::tie(lines, truncated) = log.tail(10);
  CHECK(lines == std::vector<std::string>{"two", "three", "four"});
  CHECK(truncated); // "one" was dropped
  std::tie(lines, truncated) = log.tail(1);
  CHECK(lines == std::vector<std::string>{"four"});
  CHECK(truncated);
  // A partial last line shows once the process ends; a long one is cut.
  log.append("tail without newline");
  CHECK(log.tail(1).first == std::vector<std::string>{"four"});
  log.flush();
  CHECK(log.tail(1).first[0].find("tail without newline") == 0);
  log.append(std::string(50, 'x') + "\n");
  CHECK(log.tail(1).first[0]
        == std::string(20, 'x') + " [line cut at 20 bytes]");
  // The rest of a cut line is dropped, however it arrives, and is no line
  // of its own (a tester: a 10,000-byte line came back as two).
  log.append(std::string(30, 'y'));
  log.append(std::string(30, 'y') + "\nnext\n");
  std::tie(lines, truncated) = log.tail(3);
  CHECK(lines
        == std::vector<std::string>{
          std::string(20, 'x') + " [line cut at 20 bytes]",
          std::string(20, 'y') + " [line cut at 20 bytes]", "next"});
  // Bytes that are not UTF-8 are kept as \xNN (the log goes into protobuf
  // strings and JSON; a tester's binary output aborted the agent).
  log.append(std::string("bin\xff\xfe\n"));
  CHECK(log.tail(1).first[0] == "bin\\xff\\xfe");
  // The byte bound drops old lines too.
  service_log small(100, 10);
  small.append("aaaa\nbbbb\ncccc\n");
  CHECK(small.tail(10).first == std::vector<std::string>{"bbbb", "cccc"});
}
