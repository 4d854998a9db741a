// staged_file: an export appears whole or not at all, never replaces a
// file, and two writers cannot share the temporary file.

#include <doctest/doctest.h>

#include <sys/stat.h>

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

TEST_CASE("make_dirs: creates what is missing, accepts what is there") {
  auto dir = temp_dir();
  REQUIRE(make_dirs(dir + "/a/b/c"));
  struct stat st {};
  REQUIRE(::stat((dir + "/a/b/c").c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  CHECK((st.st_mode & 07777) == 0755);
  CHECK(make_dirs(dir + "/a/b/c"));         // there already
  CHECK(make_dirs(dir + "/a/b/d/e", 0700)); // partly there
  REQUIRE(::stat((dir + "/a/b/d").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  // A file in the way, at the end or further up, is named.
  REQUIRE(write_atomic(dir + "/a/file", "x"));
  auto at_end = make_dirs(dir + "/a/file");
  REQUIRE_FALSE(at_end);
  CHECK(at_end.err().message == dir + "/a/file: exists but is not a directory");
  auto above = make_dirs(dir + "/a/file/x/y");
  REQUIRE_FALSE(above);
  CHECK(above.err().message.find(dir + "/a/file/x") != std::string::npos);
  CHECK(make_dirs(""));
}
