// The file baseline (runtime/node/file_baseline.hpp): content up to a cap,
// else a hash; unified diffs of small text files; what can be restored.

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "runtime/node/file_baseline.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact::node;
using pact::test::temp_root;

TEST_CASE("read_file_value: content, hash over the cap, symlinks, others") {
  temp_root r;
  r.write("/etc/small", "abc");
  auto small = read_file_value(r.host("/etc/small"), 3);
  REQUIRE(small.has_value());
  CHECK(*small == item_value::of("abc"));
  auto big = read_file_value(r.host("/etc/small"), 2);
  REQUIRE(big.has_value());
  CHECK(big->value
        == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2"
           "0015ad");
  auto missing = read_file_value(r.host("/etc/none"), 10);
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->present);
  REQUIRE(::symlink("/etc/small", r.host("/etc/link").c_str()) == 0);
  CHECK(*read_file_value(r.host("/etc/link"), 10)
        == item_value::of("symlink:/etc/small"));
  // A FIFO is not an item, and reading it must not block.
  REQUIRE(::mkfifo(r.host("/etc/fifo").c_str(), 0600) == 0);
  CHECK_FALSE(read_file_value(r.host("/etc/fifo"), 10)->present);
  CHECK_FALSE(read_file_value(r.host("/etc"), 10)->present);
  if (::geteuid() != 0) {
    r.write("/etc/secret", "x");
    ::chmod(r.host("/etc/secret").c_str(), 0);
    auto denied = read_file_value(r.host("/etc/secret"), 10);
    REQUIRE_FALSE(denied.has_value());
    CHECK(denied.err().message.find("/etc/secret") != std::string::npos);
  }
}

TEST_CASE("unified_diff of small text files") {
  auto v = item_value::of;
  auto d = unified_diff(v("a\nb\nc\n"), v("a\nB\nc\n"), "declared/etc/x",
                        "actual/etc/x", 1024);
  CHECK(d
        == "--- declared/etc/x\n+++ actual/etc/x\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n"
           " c\n");
  // A new file diffs against nothing.
  auto added = unified_diff(item_value::absent(), v("x\n"), "a", "b", 1024);
  CHECK(added.find("+x\n") != std::string::npos);
  CHECK(unified_diff(v("same"), v("same"), "a", "b", 1024).empty());
  CHECK(unified_diff(v("a"), v("bb"), "a", "b", 1).empty());
  CHECK(unified_diff(v(std::string("a\0b", 3)), v("ab"), "a", "b", 99).empty());
  CHECK(unified_diff(v("sha256:00"), v("ab"), "a", "b", 99).empty());
}

TEST_CASE("a file name that is not plain text is quoted in the diff header") {
  // A newline in the name used to end the header line early, so the rest
  // of the name read as a diff line of its own (tester, issue 11).
  auto v = item_value::of;
  auto d = unified_diff(v("a\n"), v("b\n"), "declared/etc/x\n+++ evil",
                        "actual/etc/x\n+++ evil", 1024);
  CHECK(d.rfind("--- \"declared/etc/x\\n+++ evil\"\n+++ \"actual/etc/x\\n"
                "+++ evil\"\n@@ ",
                0)
        == 0);
  auto odd = unified_diff(v("a\n"), v("b\n"), "d/t\tab\x01\"q\\", "a/x", 1024);
  CHECK(odd.rfind("--- \"d/t\\tab\\001\\\"q\\\\\"\n+++ a/x\n", 0) == 0);
}

TEST_CASE("the baseline keeps content within its budget, else a hash") {
  file_baseline b({4, 6});
  b.record("/a", item_value::of("1234"));
  b.record("/b", item_value::of("12345")); // over the per-file cap
  CHECK(b.restorable("/a"));
  CHECK_FALSE(b.restorable("/b"));
  CHECK(b.find("/b")->value.rfind("sha256:", 0) == 0);
  b.record("/c", item_value::of("12"));
  CHECK(b.content_bytes() == 6);
  CHECK(b.content_allowance() == 0);
  b.record("/d", item_value::of("1")); // the total budget is spent
  CHECK_FALSE(b.restorable("/d"));
  // Replacing or forgetting a file gives its bytes back.
  b.record("/a", item_value::absent());
  CHECK_FALSE(b.find("/a").has_value());
  CHECK(b.content_bytes() == 2);
  CHECK_FALSE(b.restorable("/never"));
  b.record("/dir/x", item_value::of("x"));
  b.record("/dir/y/z", item_value::of("z"));
  b.record("/dirx", item_value::of("q"));
  CHECK(b.paths_under("/dir")
        == std::vector<std::string>{"/dir/x", "/dir/y/z"});
}

