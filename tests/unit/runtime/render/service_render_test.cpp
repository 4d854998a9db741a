// service_render: `pact service status|restart|logs` output.

#include "runtime/render/service_render.hpp"

#include <doctest/doctest.h>

using namespace pact;

namespace {

protocol::ServiceReply reply() {
  protocol::ServiceReply r;
  r.set_node("n1");
  auto* web = r.add_services();
  web->set_name("web");
  web->set_state("running");
  web->set_pid(4242);
  web->set_uptime_seconds(3725);
  web->set_restarts(2);
  web->set_last_exit("exited with status 1");
  web->set_binary("/usr/bin/web");
  web->set_restart("always");
  auto* db = r.add_services();
  db->set_name("db");
  db->set_state("backoff");
  db->set_last_exit("killed by signal 9 (SIGKILL)");
  db->set_detail("killed by signal 9 (SIGKILL); restarting in 10 s (2nd "
                 "crash in a row)");
  return r;
}

} // namespace

TEST_CASE("service status as a table, running and crashing") {
  auto text = render::service_status_text(reply());
  CHECK(text.find("node n1: 2 services\n") == 0);
  CHECK(text.find("SERVICE  STATE    PID   UPTIME  RESTARTS  HEALTH  DETAIL")
        != std::string::npos);
  CHECK(text.find("web      running  4242  1h 2m   2         -       last: "
                  "exited with status 1")
        != std::string::npos);
  CHECK(text.find("db       backoff  -     -       0         -       killed "
                  "by signal 9")
        != std::string::npos);
  protocol::ServiceReply none;
  none.set_node("n2");
  CHECK(render::service_status_text(none)
        == "node n2: 0 services\n(the node's vCluster declares no "
           "services)\n");
  auto j = render::service_status_json(reply());
  CHECK(j["services"][0]["pid"] == 4242);
  CHECK(j["services"][1]["state"] == "backoff");
}

TEST_CASE("service logs: the lines, terminal-safe") {
  protocol::ServiceReply r;
  r.set_node("n1");
  r.add_lines("plain");
  r.add_lines("bell\x07 and \x1b[31mred");
  auto text = render::service_logs_text(r);
  CHECK(text.find("plain\n") == 0);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  r.set_truncated(true);
  CHECK(render::service_logs_text(r) == text); // the note is the CLI's
  auto j = render::service_logs_json(r, "web");
  CHECK(j["service"] == "web");
  CHECK(j["lines"].size() == 2);
  CHECK(j["truncated"] == true);
}
