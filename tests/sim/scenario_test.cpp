// Golden transcripts under tests/sim/testdata/*.txt: each command's output
// must match the text below its `----`. To accept new outputs after an
// intended change, run with PACT_SIM_REWRITE=1 and review the diff.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/sim/scenario.hpp"

using namespace pact::sim;

namespace {

const std::filesystem::path testdata = PACT_SIM_TESTDATA;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void run_transcript(const std::string& name) {
  auto path = testdata / name;
  REQUIRE_MESSAGE(std::filesystem::exists(path), path.string());
  auto cases = parse_transcript(read_file(path));
  REQUIRE(!cases.empty());
  scenario sc;
  std::vector<std::string> outputs;
  for (const auto& tc : cases) {
    outputs.push_back(sc.run(tc.command));
    if (outputs.back() != tc.expected)
      FAIL_CHECK(name << ":" << tc.line << ": " << tc.command
                      << "\n--- expected:\n"
                      << tc.expected << "--- got:\n"
                      << outputs.back());
  }
  if (std::getenv("PACT_SIM_REWRITE") != nullptr) {
    std::ofstream out{path};
    out << render_transcript(cases, outputs);
  }
}

const std::set<std::string> transcripts = {
  "figure7.txt",         "figure8.txt",         "stale_leader.txt",
  "prevote_rejoin.txt",  "client_redirect.txt", "checker_selftest.txt",
  "parallel_append.txt",
};

} // namespace

TEST_CASE("transcript parsing and rendering round-trip") {
  std::string text = "# a comment\n\ncluster n=3\n----\n\nstatus id=1\n"
                     "----\n1: follower\n\n";
  auto cases = parse_transcript(text);
  REQUIRE(cases.size() == 2);
  CHECK(cases[0].command == "cluster n=3");
  CHECK(cases[0].expected.empty());
  CHECK(cases[1].expected == "1: follower\n");
  CHECK(cases[1].line == 6);
  CHECK(render_transcript(cases, {"", "1: follower\n"}) == text);
}

TEST_CASE("every transcript in testdata is run") {
  for (const auto& entry : std::filesystem::directory_iterator(testdata))
    if (entry.path().extension() == ".txt")
      CHECK_MESSAGE(transcripts.count(entry.path().filename().string()) == 1,
                    entry.path().filename().string());
}

TEST_CASE("Figure 7: a new leader brings every follower's log in line") {
  run_transcript("figure7.txt");
}

TEST_CASE("Figure 8: no commit of an earlier term's entry by counting "
          "replicas") {
  run_transcript("figure8.txt");
}

TEST_CASE("a stale leader cannot commit; its clients get no acknowledgement") {
  run_transcript("stale_leader.txt");
}

TEST_CASE("thesis §9.6: a partitioned pre-candidate rejoins without "
          "disrupting the leader") {
  run_transcript("prevote_rejoin.txt");
}

TEST_CASE("clients are redirected to the leader and read via ReadIndex") {
  run_transcript("client_redirect.txt");
}

TEST_CASE("the invariant checker catches a planted double vote") {
  run_transcript("checker_selftest.txt");
}

TEST_CASE("thesis §10.2.1: a leader's entries commit on its followers' "
          "durable copies while its own write is pending, and a host that "
          "counts an unsynced copy is caught") {
  run_transcript("parallel_append.txt");
}
