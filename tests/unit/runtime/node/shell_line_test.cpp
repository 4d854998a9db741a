// The `pact shell` line grammar (runtime/node/shell_line.hpp): what an
// operator may write, and every way to reach a general-purpose shell's
// features refused with a message naming it.

#include <doctest/doctest.h>

#include "runtime/node/shell_line.hpp"

namespace pact::node {

namespace {

std::vector<std::vector<std::string>> ok(std::string_view line) {
  auto r = parse_shell_line(line);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
  return r->commands;
}

std::string refused(std::string_view line) {
  auto r = parse_shell_line(line);
  REQUIRE_MESSAGE(!r.has_value(), "accepted: ", std::string(line));
  return r.err().message;
}

} // namespace

TEST_CASE("words, quotes and pipes") {
  using cmds = std::vector<std::vector<std::string>>;
  CHECK(ok("nvidia-smi -q -d ECC") == cmds{{"nvidia-smi", "-q", "-d", "ECC"}});
  CHECK(ok("  dmesg   |  grep -i error ")
        == cmds{{"dmesg"}, {"grep", "-i", "error"}});
  CHECK(ok("dmesg|grep x|tail -n 5")
        == cmds{{"dmesg"}, {"grep", "x"}, {"tail", "-n", "5"}});
  CHECK(ok("grep 'a b;c|$(id)' f") == cmds{{"grep", "a b;c|$(id)", "f"}});
  CHECK(ok("echo \"say \\\"hi\\\" \\$5\"") == cmds{{"echo", "say \"hi\" $5"}});
  CHECK(ok("echo a\\ b \\;") == cmds{{"echo", "a b", ";"}});
  CHECK(ok("echo ''") == cmds{{"echo", ""}});
  CHECK(ok("echo x'y'\"z\"") == cmds{{"echo", "xyz"}});
  CHECK(ok("grep 'a*b' x") == cmds{{"grep", "a*b", "x"}});
  CHECK(ok("echo a=b") == cmds{{"echo", "a=b"}});
  // Not at the start of a word, ~ and # are plain.
  CHECK(ok("echo a~ b#") == cmds{{"echo", "a~", "b#"}});
  CHECK(ok("") == cmds{});
  CHECK(ok("   \t ") == cmds{});
  CHECK(ok("echo \xc3\xa9t\xc3\xa9") == cmds{{"echo", "\xc3\xa9t\xc3\xa9"}});
}

TEST_CASE("separators, substitutions and redirections are refused") {
  CHECK(refused("id; rm -rf /").find("';' is not allowed")
        != std::string::npos);
  CHECK(refused("id && reboot").find("'&'") != std::string::npos);
  CHECK(refused("id || reboot").find("'||'") != std::string::npos);
  CHECK(refused("sleep 5 &").find("'&'") != std::string::npos);
  CHECK(refused("echo $(id)").find("'$'") != std::string::npos);
  CHECK(refused("echo `id`").find("backquotes") != std::string::npos);
  CHECK(refused("echo \"$(id)\"").find("inside double quotes")
        != std::string::npos);
  CHECK(refused("echo \"`id`\"").find("inside double quotes")
        != std::string::npos);
  CHECK(refused("echo $HOME").find("'$'") != std::string::npos);
  CHECK(refused("echo x > /etc/passwd").find("redirections")
        != std::string::npos);
  CHECK(refused("cat < /etc/shadow").find("redirections") != std::string::npos);
  CHECK(refused("echo x>>f").find("redirections") != std::string::npos);
  CHECK(refused("(id)").find("subshells") != std::string::npos);
  CHECK(refused("{ id; }").find("subshells") != std::string::npos);
  CHECK(refused("ls /var/log/*.log").find("globs") != std::string::npos);
  CHECK(refused("ls ~/x").find("'~'") != std::string::npos);
  CHECK(refused("# comment").find("'#'") != std::string::npos);
}

TEST_CASE("environment and PATH changes are refused") {
  CHECK(refused("PATH=/tmp ls").find("environment assignments")
        != std::string::npos);
  CHECK(refused("LD_PRELOAD=/tmp/x.so id").find("environment assignments")
        != std::string::npos);
  CHECK(refused("_X=1 id").find("environment") != std::string::npos);
  // Quoting the name makes it a command name, which the whitelist judges.
  CHECK(ok("'PATH=/tmp' ls").front().front() == "PATH=/tmp");
}

TEST_CASE("control bytes, unterminated quotes, empty commands, size") {
  CHECK(refused("id\nreboot").find("control characters") != std::string::npos);
  CHECK(refused("id\rreboot").find("control characters") != std::string::npos);
  CHECK(refused(std::string("id\0x", 4)).find("control") != std::string::npos);
  CHECK(refused("echo \x1b[2J").find("control") != std::string::npos);
  CHECK(refused("echo 'abc").find("unterminated single quote")
        != std::string::npos);
  CHECK(refused("echo \"abc").find("unterminated double quote")
        != std::string::npos);
  CHECK(refused("echo abc\\").find("backslash at the end")
        != std::string::npos);
  CHECK(refused("| grep x").find("on its left") != std::string::npos);
  CHECK(refused("dmesg |").find("on its right") != std::string::npos);
  CHECK(refused("dmesg | | grep").find("on its left") != std::string::npos);
  CHECK(refused("a|b|c|d|e|f|g|h|i").find("more than 8") != std::string::npos);
  CHECK(ok("a|b|c|d|e|f|g|h").size() == 8);
  CHECK(refused(std::string(max_shell_line + 1, 'a')).find("longer than")
        != std::string::npos);
  // Messages say where.
  CHECK(refused("id ; x").rfind("column 4: ", 0) == 0);
}

} // namespace pact::node
