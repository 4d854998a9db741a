// parse_time_bound: the --since/--until forms of `pact log`.

#include <doctest/doctest.h>

#include "runtime/render/time_bound.hpp"

using pact::render::parse_time_bound;

namespace {

constexpr int64_t now = 1'795'950'000'000; // 2026-11-29T11:00:00Z

int64_t ok(const std::string& text) {
  auto r = parse_time_bound("--since", text, now);
  if (!r)
    FAIL(r.err().message);
  return *r;
}

} // namespace

TEST_CASE("RFC 3339 times") {
  CHECK(ok("2026-11-29T11:00:00Z") == now);
  CHECK(ok("2026-11-29t11:00:00z") == now);
  CHECK(ok("2026-11-29 11:00:00Z") == now);
  CHECK(ok("2026-11-29T10:00:00Z") == now - 3'600'000);
  CHECK(ok("2026-11-29T12:30:00+01:30") == now);
  CHECK(ok("2026-11-29T09:00:00-02:00") == now);
  CHECK(ok("2026-11-29T11:00:00.5Z") == now + 500);
  CHECK(ok("2026-11-29T11:00:00.123456Z") == now + 123);
  CHECK(ok("1970-01-01T00:00:01Z") == 1000);
  CHECK(ok("2024-02-29T00:00:00Z") == 1'709'164'800'000);
}

TEST_CASE("durations before now") {
  CHECK(ok("30s") == now - 30'000);
  CHECK(ok("30m") == now - 30 * 60'000);
  CHECK(ok("2h") == now - 2 * 3'600'000);
  CHECK(ok("7d") == now - 7 * 86'400'000LL);
  CHECK(ok("1w") == now - 7 * 86'400'000LL);
}

TEST_CASE("bad values name the flag, the value and the forms") {
  for (const char* bad :
       {"", "yesterday", "2h30m", "0h", "-2h", "2 h", "2H", "99999999999999d",
        "2026-11-29", "2026-11-29T10:00:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T10:00:60Z",
        "2026-11-29T10:00:00.Z", "2026-11-29T10:00:00+0100",
        "2026-11-29T10:00:00Zjunk", "1970-01-01T00:00:00Z"}) {
    auto r = parse_time_bound("--until", bad, now);
    REQUIRE_FALSE(r);
    CHECK(r.err().message
          == "--until '" + std::string(bad)
               + "': expected an RFC 3339 time such as 2026-11-29T10:00:00Z, "
                 "or a duration before now such as 30m, 2h or 7d (units s, "
                 "m, h, d, w)");
    CHECK(r.err().code == pact::exit_code::general_error);
  }
}
