// pact's typed error category (issue 8 item 3): every reason maps to one
// status code and retry rule, survives CAF's serializer (errors cross
// process boundaries when a follower forwards to the leader), and no CAF
// rendering reaches an operator.

#include <doctest/doctest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/sec.hpp>

#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"

namespace pact::protocol {

TEST_CASE("a pact error carries its reason and message") {
  auto err = make_error(ERROR_REASON_NO_LEADER, "no leader is known");
  CHECK(err.category() == error_category);
  CHECK(reason_of(err) == ERROR_REASON_NO_LEADER);
  CHECK(message_of(err) == "no leader is known");
}

TEST_CASE("every reason has one status code and one retry rule") {
  for (int i = ErrorReason_MIN; i <= ErrorReason_MAX; ++i) {
    auto r = static_cast<ErrorReason>(i);
    if (!ErrorReason_IsValid(i))
      continue;
    INFO(to_string(r));
    auto code = status_code_of(r);
    CHECK(code != STATUS_CODE_OK);
    CHECK(code != STATUS_CODE_UNSPECIFIED);
    // Retrying elsewhere only makes sense for availability problems.
    if (retryable(r))
      CHECK(code == STATUS_CODE_UNAVAILABLE);
  }
  CHECK(retryable(ERROR_REASON_NO_LEADER));
  CHECK(retryable(ERROR_REASON_OUTCOME_UNKNOWN));
  CHECK_FALSE(retryable(ERROR_REASON_STORE_FULL));
  CHECK_FALSE(retryable(ERROR_REASON_INVALID_REQUEST));
  CHECK(status_code_of(ERROR_REASON_STORE_FULL) == STATUS_CODE_ERROR);
  CHECK(status_code_of(ERROR_REASON_INVALID_REQUEST)
        == STATUS_CODE_INVALID_ARGUMENT);
}

TEST_CASE("CAF's own errors become sentences, never CAF's rendering") {
  for (auto s : {caf::sec::request_timeout, caf::sec::request_receiver_down,
                 caf::sec::no_route_to_receiving_node,
                 caf::sec::cannot_connect_to_node, caf::sec::runtime_error,
                 caf::sec::unexpected_message, caf::sec::bad_function_call}) {
    auto text = message_of(caf::make_error(s));
    INFO(text);
    CHECK(text.find("system_error") == std::string::npos);
    CHECK(text.find("sec::") == std::string::npos);
    CHECK_FALSE(text.empty());
  }
  CHECK(reason_of(caf::make_error(caf::sec::request_timeout))
        == ERROR_REASON_TIMEOUT);
  CHECK(reason_of(caf::make_error(caf::sec::request_receiver_down))
        == ERROR_REASON_REPLICA_DOWN);
  CHECK(reason_of(caf::make_error(caf::sec::unexpected_message))
        == ERROR_REASON_INTERNAL);
  // An out-of-range code in pact's category is not trusted.
  CHECK(reason_of(caf::error{200, error_category}) == ERROR_REASON_INTERNAL);
}

TEST_CASE("a pact error survives CAF's serializer unchanged") {
  caf::actor_system_config cfg;
  configure(cfg);
  caf::actor_system sys{cfg};
  auto err = make_error(ERROR_REASON_OUTCOME_UNKNOWN, "lost the leader");
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(err));
  caf::error back;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(back));
  CHECK(reason_of(back) == ERROR_REASON_OUTCOME_UNKNOWN);
  CHECK(message_of(back) == "lost the leader");
  CHECK(sys.render(back).find("outcome-unknown") != std::string::npos);
}

} // namespace pact::protocol
