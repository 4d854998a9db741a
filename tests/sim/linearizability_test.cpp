// Unit tests of the linearizability checker: known linearizable and known
// non-linearizable histories, pending operations, partitioning, a custom
// model, and a large generated history (which must pass, and fail once a
// single read is made stale).

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "tests/sim/linearizability.hpp"
#include "tests/sim/rng.hpp"

using namespace pact::sim;
using namespace pact::sim::lin;

namespace {

operation w(std::uint64_t client, std::string key, std::string value,
            std::uint64_t invoke, std::optional<std::uint64_t> response) {
  return {client,           op_kind::write, std::move(key),
          std::move(value), invoke,         response};
}

operation r(std::uint64_t client, std::string key, std::string value,
            std::uint64_t invoke, std::optional<std::uint64_t> response) {
  return {client,           op_kind::read, std::move(key),
          std::move(value), invoke,        response};
}

verdict run(const std::vector<operation>& h) {
  return check(h, kv_register_model()).outcome;
}

} // namespace

TEST_CASE("an empty history and a sequential history are linearizable") {
  CHECK(run({}) == verdict::ok);
  CHECK(run({w(1, "x", "a", 1, 2), r(1, "x", "a", 3, 4), w(1, "x", "b", 5, 6),
             r(2, "x", "b", 7, 8)})
        == verdict::ok);
  CHECK(run({r(1, "x", "", 1, 2)}) == verdict::ok); // Initial value.
}

TEST_CASE("a read after a completed write must not return the old value") {
  CHECK(run({w(1, "x", "a", 1, 2), r(2, "x", "", 3, 4)}) == verdict::illegal);
  CHECK(run({w(1, "x", "a", 1, 2), w(1, "x", "b", 3, 4), r(2, "x", "a", 5, 6)})
        == verdict::illegal);
}

TEST_CASE("a read concurrent with a write may return the old or new value") {
  CHECK(run({w(1, "x", "a", 1, 10), r(2, "x", "", 2, 3)}) == verdict::ok);
  CHECK(run({w(1, "x", "a", 1, 10), r(2, "x", "a", 2, 3)}) == verdict::ok);
}

TEST_CASE("new-then-old inversion between sequential reads is illegal") {
  // Both reads overlap the write, but the second starts after the first
  // returned the new value: it may not go back to the old one.
  CHECK(run({w(1, "x", "a", 1, 100), r(2, "x", "a", 2, 3), r(3, "x", "", 4, 5)})
        == verdict::illegal);
  CHECK(run({w(1, "x", "a", 1, 100), r(2, "x", "", 2, 3), r(3, "x", "a", 4, 5)})
        == verdict::ok);
}

TEST_CASE("values nobody wrote, or wrote later, cannot be read") {
  CHECK(run({r(1, "x", "ghost", 1, 2)}) == verdict::illegal);
  CHECK(run({r(1, "x", "a", 1, 2), w(2, "x", "a", 3, 4)}) == verdict::illegal);
}

TEST_CASE("pending writes may take effect late, or never") {
  auto pending = std::nullopt;
  SUBCASE("never observed") {
    CHECK(run({w(1, "x", "a", 1, pending), r(2, "x", "", 50, 60)})
          == verdict::ok);
  }
  SUBCASE("observed long after the client gave up") {
    CHECK(run({w(1, "x", "a", 1, pending), r(2, "x", "", 50, 60),
               r(2, "x", "a", 70, 80)})
          == verdict::ok);
  }
  SUBCASE("but once observed it cannot be undone") {
    CHECK(run({w(1, "x", "a", 1, pending), r(2, "x", "a", 50, 60),
               r(2, "x", "", 70, 80)})
          == verdict::illegal);
  }
  SUBCASE("and it cannot take effect before it was invoked") {
    CHECK(run({r(2, "x", "a", 1, 2), w(1, "x", "a", 5, pending)})
          == verdict::illegal);
  }
  SUBCASE("pending reads constrain nothing") {
    CHECK(run({w(1, "x", "a", 1, 2), r(2, "x", "zzz", 3, pending)})
          == verdict::ok);
  }
  SUBCASE("two pending writes observed in either order") {
    CHECK(run({w(1, "x", "a", 1, pending), w(2, "x", "b", 2, pending),
               r(3, "x", "b", 10, 11), r(3, "x", "a", 12, 13)})
          == verdict::ok);
    CHECK(run({w(1, "x", "a", 1, pending), w(2, "x", "b", 2, pending),
               r(3, "x", "b", 10, 11), r(3, "x", "a", 12, 13),
               r(3, "x", "b", 14, 15)})
          == verdict::illegal);
  }
}

