// pact diag's cores (runtime/node/diag_filter.hpp, diag_sources.hpp): the
// request checks (line count, source, service names that could name a path,
// patterns), RE2 filtering in linear time on hostile patterns, the newest-N
// tail and its truncation mark, kmsg records and log files under a root.

#include <unistd.h>

#include <chrono>
#include <string>

#include <doctest/doctest.h>

#include "runtime/node/diag_filter.hpp"
#include "runtime/node/diag_sources.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

namespace pact::node {

namespace {

line_filter grep(const std::string& p) {
  auto f = line_filter::compile(p);
  REQUIRE_MESSAGE(f.has_value(), p);
  return *f;
}

std::string numbered(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i)
    s += "line " + std::to_string(i) + "\n";
  return s;
}

} // namespace

TEST_CASE("diag: request checks") {
  auto q = check_diag_query(0, "", "", "");
  REQUIRE(q.has_value());
  CHECK(q->lines == diag_default_lines);
  CHECK(q->source == diag_source::all);
  CHECK(check_diag_query(10'000, "dmesg", "", "").has_value());
  auto over = check_diag_query(10'001, "", "", "");
  REQUIRE_FALSE(over.has_value());
  CHECK(over.err().message == "--lines 10001 is outside 1..10000");
  CHECK(over.err().code == exit_code::general_error);
  auto bad_source = check_diag_query(5, "kernel", "", "");
  REQUIRE_FALSE(bad_source.has_value());
  CHECK(bad_source.err().message.find("'kernel' is not one of dmesg")
        != std::string::npos);
  CHECK(check_diag_query(5, "service", "slurmd", "").has_value());
  CHECK(check_diag_query(5, "all", "slurmd", "").has_value());
  auto misplaced = check_diag_query(5, "dmesg", "slurmd", "");
  REQUIRE_FALSE(misplaced.has_value());
  CHECK(misplaced.err().message.find("--service is for") != std::string::npos);
}

TEST_CASE("diag: service names that could name a path are refused") {
  for (const char* bad : {"../etc/shadow", "a/b", "/etc/passwd", "..", ".x",
                          "a..b", "-rf", "", "x y", "a\nb"}) {
    CAPTURE(bad);
    CHECK_FALSE(check_service_name(bad).ok());
    auto q = check_diag_query(5, "service", bad, "");
    if (std::string(bad).empty())
      CHECK(q.has_value()); // no name = every service
    else
      CHECK_FALSE(q.has_value());
  }
  for (const char* ok :
       {"slurmd", "nvidia-persistenced", "getty@tty1", "a.b", "x:y+z_1"})
    CHECK(check_service_name(ok).ok());
  auto e = check_service_name("../x");
  CHECK(e.err().message.find("is not a service name") != std::string::npos);
}

TEST_CASE("diag: invalid patterns are refused in pact's words") {
  struct bad {
    const char* pattern;
    const char* says;
  };
  for (auto b :
       {bad{"(a", "'(' without its ')'"}, bad{"a)", "')' without its '('"},
        bad{"[a", "'[' without its ']'"}, bad{"*a", "nothing to repeat"},
        bad{"(?=a)", "lookaround"}, bad{"a\\", "'\\' at its end"},
        bad{"a{2000}", "over 1000"},
        bad{"((a{100}){100}){100}", "over 1000"}}) {
    CAPTURE(std::string(b.pattern));
    auto f = line_filter::compile(b.pattern);
    REQUIRE_FALSE(f.has_value());
    INFO(f.err().message);
    CHECK(f.err().message.rfind("--grep: '", 0) == 0);
    CHECK(f.err().message.find("is not an RE2 pattern") != std::string::npos);
    CHECK(f.err().message.find(b.says) != std::string::npos);
    CHECK_FALSE(check_diag_query(5, "", "", b.pattern).has_value());
  }
  auto longest
    = line_filter::compile(std::string(diag_max_pattern_bytes + 1, 'a'));
  REQUIRE_FALSE(longest.has_value());
  CHECK(longest.err().message.find("at most 1024") != std::string::npos);
}

TEST_CASE("diag: a pattern matches anywhere in a line; empty matches all") {
  line_filter all;
  CHECK(all.matches(""));
  CHECK(all.matches("anything"));
  auto f = grep("(?i)ecc error");
  CHECK(f.matches("GPU 0: ECC Error count 3"));
  CHECK_FALSE(f.matches("all fine"));
  auto anchored = grep("^Xid");
  CHECK(anchored.matches("Xid 79: GPU has fallen off the bus"));
  CHECK_FALSE(anchored.matches("NVRM: Xid 79"));
}

TEST_CASE("diag: catastrophic-backtracking patterns run in linear time") {
  // A backtracking engine takes 2^n steps for these on n characters; RE2
  // takes a few milliseconds for a megabyte.
  std::string line(1 << 20, 'a');
  line += '!';
  for (const char* hostile :
       {"(a+)+$", "^(a|a)*$", "(a*)*b", "(x+x+)+y", "^(a|aa)+$", "(.*a){20}"}) {
    CAPTURE(std::string(hostile));
    auto f = grep(hostile);
    auto t0 = std::chrono::steady_clock::now();
    bool m = f.matches(line);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
    CHECK(ms < 2000);
    if (std::string(hostile) == "(.*a){20}")
      CHECK(m);
    else
      CHECK_FALSE(m);
  }
}

TEST_CASE("diag: the newest N matching lines, truncated when cut") {
  std::vector<std::string> lines;
  for (int i = 1; i <= 10; ++i)
    lines.push_back("line " + std::to_string(i));
  auto [three, cut] = filter_tail(lines, line_filter(), 3);
  CHECK(three == std::vector<std::string>{"line 8", "line 9", "line 10"});
  CHECK(cut);
  auto [all, not_cut] = filter_tail(lines, line_filter(), 10);
  CHECK(all.size() == 10);
  CHECK_FALSE(not_cut);
  auto [odd, odd_cut] = filter_tail(lines, grep("[13579]$"), 5);
  CHECK(odd
        == std::vector<std::string>{"line 1", "line 3", "line 5", "line 7",
                                    "line 9"});
  CHECK_FALSE(odd_cut);
  line_tail t(2);
  t.push(std::string(diag_max_line_bytes + 100, 'x'));
  CHECK(t.take().front().size() == diag_max_line_bytes);
}

TEST_CASE("diag: kmsg records are shown as dmesg shows them") {
  CHECK(kmsg_line("6,1234,12345678,-;usb 1-1: new device")
        == std::optional<std::string>("[   12.345678] usb 1-1: new device"));
  CHECK(kmsg_line("3,7,0,c;NVRM: Xid 79")
        == std::optional<std::string>("[    0.000000] NVRM: Xid 79"));
  CHECK_FALSE(kmsg_line(" SUBSYSTEM=usb").has_value());
  CHECK(kmsg_line("plain text; no record") == "plain text; no record");
  CHECK(kmsg_line("6,1,x,-;odd") == "6,1,x,-;odd");
}

TEST_CASE("diag: the ring buffer under a root, filtered and cut") {
  test::temp_root r;
  r.write("/dev/kmsg", "6,1,1000000,-;boot\n"
                       " SUBSYSTEM=pci\n"
                       "3,2,2000000,-;NVRM: Xid 79 on GPU 0\n"
                       "4,3,3000000,-;EXT4-fs warning\n"
                       "3,4,4500000,-;NVRM: Xid 48 on GPU 1\n");
  auto all = read_kmsg(r.path(), "/dev/kmsg", line_filter(), 10, 1 << 20);
  CHECK(all.source == "dmesg");
  CHECK(all.note.empty());
  CHECK(all.lines.size() == 4);
  CHECK_FALSE(all.truncated);
  auto xid = read_kmsg(r.path(), "/dev/kmsg", grep("Xid"), 1, 1 << 20);
  CHECK(xid.lines
        == std::vector<std::string>{"[    4.500000] NVRM: Xid 48 "
                                    "on GPU 1"});
  CHECK(xid.truncated);
  auto missing = read_kmsg(r.path(), "/dev/nothing", line_filter(), 10, 1024);
  CHECK(missing.lines.empty());
  CHECK(missing.note == "not readable: /dev/nothing: no such file");
  CHECK(missing.missing);
  CHECK_FALSE(all.missing);
}

TEST_CASE("diag: a log file's tail, its scan bounded") {
  test::temp_root r;
  r.write("/var/log/syslog", numbered(1, 1000));
  auto b = read_log_tail("syslog", r.path(), "/var/log/syslog", line_filter(),
                         5, 1 << 20);
  CHECK(b.lines
        == std::vector<std::string>{"line 996", "line 997", "line 998",
                                    "line 999", "line 1000"});
  CHECK(b.truncated);
  auto few = read_log_tail("syslog", r.path(), "/var/log/syslog",
                           grep("^line 99[0-9]$"), 50, 1 << 20);
  CHECK(few.lines.size() == 10);
  CHECK_FALSE(few.truncated);
  // Only the last 30 bytes are scanned: "line 998\nline 999\nline 1000\n"
  // is 28 bytes, so the cut line before them is dropped, not shown in part.
  auto scan = read_log_tail("syslog", r.path(), "/var/log/syslog",
                            line_filter(), 50, 30);
  CHECK(scan.lines
        == std::vector<std::string>{"line 998", "line 999", "line 1000"});
  CHECK(scan.truncated);
  r.write("/var/log/raw", std::string("ok\n\xff\xfe bad\nlast without "
                                      "newline"));
  auto raw = read_log_tail("syslog", r.path(), "/var/log/raw", line_filter(),
                           10, 1 << 20);
  CHECK(raw.lines
        == std::vector<std::string>{"ok", "\\xff\\xfe bad",
                                    "last without newline"});
  r.mkdir("/var/log/dir");
  auto dir = read_log_tail("syslog", r.path(), "/var/log/dir", line_filter(),
                           10, 1024);
  CHECK(dir.note == "not readable: /var/log/dir: not a regular file");
}

TEST_CASE("diag: one answer's size is bounded, the largest block cut") {
  std::vector<diag_block> blocks(2);
  for (int i = 0; i < 100; ++i)
    blocks[0].lines.push_back(std::string(99, 'a')); // 100 bytes each
  blocks[1].lines = {"small"};
  fit_blocks(blocks, 5000);
  size_t total = 0;
  for (const auto& b : blocks)
    for (const auto& l : b.lines)
      total += l.size() + 1;
  CHECK(total <= 5000);
  CHECK(blocks[0].truncated);
  CHECK(blocks[0].lines.size() >= 40);
  CHECK(blocks[1].lines == std::vector<std::string>{"small"});
  CHECK_FALSE(blocks[1].truncated);
  fit_blocks(blocks, 1 << 20); // under the bound: untouched
  CHECK(blocks[1].lines.size() == 1);
}

TEST_CASE("diag: a symlink cannot lead a source out of the root") {
  test::temp_root r;
  test::temp_root outside;
  outside.write("/secret", "top secret\n");
  r.mkdir("/var/log");
  std::string target = outside.host("/secret");
  // An absolute link target starts again at the root (chroot-like).
  REQUIRE(::symlink(target.c_str(), r.host("/var/log/syslog").c_str()) == 0);
  auto b = read_log_tail("syslog", r.path(), "/var/log/syslog", line_filter(),
                         10, 1 << 20);
  CHECK(b.lines.empty());
  CHECK_FALSE(b.note.empty());
}

} // namespace pact::node
