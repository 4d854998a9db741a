// parse_time_bound: the --since/--until forms of `pact log`.

#include <doctest/doctest.h>

#include "runtime/render/time_bound.hpp"

using pact::render::bound_side;
using pact::render::parse_time_bound;

namespace {

constexpr int64_t now = 1'795'950'000'000; // 2026-11-29T11:00:00Z

int64_t ok(const std::string& text, bound_side side = bound_side::start) {
  auto r = parse_time_bound("--since", text, now, side);
  if (!r)
    FAIL(r.err().message);
  return *r;
}

int64_t until(const std::string& text) {
  return ok(text, bound_side::end);
}

std::string refusal(const std::string& text, bound_side side) {
  auto r = parse_time_bound("--until", text, now, side);
  REQUIRE_FALSE(r);
  CHECK(r.err().code == pact::exit_code::general_error);
  return r.err().message;
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
  // The epoch itself starts the journal's range (0 is also "no bound").
  CHECK(ok("1970-01-01T00:00:00Z") == 0);
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
        "2026-02-29T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T10:00:00.Z",
        "2026-11-29T10:00:00+0100", "2026-11-29T10:00:00Zjunk",
        "2026-11-29T10:00:61Z", "2026-11-29T10:60:00Z"}) {
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

TEST_CASE("an end bound covers the precision it was written to") {
  // The journal displays whole seconds: --until with the time shown for an
  // entry stamped at ..:00.143 must include it.
  CHECK(until("2026-11-29T11:00:00Z") == now + 999);
  CHECK(until("2026-11-29T12:00:00+01:00") == now + 999);
  CHECK(until("2026-11-29T11:00:00.1Z") == now + 199);
  CHECK(until("2026-11-29T11:00:00.14Z") == now + 149);
  CHECK(until("2026-11-29T11:00:00.143Z") == now + 143);
  CHECK(until("2026-11-29T11:00:00.1439Z") == now + 143);
  CHECK(until("2026-11-29T11:00:00.000Z") == now);
  // A start bound is the first millisecond; durations stay exact.
  CHECK(ok("2026-11-29T11:00:00Z") == now);
  CHECK(ok("2026-11-29T11:00:00.1Z") == now + 100);
  CHECK(until("30m") == now - 30 * 60'000);
  CHECK(until("1970-01-01T00:00:00Z") == 999);
}

TEST_CASE("times before 1970 are outside the journal's range") {
  for (auto side : {bound_side::start, bound_side::end})
    for (const char* before : {"1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                               "1970-01-01T00:30:00+01:00", "9999999w",
                               "99999999999w", "99999999999s"})
      CHECK(refusal(before, side)
            == "--until '" + std::string(before)
                 + "': before the journal's range (entries are stamped in "
                   "Unix time, after 1970-01-01T00:00:00Z)");
  // 0 is "no bound" on the wire, so an end bound cannot be the epoch's
  // first millisecond.
  CHECK(refusal("1970-01-01T00:00:00.000Z", bound_side::end)
        == "--until '1970-01-01T00:00:00.000Z': before the journal's range "
           "(entries are stamped in Unix time, after 1970-01-01T00:00:00Z)");
}

TEST_CASE("a leap second is refused as such") {
  for (auto side : {bound_side::start, bound_side::end})
    for (const char* leap : {"2016-12-31T23:59:60Z", "2026-11-30T16:10:60Z",
                             "2016-12-31T23:59:60.5Z"})
      CHECK(refusal(leap, side)
            == "--until '" + std::string(leap)
                 + "': leap seconds (:60) are not accepted; entries are "
                   "stamped in Unix time, which has none (use :59)");
}
