#include <doctest/doctest.h>

#include "runtime/replica/state_machine.hpp"

using pact::replica::digest_machine;

TEST_CASE("the digest chain depends on every command and its index") {
  digest_machine a, b, c;
  a.apply(1, "x");
  a.apply(2, "y");
  b.apply(1, "x");
  b.apply(2, "y");
  c.apply(1, "y");
  c.apply(2, "x");
  CHECK(a.digest() == b.digest());
  CHECK(a.digest() != c.digest());
  CHECK(a.digest().size() == 64);
  CHECK(a.applied() == 2);
  CHECK(a.commands() == 2);
  a.skip(3);
  CHECK(a.applied() == 3);
  CHECK(a.digest() == b.digest());
}

TEST_CASE("snapshot and restore give an identical machine") {
  digest_machine a;
  for (uint64_t i = 1; i <= 10; ++i)
    a.apply(i, "cmd" + std::to_string(i));
  digest_machine b;
  REQUIRE(b.restore(a.snapshot()));
  CHECK(b.digest() == a.digest());
  CHECK(b.applied() == 10);
  CHECK(b.commands() == 10);
  a.apply(11, "z");
  b.apply(11, "z");
  CHECK(b.digest() == a.digest());
  CHECK_FALSE(b.restore("short"));
}
