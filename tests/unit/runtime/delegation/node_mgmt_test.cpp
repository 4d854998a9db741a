// The pure half of node management (runtime/delegation/node_mgmt.hpp):
// settings from the environment, node names, the requests each backend
// sends (pinned to PCS v1, BSS /boot/v1 and BOS v2), and what an answer
// means to the operator. The HTTP half runs against the contract servers
// of tests/e2e/node_mgmt_server.py (tests/e2e/test_node_mgmt_rest.py).

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>

#include "runtime/delegation/node_mgmt.hpp"

using namespace pact;
using namespace pact::delegation;
using nlohmann::json;

namespace {

using vars = std::map<std::string, std::string>;

/// Sets the PACT_NODE_MGMT_* variables for one test and clears them after.
struct env_guard {
  explicit env_guard(const vars& values) {
    for (const char* n : names)
      ::unsetenv(n);
    for (const auto& [k, v] : values)
      ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~env_guard() {
    for (const char* n : names)
      ::unsetenv(n);
  }
  static constexpr const char* names[]
    = {"PACT_NODE_MGMT_BACKEND", "PACT_NODE_MGMT_URL", "PACT_NODE_MGMT_TOKEN",
       "PACT_NODE_MGMT_BOS_TEMPLATE"};
};

node_mgmt_settings settings(node_mgmt_backend b) {
  node_mgmt_settings s;
  s.backend = b;
  s.url = "https://mgmt.site";
  s.bos_template = "compute-2026";
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("settings come from PACT_NODE_MGMT_*") {
  env_guard env(vars{{"PACT_NODE_MGMT_BACKEND", "csm"},
                     {"PACT_NODE_MGMT_URL", "https://api-gw.csm.site/"},
                     {"PACT_NODE_MGMT_TOKEN", "eyJh.eyJz-_.sig=="},
                     {"PACT_NODE_MGMT_BOS_TEMPLATE", "compute-2026"}});
  auto s = node_mgmt_settings_from_env("/etc/pact/site-ca.pem");
  REQUIRE(s);
  CHECK(s->backend == node_mgmt_backend::csm);
  CHECK(s->url == "https://api-gw.csm.site"); // trailing '/' dropped
  CHECK(s->token == "eyJh.eyJz-_.sig==");
  CHECK(s->bos_template == "compute-2026");
  CHECK(s->ca_bundle == "/etc/pact/site-ca.pem");
  CHECK(std::string(to_string(s->backend)) == "csm");
}

TEST_CASE("an ochami URL may be plain http and carry a path prefix") {
  env_guard env(vars{{"PACT_NODE_MGMT_BACKEND", "ochami"},
                     {"PACT_NODE_MGMT_URL", "http://10.1.0.1:8080/gw"}});
  auto s = node_mgmt_settings_from_env("");
  REQUIRE(s);
  CHECK(s->backend == node_mgmt_backend::ochami);
  CHECK(s->url == "http://10.1.0.1:8080/gw");
  CHECK(s->token.empty());
  CHECK(s->bos_template.empty());
}

TEST_CASE("node management unset, half set or wrong is an exit-1 error") {
  const std::string unset = "node management not configured (set "
                            "PACT_NODE_MGMT_BACKEND=ochami|csm and "
                            "PACT_NODE_MGMT_URL)";
  {
    env_guard env(vars{});
    auto s = node_mgmt_settings_from_env("");
    REQUIRE_FALSE(s);
    CHECK(s.err().message == unset);
    CHECK(s.err().code == exit_code::general_error);
  }
  {
    env_guard env(vars{{"PACT_NODE_MGMT_BACKEND", "ochami"}});
    auto s = node_mgmt_settings_from_env("");
    REQUIRE_FALSE(s);
    CHECK(s.err().message == unset);
  }
  {
    env_guard env(vars{{"PACT_NODE_MGMT_BACKEND", "warewulf"},
                       {"PACT_NODE_MGMT_URL", "https://x"}});
    auto s = node_mgmt_settings_from_env("");
    REQUIRE_FALSE(s);
    CHECK(contains(s.err().message, "'warewulf'"));
    CHECK(contains(s.err().message, "ochami or csm"));
  }
  for (const char* url : {"ftp://x", "x.site:8443", "https://", "https:///p",
                          "https://x/?a=1", "https://x y"}) {
    env_guard env(
      vars{{"PACT_NODE_MGMT_BACKEND", "csm"}, {"PACT_NODE_MGMT_URL", url}});
    auto s = node_mgmt_settings_from_env("");
    REQUIRE_FALSE(s);
    CHECK(contains(s.err().message, "is not an http(s) URL"));
    CHECK(s.err().code == exit_code::general_error);
  }
}

TEST_CASE("a token that would break the Authorization header is refused") {
  env_guard env(vars{{"PACT_NODE_MGMT_BACKEND", "csm"},
                     {"PACT_NODE_MGMT_URL", "https://x"},
                     {"PACT_NODE_MGMT_TOKEN", "abc\r\nX-Evil: 1"}});
  auto s = node_mgmt_settings_from_env("");
  REQUIRE_FALSE(s);
  CHECK(contains(s.err().message, "PACT_NODE_MGMT_TOKEN"));
  CHECK_FALSE(contains(s.err().message, "Evil")); // the token is not echoed
}

TEST_CASE("node names are component ids; a BOS limit list is refused") {
  CHECK(node_name_check("x1000c0s0b0n0"));
  CHECK(node_name_check("node-01.site_a"));
  for (const char* bad :
       {"", "*", "x1,x2", "!x1", "&x1", "x1 x2", "a/b", "a?b", "n\n"})
    CHECK_FALSE(node_name_check(bad));
  CHECK_FALSE(node_name_check(std::string(128, 'a')));
  CHECK(node_name_check(std::string(127, 'a')));
}

TEST_CASE("reboot is one PCS v1 hard-restart transition, both backends") {
  auto o = reboot_calls(settings(node_mgmt_backend::ochami), "x1c0s0b0n0");
  REQUIRE(o.size() == 1);
  CHECK(o[0].method == "POST");
  CHECK(o[0].path == "/transitions");
  CHECK(o[0].body == json::parse(R"({"operation":"hard-restart",
                           "location":[{"xname":"x1c0s0b0n0"}]})"));
  auto c = reboot_calls(settings(node_mgmt_backend::csm), "x1c0s0b0n0");
  REQUIRE(c.size() == 1);
  CHECK(c[0].path == "/apis/power-control/v1/transitions");
  CHECK(c[0].body == o[0].body);
  auto st = pcs_transition_status_call(settings(node_mgmt_backend::csm),
                                       "3fa85f64-5717-4562-b3fc-2c963f66afa6");
  CHECK(st.method == "GET");
  CHECK(st.path
        == "/apis/power-control/v1/transitions/"
           "3fa85f64-5717-4562-b3fc-2c963f66afa6");
  CHECK(st.body.is_null());
}

TEST_CASE("ochami reimage: BSS boot parameters, then a PCS init") {
  auto calls = reimage_calls(settings(node_mgmt_backend::ochami), "x3c0s1b0n0");
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].method == "GET");
  CHECK(calls[0].path == "/boot/v1/bootparameters?name=x3c0s1b0n0");
  CHECK(calls[0].body.is_null());
  CHECK(calls[1].method == "POST");
  CHECK(calls[1].path == "/transitions");
  CHECK(calls[1].body["operation"] == "init");
  CHECK(calls[1].body["location"][0]["xname"] == "x3c0s1b0n0");
}

TEST_CASE("csm reimage: the BOS v2 template, then a reboot session") {
  auto calls = reimage_calls(settings(node_mgmt_backend::csm), "x3c0s1b0n0");
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].method == "GET");
  CHECK(calls[0].path == "/apis/bos/v2/sessiontemplates/compute-2026");
  CHECK(calls[1].method == "POST");
  CHECK(calls[1].path == "/apis/bos/v2/sessions");
  CHECK(calls[1].body == json::parse(R"({"template_name":"compute-2026",
                           "operation":"reboot","limit":"x3c0s1b0n0"})"));
}

