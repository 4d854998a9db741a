// systemd_units: how a unit's properties read as the pact backend's
// service states, MemoryMax values and D-Bus error lines (issue 12 item 5,
// the systemd backend; docs/services.md), and the bus client's errors
// where there is no bus or journal.

#include "runtime/node/systemd_units.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <limits>

#include "runtime/node/systemd_bus.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact::node;

namespace {

unit_properties unit(const std::string& active, const std::string& sub,
                     const std::string& result = "success") {
  unit_properties p;
  p.load_state = "loaded";
  p.active_state = active;
  p.sub_state = sub;
  p.result = result;
  return p;
}

constexpr uint64_t now = 1'700'000'100'000'000; // µs

} // namespace

TEST_CASE("a unit is NAME.service") {
  CHECK(unit_name("web") == "web.service");
}

TEST_CASE("unit states read as the pact backend's") {
  struct row {
    unit_properties p;
    std::string state;
  };
  for (const auto& [p, state] : std::initializer_list<row>{
         {unit("active", "running"), "running"},
         {unit("active", "exited"), "exited"},
         {unit("reloading", "reload"), "running"},
         {unit("activating", "start"), "starting"},
         {unit("activating", "auto-restart", "exit-code"), "backoff"},
         {unit("deactivating", "stop-sigterm"), "stopping"},
         {unit("failed", "failed", "exit-code"), "failed"},
         {unit("inactive", "dead"), "exited"},
         {unit("inactive", "dead", "signal"), "failed"},
       }) {
    CAPTURE(p.active_state);
    CAPTURE(p.sub_state);
    CHECK(view_of("web", p, now).state == state);
  }
}

TEST_CASE("a unit's detail is systemd's words") {
  CHECK(view_of("web", unit("active", "running"), now).detail
        == "unit web.service: active (running)");
  CHECK(view_of("web", unit("failed", "failed", "exit-code"), now).detail
        == "unit web.service: failed (failed); result exit-code");
}

TEST_CASE("a unit systemd cannot load has failed, with why") {
  auto p = unit("inactive", "dead");
  p.load_state = "not-found";
  auto v = view_of("web", p, now);
  CHECK(v.state == "failed");
  CHECK(v.detail
        == "unit web.service not found: systemd has no unit file for it");
  p.load_state = "masked";
  CHECK(view_of("web", p, now).detail == "unit web.service is masked");
  p.load_state = "bad-setting";
  CHECK(view_of("web", p, now).detail
        == "unit web.service did not load (bad-setting)");
}

TEST_CASE("pid, uptime and restarts come from MainPID, "
          "ExecMainStartTimestamp and NRestarts") {
  auto p = unit("active", "running");
  p.main_pid = 4242;
  p.n_restarts = 3;
  p.start_usec = now - 90'500'000;
  auto v = view_of("web", p, now);
  CHECK(v.pid == 4242);
  CHECK(v.uptime_seconds == 90);
  CHECK(v.restarts == 3);
  SUBCASE("no process: no uptime") {
    p.main_pid = 0;
    CHECK(view_of("web", p, now).uptime_seconds == 0);
  }
  SUBCASE("a start stamped after now (clock skew): no uptime") {
    p.start_usec = now + 1;
    CHECK(view_of("web", p, now).uptime_seconds == 0);
  }
}

TEST_CASE("MemoryMax from a declared limit") {
  CHECK(*memory_max_value("1048576") == 1048576u);
  CHECK(*memory_max_value("64M") == 64u * 1024 * 1024);
  CHECK(*memory_max_value("max") == std::numeric_limits<uint64_t>::max());
  auto bad = memory_max_value("lots");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message.find("'lots'") != std::string::npos);
}

TEST_CASE("a failed D-Bus call is one line naming the unit and the error") {
  CHECK(bus_error_text("web.service", "RestartUnit",
                       "org.freedesktop.systemd1.NoSuchUnit",
                       "Unit web.service not found.")
        == "systemd: RestartUnit of web.service failed: "
           "org.freedesktop.systemd1.NoSuchUnit (Unit web.service not "
           "found.)");
  CHECK(bus_error_text("web.service", "StartUnit", "", "Connection refused")
        == "systemd: StartUnit of web.service failed: no reply (Connection "
           "refused)");
  auto folded = bus_error_text("a.service", "StopUnit", "x.Y", "one\ntwo");
  CHECK(folded.find('\n') == std::string::npos);
}

TEST_CASE("an unreachable bus fails each call with one line naming it") {
  // A private bus address that nothing listens on (tests point the agent
  // at a private bus the same way).
  pact::test::temp_root dir;
  auto address = "unix:path=" + dir.path() + "/no-bus";
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", address.c_str(), 1);
  systemd_manager m(std::chrono::milliseconds(500));
  auto s = m.start("web.service");
  REQUIRE_FALSE(s);
  CAPTURE(s.err().message);
  CHECK(s.err().message.rfind("systemd: ", 0) == 0);
  CHECK(s.err().message.find('\n') == std::string::npos);
  CHECK(s.err().message.find("web.service") != std::string::npos);
  CHECK_FALSE(m.properties("web.service"));
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

TEST_CASE("no journal files: logs point at journalctl") {
  pact::test::temp_root dir;
  auto t = unit_journal(dir.path(), "web.service", 10);
  REQUIRE_FALSE(t);
  CHECK(
    t.err().message.find("no systemd journal on this node under " + dir.path())
    != std::string::npos);
  CHECK(t.err().message.find("`journalctl -u web.service`")
        != std::string::npos);
}
