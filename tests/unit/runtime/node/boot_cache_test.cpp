// boot_cache: the agent's LMDB cache of its last applied boot
// configuration round-trips, survives reopening and reports damage.

#include "runtime/node/boot_cache.hpp"

#include <doctest/doctest.h>

#include <lmdb.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace pact::node;
using namespace pact::protocol;

namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/pact-boot-cache-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::string cmd = "rm -rf '" + path + "'";
    (void)std::system(cmd.c_str());
  }
};

cached_boot sample() {
  cached_boot b;
  b.overlay.set_vcluster("ml");
  b.overlay.set_version(12);
  b.overlay.set_checksum("abc");
  auto* i = b.overlay.add_items();
  i->set_category(DELTA_CATEGORY_KERNEL);
  i->set_action(DELTA_ACTION_ADD);
  i->set_key("vm.swappiness");
  i->set_value("10");
  b.node_delta.set_node("n1");
  b.node_delta.set_delta_sequence(7);
  b.applied_unix_ms = 1'800'000'000'123;
  return b;
}

} // namespace

TEST_CASE("an empty cache loads as nothing; a stored set round-trips") {
  temp_dir t;
  auto c = boot_cache::open(t.path + "/cache");
  REQUIRE(c);
  auto empty = (*c)->load();
  REQUIRE(empty);
  CHECK_FALSE(empty->has_value());
  REQUIRE((*c)->store(sample()));
  auto got = (*c)->load();
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->overlay.SerializeAsString()
        == sample().overlay.SerializeAsString());
  CHECK((*got)->node_delta.delta_sequence() == 7);
  CHECK((*got)->applied_unix_ms == 1'800'000'000'123);
}

TEST_CASE("the cache survives reopening, and a newer set replaces the old") {
  temp_dir t;
  {
    auto c = boot_cache::open(t.path + "/cache");
    REQUIRE(c);
    REQUIRE((*c)->store(sample()));
    auto newer = sample();
    newer.overlay.set_version(13);
    REQUIRE((*c)->store(newer));
  }
  auto c = boot_cache::open(t.path + "/cache");
  REQUIRE(c);
  auto got = (*c)->load();
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->overlay.version() == 13);
}

TEST_CASE("a damaged cache is an error, not a boot") {
  temp_dir t;
  auto c = boot_cache::open(t.path + "/cache");
  REQUIRE(c);
  REQUIRE((*c)->store(sample()));
  {
    // Overwrite the overlay with bytes that are no VClusterOverlay.
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == 0);
    mdb_env_set_mapsize(env, size_t{256} << 20);
    REQUIRE(mdb_env_open(env, (t.path + "/cache").c_str(), 0, 0600) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi = 0;
    REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
    std::string k = "overlay", v = "\xff\xff\xff";
    MDB_val key{k.size(), k.data()}, val{v.size(), v.data()};
    REQUIRE(mdb_put(txn, dbi, &key, &val, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  auto got = (*c)->load();
  REQUIRE_FALSE(got);
  CHECK(got.err().message.find("boot cache is damaged") != std::string::npos);
}

TEST_CASE("a cache folder that cannot be created is an error naming it") {
  temp_dir t;
  // A file where the state dir should be: refused even for root.
  auto file = t.path + "/state";
  FILE* f = std::fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fclose(f);
  auto c = boot_cache::open(file + "/cache");
  REQUIRE_FALSE(c);
  CHECK(c.err().message.find(file) != std::string::npos);
}

TEST_CASE("the outbox keeps node commands in id order across reopening, "
          "beside the cached boot") {
  temp_dir d;
  {
    auto c = boot_cache::open(d.path);
    REQUIRE(c);
    REQUIRE((*c)->store(sample()));
    // Ids past a power of ten still sort as numbers.
    REQUIRE((*c)->outbox_put(10, "ten"));
    REQUIRE((*c)->outbox_put(9, "nine"));
    REQUIRE((*c)->outbox_put(11, "eleven"));
    REQUIRE((*c)->outbox_erase(10));
    REQUIRE((*c)->outbox_erase(12)); // not kept: nothing to do
  }
  auto c = boot_cache::open(d.path);
  REQUIRE(c);
  auto kept = (*c)->outbox_load();
  REQUIRE(kept);
  REQUIRE(kept->size() == 2);
  CHECK((*kept)[0] == std::pair<uint64_t, std::string>{9, "nine"});
  CHECK((*kept)[1] == std::pair<uint64_t, std::string>{11, "eleven"});
  // The boot configuration is untouched by the outbox.
  auto loaded = (*c)->load();
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->overlay.version() == 12);
}
