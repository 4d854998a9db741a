// logging: the JSON line format (issue 18 item 5) and the request id it
// lifts out of a message, which the CLI shows in its error.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "runtime/common/logging.hpp"

using namespace pact;

TEST_CASE("a message about a request names its id") {
  CHECK(request_id_of("request command#a1b2c3d4 refused (X): y")
        == "command#a1b2c3d4");
  CHECK(request_id_of("request x") == "x");
  CHECK(request_id_of("requests are slow").empty());
  CHECK(request_id_of("request  double space").empty());
  CHECK(request_id_of("request a\"b refused").empty());
  CHECK(request_id_of("the request abc").empty());
}

TEST_CASE("a JSON line is one object whatever the message holds") {
  auto line = json_log_line("2026-12-01T14:50:01.123Z", "info", "journal",
                            "request log#00ff refused (UNAUTHORIZED): "
                            "policy: denied \"x\"\n\x1b[31m");
  CHECK(line.find('\n') == std::string::npos);
  auto j = nlohmann::json::parse(line);
  CHECK(j["time"] == "2026-12-01T14:50:01.123Z");
  CHECK(j["level"] == "info");
  CHECK(j["component"] == "journal");
  CHECK(j["request_id"] == "log#00ff");
  CHECK(j["message"]
        == "request log#00ff refused (UNAUTHORIZED): policy: denied "
           "\"x\"\n\x1b[31m");
  auto plain = nlohmann::json::parse(
    json_log_line("t", "warn", "agent", "journal link lost"));
  CHECK_FALSE(plain.contains("request_id"));
}

TEST_CASE("unknown formats are refused") {
  auto st = init_logging("logging-test", "info", "xml");
  REQUIRE_FALSE(st);
  CHECK(st.err().message.find("unknown log format 'xml'") != std::string::npos);
}