TEST_CASE("keys are checked independently and the report names the key") {
  auto res = check({w(1, "x", "a", 1, 2), w(1, "y", "b", 3, 4),
                    r(2, "x", "a", 5, 6), r(2, "y", "", 7, 8)},
                   kv_register_model());
  CHECK(res.outcome == verdict::illegal);
  CHECK(res.partitions == 2);
  CHECK(res.explanation.find("key=\"y\"") != std::string::npos);
  CHECK(res.explanation.find("c2 read y -> \"\" [7, 8]") != std::string::npos);
}

TEST_CASE("equal timestamps count as overlapping") {
  CHECK(run({w(1, "x", "a", 1, 5), r(2, "x", "", 5, 6)}) == verdict::ok);
}

TEST_CASE("a custom model: an append-only list read as a whole") {
  model m;
  m.step = [](const std::string& s,
              const operation& op) -> std::optional<std::string> {
    if (op.kind == op_kind::write)
      return s + op.value + ",";
    if (op.pending() || op.value == s)
      return s;
    return std::nullopt;
  };
  auto ok = check({w(1, "l", "a", 1, 10), w(2, "l", "b", 2, 3),
                   r(3, "l", "b,a,", 11, 12)},
                  m);
  CHECK(ok.outcome == verdict::ok);
  auto bad = check(
    {w(1, "l", "a", 1, 2), w(2, "l", "b", 3, 4), r(3, "l", "b,a,", 5, 6)}, m);
  CHECK(bad.outcome == verdict::illegal);
}

TEST_CASE("the search budget yields `unknown`, not a false verdict") {
  std::vector<operation> h;
  for (std::uint64_t i = 0; i < 20; ++i)
    h.push_back(w(i, "x", "v" + std::to_string(i), 1, 100));
  h.push_back(r(99, "x", "nobody", 101, 102));
  check_options opts;
  opts.max_states = 1000;
  CHECK(check(h, kv_register_model(), opts).outcome == verdict::unknown);
}

namespace {

/// A history generated from a sequential execution: each operation takes
/// effect at a distinct instant inside a random [invoke, response] window
/// around it; some responses are lost.
std::vector<operation> generated(std::uint64_t seed, std::size_t n) {
  rng g{seed};
  std::vector<operation> h;
  std::map<std::string, std::string> state;
  for (std::size_t i = 0; i < n; ++i) {
    auto at = 1000 + 100 * i;
    auto key = std::string(1, static_cast<char>('a' + g.below(3)));
    operation op;
    op.client = g.below(5);
    op.key = key;
    op.invoke = at - g.below(400);
    op.response = at + g.below(400);
    if (g.chance(400'000)) {
      op.kind = op_kind::write;
      op.value = "v" + std::to_string(i);
      state[key] = op.value;
      if (g.chance(50'000))
        op.response.reset();
    } else {
      op.kind = op_kind::read;
      op.value = state[key];
    }
    h.push_back(op);
  }
  std::reverse(h.begin(), h.end()); // Input order must not matter.
  return h;
}

} // namespace

TEST_CASE("large generated histories pass; one stale read makes them fail") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    auto h = generated(seed, 3000);
    auto res = check(h, kv_register_model());
    CHECK(res.outcome == verdict::ok);
    // Make one late read return the initial value: some write to its key
    // completed long before it was invoked.
    for (auto& op : h)
      if (op.kind == op_kind::read && !op.value.empty() && op.invoke > 200000) {
        op.value = "";
        break;
      }
    CHECK(check(h, kv_register_model()).outcome == verdict::illegal);
  }
}