TEST_CASE("holds compares by digest: content, hash and symlink values") {
  file_baseline b({8, 64});
  b.record("/small", item_value::of("abc"));
  b.record("/big", item_value::of("0123456789")); // over the cap: a hash
  b.record("/link", item_value::of("symlink:/etc/x"));
  CHECK(b.holds("/small", item_value::of("abc")));
  CHECK_FALSE(b.holds("/small", item_value::of("abd")));
  CHECK_FALSE(b.holds("/small", item_value::absent()));
  // A file kept as content and the same bytes read as a hash agree.
  auto hash_of_abc = b.find("/big")->value; // shape "sha256:HEX"
  CHECK(hash_of_abc.rfind("sha256:", 0) == 0);
  CHECK(b.holds("/big", item_value::of("0123456789")));
  CHECK(b.holds("/big", *b.find("/big")));
  CHECK_FALSE(b.holds("/big", item_value::of("sha256:zz")));
  CHECK(b.holds("/link", item_value::of("symlink:/etc/x")));
  CHECK_FALSE(b.holds("/link", item_value::of("symlink:/etc/y")));
  CHECK_FALSE(b.holds("/never", item_value::of("abc")));
}

namespace {

/// Records `rounds` versions of every path and checks the last one of
/// each reads back, whatever the store did in between.
void churn(file_baseline& b, const std::vector<std::string>& paths, int rounds,
           size_t bytes) {
  for (int r = 0; r < rounds; ++r)
    for (const auto& p : paths)
      b.record(p, item_value::of(std::string(bytes, char('a' + r % 26)) + p));
  for (const auto& p : paths) {
    auto v = b.find(p);
    REQUIRE(v.has_value());
    CHECK(v->value == std::string(bytes, char('a' + (rounds - 1) % 26)) + p);
    CHECK(b.restorable(p));
  }
}

} // namespace

TEST_CASE("the file store keeps contents out of memory and compacts") {
  temp_root t;
  auto path = t.path() + "/baseline.contents";
  auto store = file_content_store(path);
  REQUIRE(store.has_value());
  std::shared_ptr<content_store> shared = std::move(*store);
  file_baseline b({16 * 1024, 8 << 20}, shared);
  std::vector<std::string> paths;
  for (int i = 0; i < 50; ++i)
    paths.push_back("/etc/f" + std::to_string(i));
  // 50 files of 4 KiB rewritten 20 times: 4 MB written, 200 KB live. The
  // store is rewritten once dead bytes pass 1 MiB and the live ones.
  churn(b, paths, 20, 4096);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(static_cast<size_t>(st.st_size) < 3 * (1 << 20));
  CHECK(b.content_bytes() == 50 * 4096 + 10 * 7 + 40 * 8); // paths appended
  CHECK(shared->dead_bytes() < (uint64_t{1} << 20) + 4096 * 50);
  // Forgetting files releases their bytes.
  for (const auto& p : paths)
    b.record(p, item_value::absent());
  CHECK(b.content_bytes() == 0);
  // Opening the store again starts it empty (the baseline is per run).
  auto again = file_content_store(path);
  REQUIRE(again.has_value());
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == 0);
}

TEST_CASE("the memory store compacts the same way") {
  auto shared = std::shared_ptr<content_store>(memory_content_store());
  file_baseline b({16 * 1024, 8 << 20}, shared);
  churn(b, {"/a", "/b", "/c"}, 400, 2048);
  CHECK(shared->dead_bytes() < (uint64_t{1} << 20) + 3 * 2048);
}

TEST_CASE("a store that cannot be created is named") {
  auto store = file_content_store("/nonexistent-dir/x/baseline.contents");
  REQUIRE_FALSE(store.has_value());
  CHECK(store.err().message.find("/nonexistent-dir/x/baseline.contents")
        != std::string::npos);
}
