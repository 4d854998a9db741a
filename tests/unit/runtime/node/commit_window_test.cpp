// The commit window (runtime/node/commit_window.hpp): DESIGN.md §9's
// formula and the window's life with injected time.

#include <doctest/doctest.h>

#include "runtime/node/commit_window.hpp"

using namespace pact::node;

namespace {
constexpr int64_t t0 = 1'700'000'000'000;
constexpr int64_t s = 1000;
} // namespace

TEST_CASE("formula: base / (1 + magnitude x sensitivity), never below 60 s") {
  window_policy p; // 900 s, sensitivity 2
  CHECK(window_length_ms(p, 0.0) == 900 * s);
  CHECK(window_length_ms(p, 1.0) == 300 * s);
  // sqrt(2) (one sysctl): 900 / (1 + 2.828...) = 235.08 s.
  CHECK(window_length_ms(p, 1.4142135623730951) == 235'083);
  CHECK(window_length_ms(p, 100.0) == 60 * s);
  p.drift_sensitivity = 0.0;
  CHECK(window_length_ms(p, 100.0) == 900 * s);
  p.base_commit_window_seconds = 60;
  p.drift_sensitivity = 2.0;
  CHECK(window_length_ms(p, 1.0) == 60 * s);
}

TEST_CASE("a window opens on the first drift with the length it has then") {
  commit_window w;
  CHECK(w.phase() == window_phase::closed);
  CHECK(w.tick(t0) == window_event::none);
  CHECK(w.on_drift(t0, 1.0) == window_event::opened);
  CHECK(w.phase() == window_phase::open);
  CHECK(w.opened_ms() == t0);
  CHECK(w.ends_ms() == t0 + 300 * s);
  // More drift does not shorten a window someone is working in.
  CHECK(w.on_drift(t0 + 10 * s, 50.0) == window_event::none);
  CHECK(w.ends_ms() == t0 + 300 * s);
}

TEST_CASE("expiry flags once; clean closes from any phase") {
  commit_window w;
  w.on_drift(t0, 1.0);
  CHECK(w.tick(t0 + 299 * s) == window_event::none);
  CHECK(w.tick(t0 + 300 * s) == window_event::expired);
  CHECK(w.phase() == window_phase::expired);
  CHECK(w.tick(t0 + 400 * s) == window_event::none);
  // Expired drift stays flagged while it lasts; it does not reopen.
  CHECK(w.on_drift(t0 + 401 * s, 1.0) == window_event::none);
  CHECK(w.on_clean() == window_event::closed);
  CHECK(w.phase() == window_phase::closed);
  CHECK(w.ends_ms() == 0);
  CHECK(w.on_clean() == window_event::none);
}

TEST_CASE("extend: lengthens, reopens an expired window, bounded by policy") {
  commit_window w;
  w.on_drift(t0, 1.0);
  auto e = w.extend(t0 + 10 * s, 15 * 60);
  REQUIRE(e.has_value());
  CHECK(*e == window_event::extended);
  CHECK(w.ends_ms() == t0 + 300 * s + 900 * s);
  w.tick(t0 + 1200 * s);
  REQUIRE(w.phase() == window_phase::expired);
  REQUIRE(w.extend(t0 + 1300 * s, 30 * 60).has_value());
  CHECK(w.phase() == window_phase::open);
  CHECK(w.opened_ms() == t0 + 1300 * s);
  CHECK(w.ends_ms() == t0 + 1300 * s + 1800 * s);
  // At most emergency_window_seconds (4 h) from now; nothing changes.
  auto too_far = w.extend(t0 + 1300 * s, 4 * 3600);
  REQUIRE_FALSE(too_far.has_value());
  CHECK(too_far.err().message
        == "extend: the window may end at most 240 minutes from now (policy "
           "emergency_window_seconds)");
  CHECK(w.ends_ms() == t0 + 1300 * s + 1800 * s);
  CHECK_FALSE(w.extend(t0, 0).has_value());
  // With no drift, extend opens a window (for a planned change).
  commit_window idle;
  REQUIRE(idle.extend(t0, 60).has_value());
  CHECK(idle.phase() == window_phase::open);
}

TEST_CASE("emergency: the window lasts emergency_window_seconds") {
  commit_window w;
  CHECK(w.emergency_start(t0) == window_event::extended);
  CHECK(w.emergency());
  CHECK(w.ends_ms() == t0 + 14400 * s);
  // An open emergency window is not shortened by drift.
  CHECK(w.on_drift(t0 + s, 9.0) == window_event::none);
  w.emergency_end();
  CHECK_FALSE(w.emergency());
  CHECK(w.ends_ms() == t0 + 14400 * s);
  // A window opened during an emergency gets the emergency length.
  commit_window e;
  e.emergency_start(t0);
  e.on_drift(t0, 1.0);
  e.on_clean(); // that episode ended
  CHECK(e.on_drift(t0 + s, 5.0) == window_event::opened);
  CHECK(e.ends_ms() == t0 + s + 14400 * s);
}

TEST_CASE("follow: the journal's later deadline opens or lengthens") {
  commit_window w; // 900 s at magnitude 0
  // A deadline already past changes nothing.
  CHECK(w.follow(t0, t0) == window_event::none);
  CHECK(w.phase() == window_phase::closed);
  // `pact extend` with no drift opens a window.
  CHECK(w.follow(t0, t0 + 900 * s) == window_event::extended);
  CHECK(w.phase() == window_phase::open);
  CHECK(w.opened_ms() == t0);
  // Not after the open window's own end: unchanged.
  CHECK(w.follow(t0 + s, t0 + 800 * s) == window_event::none);
  CHECK(w.ends_ms() == t0 + 900 * s);
  CHECK(w.follow(t0 + s, t0 + 1000 * s) == window_event::extended);
  CHECK(w.ends_ms() == t0 + 1000 * s);
  // Drift starts in it (joins it), and is still there at its end.
  CHECK(w.on_drift(t0 + 2 * s, 1.0) == window_event::none);
  CHECK(w.tick(t0 + 1000 * s) == window_event::expired);
  // An expired window reopens from now.
  CHECK(w.follow(t0 + 1001 * s, t0 + 2000 * s) == window_event::extended);
  CHECK(w.phase() == window_phase::open);
  CHECK(w.opened_ms() == t0 + 1001 * s);
}

TEST_CASE("an extension belongs to its window, not to the next episode") {
  // Tester, issue 11: one `pact extend` carried over to later, unrelated
  // drift episodes.
  commit_window w; // one file: 300 s
  w.on_drift(t0, 1.0);
  REQUIRE(w.follow(t0 + s, t0 + 3600 * s) == window_event::extended);
  CHECK(w.on_clean() == window_event::closed); // the episode ends
  // The next episode gets the formula's window, not the old deadline.
  CHECK(w.on_drift(t0 + 600 * s, 1.0) == window_event::opened);
  CHECK(w.ends_ms() == t0 + 600 * s + 300 * s);
}

TEST_CASE("a window opened without drift: drift joins it, or it just ends") {
  commit_window w;
  // `pact extend` before a planned change opens a window with no drift;
  // no drift does not close it.
  REQUIRE(w.follow(t0, t0 + 1800 * s) == window_event::extended);
  CHECK(w.on_clean() == window_event::none);
  CHECK(w.phase() == window_phase::open);
  // Drift that starts in it belongs to it: its deadline holds.
  CHECK(w.on_drift(t0 + 60 * s, 1.0) == window_event::none);
  CHECK(w.ends_ms() == t0 + 1800 * s);
  CHECK(w.on_clean() == window_event::closed);
  // Unused until its end: it closes, nothing is flagged.
  REQUIRE(w.follow(t0 + 2000 * s, t0 + 2100 * s) == window_event::extended);
  CHECK(w.tick(t0 + 2100 * s) == window_event::closed);
  CHECK(w.phase() == window_phase::closed);
  CHECK(w.on_drift(t0 + 2200 * s, 1.0) == window_event::opened);
  CHECK(w.ends_ms() == t0 + 2200 * s + 300 * s);
}