TEST_CASE("401 and 403 are exit 2 and name the token variable") {
  for (long code : {401L, 403L}) {
    auto e = answer_error("https://gw/transitions", code,
                          R"({"type":"about:blank","title":"Unauthorized"})",
                          "x1");
    CHECK(e.code == exit_code::auth_failure);
    CHECK(e.message
          == "https://gw/transitions refused the token (HTTP "
               + std::to_string(code) + "); set PACT_NODE_MGMT_TOKEN");
  }
}

TEST_CASE("404 is an unknown node; the service's detail is kept") {
  auto e = answer_error("https://gw/x", 404, "not json", "x9c0s0b0n0");
  CHECK(e.code == exit_code::general_error);
  CHECK(e.message == "https://gw/x does not know node x9c0s0b0n0");
  auto d = answer_error("https://gw/x", 404,
                        R"({"type":"about:blank","detail":"no such node"})",
                        "x9");
  CHECK(d.message == "https://gw/x does not know node x9 (no such node)");
}

TEST_CASE("other statuses name the status and the problem's detail") {
  auto e = answer_error("https://gw/s", 400,
                        R"({"title":"Bad Request","detail":"bad limit"})",
                        "x1");
  CHECK(e.code == exit_code::general_error);
  CHECK(e.message == "https://gw/s refused the request (HTTP 400): bad limit");
  auto t = answer_error("https://gw/s", 500, R"({"title":"Database error"})",
                        "x1");
  CHECK(t.message
        == "https://gw/s refused the request (HTTP 500): Database error");
  auto bare = answer_error("https://gw/s", 409, "<html>", "x1");
  CHECK(bare.message == "https://gw/s refused the request (HTTP 409)");
  auto down = answer_error("https://gw/s", 503, "", "x1");
  CHECK(down.code == exit_code::unavailable);
  CHECK(down.message == "https://gw/s is unavailable (HTTP 503)");
}

