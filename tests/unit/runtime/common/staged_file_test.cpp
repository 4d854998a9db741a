// staged_file: an export appears whole or not at all, never replaces a
// file, and two writers cannot share the temporary file.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "runtime/common/files.hpp"
#include "runtime/common/staged_file.hpp"

using namespace pact::files;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/pact-staged-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

} // namespace

TEST_CASE("staged_file: appears under its name only after commit") {
  auto dir = temp_dir();
  auto path = dir + "/out.jsonl";
  auto f = staged_file::create(path);
  REQUIRE(f);
  REQUIRE((*f)->write("one\n"));
  REQUIRE((*f)->write(std::string(3 << 20, 'x'))); // beyond the buffer
  CHECK_FALSE(exists(path));
  CHECK(exists(path + ".tmp"));
  REQUIRE((*f)->commit());
  CHECK_FALSE(exists(path + ".tmp"));
  auto text = read_all(path);
  REQUIRE(text);
  CHECK(text->size() == 4 + (3u << 20));
  CHECK(text->substr(0, 4) == "one\n");
}

TEST_CASE("staged_file: dropped without commit leaves nothing") {
  auto dir = temp_dir();
  auto path = dir + "/out.jsonl";
  {
    auto f = staged_file::create(path);
    REQUIRE(f);
    REQUIRE((*f)->write("partial"));
  }
  CHECK_FALSE(exists(path));
  CHECK_FALSE(exists(path + ".tmp"));
}

TEST_CASE("staged_file: never replaces a file") {
  auto dir = temp_dir();
  auto path = dir + "/out.jsonl";
  REQUIRE(write_atomic(path, "keep"));
  auto f = staged_file::create(path);
  REQUIRE_FALSE(f);
  CHECK(f.err().message
        == path
             + ": exists; an export never replaces a file (remove it or "
               "choose another name)");
  SUBCASE("not even one that appears while writing") {
    auto other = dir + "/late.jsonl";
    auto g = staged_file::create(other);
    REQUIRE(g);
    REQUIRE((*g)->write("new"));
    REQUIRE(write_atomic(other, "first"));
    auto st = (*g)->commit();
    REQUIRE_FALSE(st);
    CHECK(st.err().message
          == other
               + ": appeared while exporting; not replaced (the export "
                 "was discarded)");
    CHECK(*read_all(other) == "first");
    CHECK_FALSE(exists(other + ".tmp"));
  }
  CHECK(*read_all(path) == "keep");
}

TEST_CASE("staged_file: a second writer is refused, naming the tmp file") {
  auto dir = temp_dir();
  auto path = dir + "/out.jsonl";
  auto f = staged_file::create(path);
  REQUIRE(f);
  auto g = staged_file::create(path);
  REQUIRE_FALSE(g);
  CHECK(g.err().message
        == path
             + ".tmp: exists (another export is writing it, or one was "
               "interrupted: remove it)");
}

TEST_CASE("staged_file: an unwritable directory is an error naming it") {
  auto f = staged_file::create("/nonexistent-dir/out.jsonl");
  REQUIRE_FALSE(f);
  CHECK(f.err().message
        == "/nonexistent-dir/out.jsonl.tmp: cannot create: No such file or "
           "directory");
}
