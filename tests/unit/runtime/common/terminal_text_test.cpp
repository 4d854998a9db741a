// terminal_safe: what stored and remote text looks like once a terminal
// may see it (docs/cli.md "Output").

#include <doctest/doctest.h>

#include "runtime/common/terminal_text.hpp"

using pact::line_mode;
using pact::terminal_safe;
using pact::terminal_safe_prefix;

TEST_CASE("printable ASCII and well-formed UTF-8 pass unchanged") {
  CHECK(terminal_safe("kernel vm.swappiness = 10")
        == "kernel vm.swappiness = 10");
  CHECK(terminal_safe("C:\\path \\x1b") == "C:\\path \\x1b");
  CHECK(terminal_safe("grüße – 日本 🚀") == "grüße – 日本 🚀");
  CHECK(terminal_safe("") == "");
}

TEST_CASE("every C0 control and DEL becomes a visible escape") {
  CHECK(terminal_safe("\x1b[2K\r\x1b[32mall clear")
        == "\\x1b[2K\\r\\x1b[32mall clear");
  CHECK(terminal_safe(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(terminal_safe("\x07\x08\x0b\x0c\x7f") == "\\x07\\x08\\x0b\\x0c\\x7f");
  for (int c = 0; c < 0x20; ++c) {
    auto out = terminal_safe(std::string(1, static_cast<char>(c)));
    CHECK(out.size() >= 2);
    CHECK(out[0] == '\\');
  }
}

TEST_CASE("newline and tab: escaped inside a field, kept in whole lines") {
  CHECK(terminal_safe("fix\nSEQ 99 fake row\tx")
        == "fix\\nSEQ 99 fake row\\tx");
  CHECK(terminal_safe("one\ntwo\tx\r\n", line_mode::multi)
        == "one\ntwo\tx\\r\n");
  CHECK(terminal_safe("\x1b]0;title\x07\n", line_mode::multi)
        == "\\x1b]0;title\\x07\n");
}

TEST_CASE("C1 controls encoded in UTF-8 become \\u escapes") {
  // U+009B is the one-byte CSI of 8-bit terminals; U+0085 is NEL.
  CHECK(terminal_safe("a\xc2\x9b"
                      "2Kb")
        == "a\\u009b2Kb");
  CHECK(terminal_safe("\xc2\x80\xc2\x85\xc2\x9f") == "\\u0080\\u0085\\u009f");
  // U+00A0 (no-break space) is the first code point past C1: kept.
  CHECK(terminal_safe("\xc2\xa0") == "\xc2\xa0");
}

TEST_CASE("bidi overrides and isolates are escaped (Trojan Source)") {
  CHECK(terminal_safe("admin\xe2\x80\xae"
                      "nimda")
        == "admin\\u202enimda");
  CHECK(terminal_safe("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9")
        == "\\u202a\\u2066\\u2069");
  // U+2029 and U+2070 neighbour the ranges and are ordinary.
  CHECK(terminal_safe("\xe2\x80\xa9\xe2\x81\xb0")
        == "\xe2\x80\xa9\xe2\x81\xb0");
}

TEST_CASE("bytes that are not well-formed UTF-8 become \\x escapes") {
  CHECK(terminal_safe("a\xff"
                      "b")
        == "a\\xffb");
  // A raw 8-bit CSI (0x9b) is not UTF-8 at all.
  CHECK(terminal_safe("\x9b"
                      "2K")
        == "\\x9b2K");
  // Overlong ESC (C0 9B) and overlong '/' (E0 80 AF).
  CHECK(terminal_safe("\xc0\x9b") == "\\xc0\\x9b");
  CHECK(terminal_safe("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");
  // A surrogate (ED A0 80) and a code point above U+10FFFF (F4 90 80 80).
  CHECK(terminal_safe("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(terminal_safe("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
  // A sequence cut short, at the end and in the middle.
  CHECK(terminal_safe("ok\xe2\x80") == "ok\\xe2\\x80");
  CHECK(terminal_safe("\xe2\x80x") == "\\xe2\\x80x");
}

TEST_CASE("a stream filter holds back only an unfinished UTF-8 tail") {
  CHECK(terminal_safe_prefix("abc") == 3);
  CHECK(terminal_safe_prefix("ab\xe2\x80") == 2);
  CHECK(terminal_safe_prefix("ab\xf0\x9f\x9a") == 2);
  CHECK(terminal_safe_prefix("ab\xf0\x9f\x9a\x80") == 6);
  CHECK(terminal_safe_prefix("ab\xff") == 3);     // never completes
  CHECK(terminal_safe_prefix("ab\xe2\x41") == 4); // already broken
  CHECK(terminal_safe_prefix("") == 0);
}

TEST_CASE("utf8_safe: well-formed text unchanged, stray bytes as \\xNN") {
  CHECK(pact::utf8_safe("plain /etc/motd") == "plain /etc/motd");
  CHECK(pact::utf8_safe("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(pact::utf8_safe("x\xff") == "x\\xff");
  CHECK(pact::utf8_safe("\xc3") == "\\xc3");                   // cut short
  CHECK(pact::utf8_safe("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // surrogate
  CHECK(pact::utf8_safe("a\x1b[2J") == "a\x1b[2J"); // controls are kept
  CHECK(pact::is_utf8("caf\xc3\xa9"));
  CHECK_FALSE(pact::is_utf8("\xc0\xaf")); // overlong
}
