// boot_backoff: capped exponential back-off with full jitter for the
// journal link's reconnects (issue 11 item 1), with the jitter pinned.

#include "runtime/node/boot_backoff.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace pact::node;
using ms = std::chrono::milliseconds;

TEST_CASE("the cap doubles from 1 s up to the maximum and resets on success") {
  std::vector<uint64_t> bounds;
  boot_backoff b(ms(1000), ms(30000), [&](uint64_t bound) {
    bounds.push_back(bound);
    return bound; // the top of the range: the delay equals the cap
  });
  std::vector<int64_t> delays;
  for (int i = 0; i < 8; ++i)
    delays.push_back(b.next_delay().count());
  CHECK(delays
        == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000,
                                30000});
  // The drawn part spans floor .. cap.
  CHECK(bounds.front() == 900);
  CHECK(b.failures() == 8);
  b.reset();
  CHECK(b.current_cap() == ms(1000));
  CHECK(b.next_delay() == ms(1000));
}

TEST_CASE("full jitter: the bottom of the range is the floor, never zero") {
  boot_backoff b(ms(1000), ms(8000), [](uint64_t) { return uint64_t{0}; });
  for (int i = 0; i < 6; ++i)
    CHECK(b.next_delay() == ms(100));
  // A source that overshoots is clamped to the cap.
  boot_backoff over(ms(1000), ms(4000),
                    [](uint64_t bound) { return bound + 999999; });
  CHECK(over.next_delay() == ms(1000));
}

TEST_CASE("a seeded source spreads delays over the whole range, "
          "reproducibly") {
  auto draw = [](uint64_t seed) {
    boot_backoff b(ms(1000), ms(1000), seeded_jitter(seed));
    std::vector<int64_t> out;
    for (int i = 0; i < 200; ++i)
      out.push_back(b.next_delay().count());
    return out;
  };
  auto a = draw(42);
  CHECK(a == draw(42));
  CHECK(a != draw(43));
  int64_t lo = 100000, hi = 0;
  for (auto v : a) {
    CHECK(v >= 100);
    CHECK(v <= 1000);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // Spread, not lock-step: both ends of the interval are reached closely.
  CHECK(lo < 250);
  CHECK(hi > 850);
}

TEST_CASE("a maximum below a doubling step caps exactly; huge failure counts "
          "do not overflow") {
  boot_backoff b(ms(1000), ms(3000), [](uint64_t bound) { return bound; });
  CHECK(b.next_delay() == ms(1000));
  CHECK(b.next_delay() == ms(2000));
  CHECK(b.next_delay() == ms(3000));
  for (int i = 0; i < 200; ++i)
    CHECK(b.next_delay() == ms(3000));
}
