// The drift core (runtime/node/drift.hpp): declared state from overlay and
// node delta, value comparison per dimension, the magnitude formula of
// DESIGN.md §9 and the journal's view of a drifted item.

#include <cmath>

#include <doctest/doctest.h>

#include "runtime/node/drift.hpp"

using namespace pact;
using namespace pact::node;

namespace {

protocol::DeltaItem item(protocol::DeltaCategory c, const std::string& key,
                         const std::string& value,
                         protocol::DeltaAction a = protocol::DELTA_ACTION_ADD) {
  protocol::DeltaItem i;
  i.set_category(c);
  i.set_action(a);
  i.set_key(key);
  i.set_value(value);
  return i;
}

drift_item drifted(protocol::DeltaCategory c, const std::string& key) {
  return {{c, key}, item_value::of("a"), item_value::of("b"), true, 0};
}

constexpr auto files = protocol::DELTA_CATEGORY_FILES;
constexpr auto kernel = protocol::DELTA_CATEGORY_KERNEL;
constexpr auto mounts = protocol::DELTA_CATEGORY_MOUNTS;
constexpr auto gpu = protocol::DELTA_CATEGORY_GPU;

} // namespace

TEST_CASE("declared state: the node delta overrides and removes overlay "
          "items; file values are their content") {
  protocol::VClusterOverlay overlay;
  *overlay.add_items() = item(kernel, "vm.swappiness", "10");
  *overlay.add_items() = item(kernel, "vm.nr_hugepages", "1024");
  *overlay.add_items() = item(files, "/etc/motd",
                              R"({"content":"hello\n","mode":"0644"})");
  protocol::NodeDelta delta;
  *delta.add_items() = item(kernel, "vm.swappiness", "60",
                            protocol::DELTA_ACTION_MODIFY);
  *delta.add_items() = item(kernel, "vm.nr_hugepages", "",
                            protocol::DELTA_ACTION_REMOVE);
  *delta.add_items() = item(files, "/etc/raw", "not json");
  auto d = declared_state::from(overlay, delta);
  REQUIRE(d.has_value());
  CHECK(d->find({kernel, "vm.swappiness"}) == item_value::of("60"));
  CHECK(d->find({kernel, "vm.nr_hugepages"}) == item_value::absent());
  CHECK(d->find({files, "/etc/motd"}) == item_value::of("hello\n"));
  CHECK(d->find({files, "/etc/raw"}) == item_value::of("not json"));
  CHECK_FALSE(d->find({files, "/etc/other"}).has_value());

  protocol::NodeDelta bad;
  *bad.add_items() = item(protocol::DELTA_CATEGORY_UNSPECIFIED, "k", "v");
  auto e = declared_state::from(overlay, bad);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.err().message == "node delta item 'k' has no category or key");
}

TEST_CASE("same_value per dimension") {
  auto v = item_value::of;
  // sysctl prints tabs between fields of a vector value.
  CHECK(same_value(kernel, v("4096 16384 4194304"), v("4096\t16384\t4194304")));
  CHECK_FALSE(same_value(kernel, v("10"), v("60")));
  CHECK(same_value(files, v("abc"),
                   v("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
                     "10ff61f20015ad")));
  CHECK_FALSE(same_value(files, v("abd"),
                         v("sha256:ba7816bf8f01cfea414140de5dae2223b00361a39617"
                           "7a9cb410ff61f20015ad")));
  CHECK(same_value(files, item_value::absent(), item_value::absent()));
  CHECK_FALSE(same_value(files, item_value::absent(), v("")));
  std::string mounted
    = R"({"options":"rw,noatime,vers=4.2","read_only":false,"source":"s:/x","type":"nfs"})";
  CHECK(same_value(
    mounts,
    v(R"({"source":"s:/x","type":"nfs","read_only":false,"options":"noatime"})"),
    v(mounted)));
  CHECK_FALSE(
    same_value(mounts, v(R"({"source":"s:/x","type":"nfs","options":"sync"})"),
               v(mounted)));
  CHECK_FALSE(
    same_value(mounts, v(R"({"source":"s:/y","type":"nfs"})"), v(mounted)));
  CHECK_FALSE(
    same_value(mounts, v(R"({"source":"s:/x","type":"nfs","read_only":true})"),
               v(mounted)));
}

TEST_CASE("magnitude: sqrt of weighted squared counts, kernel and gpu "
          "weigh 2") {
  CHECK(magnitude({}) == 0.0);
  CHECK(magnitude({drifted(files, "/a")}) == doctest::Approx(1.0));
  CHECK(magnitude({drifted(kernel, "vm.x")})
        == doctest::Approx(std::sqrt(2.0)));
  CHECK(magnitude({drifted(gpu, "0")}) == doctest::Approx(std::sqrt(2.0)));
  // Two files and three sysctls: sqrt(1*2^2 + 2*3^2) = sqrt(22).
  CHECK(
    magnitude({drifted(files, "/a"), drifted(files, "/b"), drifted(kernel, "x"),
               drifted(kernel, "y"), drifted(kernel, "z")})
    == doctest::Approx(std::sqrt(22.0)));
  CHECK(magnitude({drifted(mounts, "/m"), drifted(files, "/a")})
        == doctest::Approx(std::sqrt(2.0)));
}

TEST_CASE("compare and the journal's view of a drifted item") {
  CHECK_FALSE(
    compare({files, "/a"}, item_value::of("x"), item_value::of("x"), false));
  auto added = compare({files, "/new"}, item_value::absent(),
                       item_value::of("x"), false);
  REQUIRE(added);
  auto a = to_delta_item(*added);
  CHECK(a.action() == protocol::DELTA_ACTION_ADD);
  CHECK(a.value() == "x");
  CHECK(a.previous().empty());
  auto removed = compare({files, "/gone"}, item_value::of("old"),
                         item_value::absent(), true);
  REQUIRE(removed);
  auto r = to_delta_item(*removed);
  CHECK(r.action() == protocol::DELTA_ACTION_REMOVE);
  CHECK(r.value().empty());
  CHECK(r.previous() == "old");
  auto m
    = to_delta_item(*compare({kernel, "vm.swappiness"}, item_value::of("10"),
                             item_value::of("60"), true));
  CHECK(m.action() == protocol::DELTA_ACTION_MODIFY);
  CHECK(m.category() == kernel);
  CHECK(m.key() == "vm.swappiness");
  CHECK(m.value() == "60");
  CHECK(m.previous() == "10");
}
