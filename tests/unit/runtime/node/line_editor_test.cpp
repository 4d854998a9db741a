// The `pact shell` prompt's line editing (runtime/node/line_editor.hpp):
// every key an operator uses, with what the terminal is shown.

#include <doctest/doctest.h>

#include "runtime/node/line_editor.hpp"

namespace pact::node {

namespace {

using kind = line_editor::event::kind;

struct typed {
  std::optional<line_editor::event> ev;
  std::string echo;
  std::string rest;
};

typed type(line_editor& ed, std::string_view keys) {
  typed t;
  t.ev = ed.feed(keys, t.echo, t.rest);
  return t;
}

} // namespace

TEST_CASE("a line is echoed and submitted on Enter") {
  line_editor ed(true, 100);
  auto t = type(ed, "uname -a\r");
  REQUIRE(t.ev);
  CHECK(t.ev->what == kind::line);
  CHECK(t.ev->line == "uname -a");
  CHECK(t.echo == "uname -a\r\n");
  CHECK(t.rest.empty());
}

TEST_CASE("CR LF ends one line, and what follows is left for later") {
  line_editor ed(true, 100);
  auto t = type(ed, "id\r\ncat\r");
  REQUIRE(t.ev);
  CHECK(t.ev->line == "id");
  CHECK(t.rest == "cat\r");
  auto u = type(ed, t.rest);
  CHECK(u.ev->line == "cat");
  // CR, then its LF in the next read: still one line end.
  line_editor ed2(false, 100);
  CHECK(type(ed2, "a\r").ev->line == "a");
  CHECK(!type(ed2, "\n").ev);
  CHECK(type(ed2, "b\n").ev->line == "b");
}

TEST_CASE("editing keys") {
  line_editor ed(true, 100);
  auto t = type(ed, "dmesx\x7fg\x08g\r");
  CHECK(t.ev->line == "dmesg");
  CHECK(t.echo == "dmesx\b \bg\b \bg\r\n");
  CHECK(type(ed, "rm -rf /\x15id\r").ev->line == "id");
  CHECK(type(ed, "cat foo bar\x17"
                 "baz\r")
          .ev->line
        == "cat foo baz");
  // Backspace erases a whole UTF-8 character.
  CHECK(type(ed, "caf\xc3\xa9\x7f"
                 "e\r")
          .ev->line
        == "cafe");
  // Arrow keys and other escape sequences are ignored.
  CHECK(type(ed, "l\x1b[A\x1b[1;5Cs\x1bOB\r").ev->line == "ls");
  // Other controls too; a tab is kept.
  CHECK(type(ed, "a\x01\x02\tb\r").ev->line == "a\tb");
  // Backspace on an empty line shows nothing.
  auto empty = type(ed, "\x7f");
  CHECK(!empty.ev);
  CHECK(empty.echo.empty());
}

TEST_CASE("Ctrl-C abandons the line, Ctrl-D ends only an empty one") {
  line_editor ed(true, 100);
  auto t = type(ed, "reboot\x03id\r");
  REQUIRE(t.ev);
  CHECK(t.ev->what == kind::interrupt);
  CHECK(t.echo == "reboot^C\r\n");
  CHECK(t.rest == "id\r");
  CHECK(type(ed, t.rest).ev->line == "id");
  CHECK(!type(ed, "ab\x04").ev);
  CHECK(type(ed, "\x15\x04").ev->what == kind::end_of_input);
}

TEST_CASE("without a terminal nothing is echoed") {
  line_editor ed(false, 100);
  auto t = type(ed, "id\x7f\x7fuptime\n");
  CHECK(t.ev->line == "uptime");
  CHECK(t.echo.empty());
}

TEST_CASE("a line over the cap is kept short and marked") {
  line_editor ed(false, 4);
  auto t = type(ed, "abcdefgh\n");
  CHECK(t.ev->line == "abcd");
  CHECK(t.ev->too_long);
  auto u = type(ed, "ab\n");
  CHECK(u.ev->line == "ab");
  CHECK(!u.ev->too_long);
}

} // namespace pact::node