TEST_CASE("a problem's text is made safe and cut") {
  CHECK(problem_text(R"({"detail":"a\u001b[31mb\nc"})") == "a?[31mb?c");
  auto long_text
    = problem_text(json{{"detail", std::string(1000, 'z')}}.dump());
  CHECK(long_text.size() <= 163);
  CHECK(problem_text(R"({"detail":"","title":"T"})") == "T");
  CHECK(problem_text("[1,2]").empty());
  CHECK(problem_text(R"({"detail":7})").empty());
}

TEST_CASE("the node's task is read from a PCS transition record") {
  auto rec = json::parse(R"({
    "transitionID":"3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "transitionStatus":"in-progress","operation":"Hard-Restart",
    "tasks":[{"xname":"x2","taskStatus":"in-progress"},
             {"xname":"x1","taskStatus":"failed",
              "taskStatusDescription":"Failed to achieve transition",
              "error":"Missing xname"}]})");
  auto t = pcs_task_of(rec, "x1");
  CHECK(t.status == "failed");
  CHECK(t.error == "Missing xname");
  CHECK(pcs_task_of(rec, "x2").status == "in-progress");
  CHECK(pcs_task_of(rec, "x3").status.empty());
  CHECK(pcs_task_of(json::parse(R"({"tasks":7})"), "x1").status.empty());
  CHECK(pcs_task_of(json(), "x1").status.empty());
  auto desc
    = pcs_task_of(json::parse(R"({"tasks":[{"xname":"x1","taskStatus":"failed",
                              "taskStatusDescription":"BMC timed out"}]})"),
                  "x1");
  CHECK(desc.error == "BMC timed out");
}

TEST_CASE("reboot and reimage refuse a bad node name before any request") {
  auto s = settings(node_mgmt_backend::csm);
  s.url = "http://127.0.0.1:1"; // nothing listens: a request would fail 5
  auto r = reboot_node(s, "x1,x2");
  REQUIRE_FALSE(r);
  CHECK(r.err().code == exit_code::general_error);
  auto m = reimage_node(s, "*");
  REQUIRE_FALSE(m);
  CHECK(contains(m.err().message, "cannot be a component id"));
}

TEST_CASE("csm reimage without a template is refused before any request") {
  auto s = settings(node_mgmt_backend::csm);
  s.url = "http://127.0.0.1:1";
  s.bos_template.clear();
  auto r = reimage_node(s, "x1c0s0b0n0");
  REQUIRE_FALSE(r);
  CHECK(contains(r.err().message, "no boot template"));
  CHECK(r.err().code == exit_code::general_error);
}
