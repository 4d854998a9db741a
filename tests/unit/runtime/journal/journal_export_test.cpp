// The journal export format: lines written for a chained run verify, and
// each kind of damage is reported with its own message at the right line.

#include <doctest/doctest.h>

#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/journal/entry_chain.hpp"
#include "runtime/journal/journal_export.hpp"

using namespace pact::journal;
using pact::protocol::ConfigEntry;

namespace {

/// `n` chained entries with sequences first .. first+n-1; the first links
/// to `anchor`.
std::vector<ConfigEntry> chain(uint64_t first, std::size_t n,
                               std::string anchor = zero_hash()) {
  std::vector<ConfigEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    ConfigEntry e;
    e.set_sequence(first + i);
    e.set_timestamp_unix_ms(1000 + static_cast<int64_t>(i));
    e.set_message("entry " + std::to_string(first + i));
    e.set_prev_hash(out.empty() ? anchor : out.back().hash());
    e.set_hash(entry_hash(e));
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> lines_of(const std::vector<ConfigEntry>& run) {
  std::vector<std::string> out{export_header_line(run.front())};
  for (auto& e : run)
    out.push_back(export_entry_line(e));
  out.push_back(export_trailer_line(run.size(), run.back()));
  return out;
}

export_verdict verify(const std::vector<std::string>& lines) {
  std::string text;
  for (auto& l : lines)
    text += l + "\n";
  std::istringstream in(text);
  return verify_export(in);
}

std::string problem(const std::vector<std::string>& lines) {
  auto v = verify(lines);
  REQUIRE(v.problem.has_value());
  return v.problem->message();
}

} // namespace

TEST_CASE("base64 round-trips and rejects non-canonical text") {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc",
                                                std::string("\0\xff\x10", 3)})
    CHECK(base64_decode(base64_encode(s)) == s);
  CHECK(base64_encode("abc") == "YWJj");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK_FALSE(base64_decode("YWI").has_value());   // length
  CHECK_FALSE(base64_decode("YW*=").has_value());  // alphabet
  CHECK_FALSE(base64_decode("YWJ=").has_value());  // unused bits set
  CHECK_FALSE(base64_decode(" YWJj").has_value()); // whitespace
  CHECK_FALSE(base64_decode("Y=Jj").has_value());  // inner padding
  CHECK_FALSE(base64_decode("YWI-").has_value());  // base64url
}

TEST_CASE("an export of a run from sequence 1 verifies") {
  auto run = chain(1, 5);
  auto v = verify(lines_of(run));
  REQUIRE_FALSE(v.problem.has_value());
  CHECK(v.summary.entries == 5);
  CHECK(v.summary.first_sequence == 1);
  CHECK(v.summary.last_sequence == 5);
  CHECK(v.summary.last_hash == run.back().hash());
}

TEST_CASE("an export of a run from the middle verifies against its anchor") {
  auto whole = chain(1, 8);
  std::vector<ConfigEntry> tail(whole.begin() + 3, whole.end());
  auto v = verify(lines_of(tail));
  REQUIRE_FALSE(v.problem.has_value());
  CHECK(v.summary.first_sequence == 4);
  CHECK(v.summary.anchor_hash == whole[2].hash());
}

TEST_CASE("a tampered byte in an entry is caught at its line") {
  auto lines = lines_of(chain(1, 4));
  // Re-encode entry 3 with a changed message but keep the recorded hash.
  auto run = chain(1, 4);
  auto forged = run[2];
  forged.set_message("entry 3, rewritten");
  auto good = lines[3];
  auto bad = export_entry_line(forged);
  auto hash_at = good.find("\"hash\":");
  lines[3] = bad.substr(0, bad.find("\"hash\":")) + good.substr(hash_at);
  CHECK(problem(lines)
        == "line 4 (sequence 3): hash does not match the entry's bytes");
}

TEST_CASE("a tampered entry with a recomputed hash breaks the next link") {
  auto run = chain(1, 4);
  auto lines = lines_of(run);
  run[1].set_message("rewritten");
  lines[2] = export_entry_line(run[1]);
  CHECK(problem(lines)
        == "line 4 (sequence 3): prev_hash does not match the hash of entry 2");
}

TEST_CASE("a removed line is reported as a missing sequence") {
  auto lines = lines_of(chain(1, 5));
  lines.erase(lines.begin() + 3); // entry 3
  CHECK(problem(lines)
        == "line 4 (sequence 3): expected sequence 3, found 4 (a line is "
           "missing or out of order)");
}

TEST_CASE("reordered lines are reported") {
  auto lines = lines_of(chain(1, 5));
  std::swap(lines[2], lines[3]);
  CHECK(problem(lines)
        == "line 3 (sequence 2): expected sequence 2, found 3 (a line is "
           "missing or out of order)");
}

TEST_CASE("a wrong anchor is reported at the first entry") {
  auto whole = chain(1, 6);
  std::vector<ConfigEntry> tail(whole.begin() + 2, whole.end());
  auto lines = lines_of(tail);
  auto other = tail.front();
  other.set_prev_hash(std::string(32, '\x01'));
  lines[0] = export_header_line(other);
  CHECK(problem(lines)
        == "line 2 (sequence 3): prev_hash does not match the header's "
           "anchor_hash");
  // A run from sequence 1 must start at the zero hash.
  auto from_one = lines_of(chain(1, 2));
  auto first = whole.front();
  first.set_prev_hash(std::string(32, '\x01'));
  from_one[0] = export_header_line(first);
  CHECK(problem(from_one)
        == "line 1: header's anchor_hash must be 32 zero bytes for a run "
           "starting at sequence 1");
}

TEST_CASE("a file cut short is reported") {
  auto lines = lines_of(chain(1, 4));
  SUBCASE("at a line boundary: no trailer") {
    lines.pop_back();
    lines.pop_back();
    CHECK(problem(lines)
          == "line 4: the file ends without the trailer line (truncated)");
  }
  SUBCASE("inside a line") {
    lines[4] = lines[4].substr(0, 20);
    lines.pop_back();
    CHECK(problem(lines)
          == "line 5: not a JSON object (damaged or cut "
             "short; the line after sequence 3)");
  }
  SUBCASE("inside the trailer: no sequence it does not hold is named") {
    lines.back() = lines.back().substr(0, 20);
    CHECK(problem(lines)
          == "line 6: not a JSON object (damaged or cut "
             "short; the line after sequence 4)");
  }
  SUBCASE("inside the first entry line") {
    lines[1] = lines[1].substr(0, 20);
    CHECK(problem(lines)
          == "line 2: not a JSON object (damaged or cut "
             "short; the line after the header)");
  }
  SUBCASE("an empty file") {
    CHECK(problem({}) == "the file is empty");
  }
}

TEST_CASE("bad base64 is reported") {
  auto lines = lines_of(chain(1, 3));
  auto at = lines[2].find("\"entry\":\"") + 9;
  lines[2][at] = '*';
  CHECK(problem(lines) == "line 3 (sequence 2): entry is not valid base64");
}

TEST_CASE("bad JSON is reported") {
  auto lines = lines_of(chain(1, 3));
  SUBCASE("in the header") {
    lines[0] = "{\"format\":";
    CHECK(problem(lines) == "line 1: header is not a JSON object");
  }
  SUBCASE("in an entry line") {
    lines[2] = "[1,2]";
    CHECK(problem(lines)
          == "line 3: not a JSON object (damaged or cut "
             "short; the line after sequence 1)");
  }
  SUBCASE("a member of the wrong type") {
    lines[2] = R"({"sequence":"2","entry":"","hash":""})";
    CHECK(problem(lines)
          == "line 3: entry line lacks sequence, entry or "
             "hash (the line after sequence 1)");
  }
}

TEST_CASE("header, trailer and stray text are checked") {
  auto run = chain(1, 3);
  auto lines = lines_of(run);
  SUBCASE("not an export") {
    lines[0] = R"({"format":"other","version":1})";
    CHECK(problem(lines)
          == "line 1: not a journal export (header lacks "
             "\"format\":\"pact-journal-export\")");
  }
  SUBCASE("a future version") {
    lines[0] = R"({"format":"pact-journal-export","version":2})";
    CHECK(problem(lines)
          == "line 1: unsupported export version (this pact reads version "
             "1)");
  }
  SUBCASE("a trailer that miscounts") {
    lines.back() = export_trailer_line(2, run[1]);
    CHECK(problem(lines)
          == "line 5: trailer says 2 entries ending at sequence 2, the file "
             "holds 3 ending at 3");
  }
  SUBCASE("text after the trailer") {
    lines.push_back(export_entry_line(run[0]));
    CHECK(problem(lines) == "line 6: text after the trailer line");
  }
  SUBCASE("an entry whose bytes claim another sequence") {
    auto e = run[1];
    e.set_sequence(7);
    auto j = nlohmann::json::parse(export_entry_line(e));
    j["sequence"] = 2;
    lines[2] = j.dump();
    CHECK(problem(lines)
          == "line 3 (sequence 2): entry bytes carry sequence 7");
  }
}

TEST_CASE("a line longer than the limit is refused without reading it all") {
  std::string text = export_header_line(chain(1, 1).front()) + "\n";
  text += std::string(max_export_line_bytes + 10, 'x');
  std::istringstream in(text);
  auto v = verify_export(in);
  REQUIRE(v.problem.has_value());
  CHECK(v.problem->message() == "line 2: line is longer than 4194304 bytes");
}

namespace {

/// `line` (a JSON object's text) with `member` ("\"k\":v") put first.
std::string with_first(const std::string& line, const std::string& member) {
  return "{" + member + "," + line.substr(1);
}

} // namespace

TEST_CASE("a repeated key is refused on every kind of line") {
  // nlohmann keeps the last of two equal keys, another reader the first:
  // both copies could not have been verified.
  auto run = chain(1, 3);
  auto lines = lines_of(run);
  SUBCASE("entry: a decoy before the real bytes") {
    lines[2] = with_first(lines[2], R"("entry":"AAAA")");
    CHECK(problem(lines)
          == "line 3: repeats the key \"entry\" (the line "
             "after sequence 1)");
  }
  SUBCASE("entry: an equal copy of sequence") {
    lines[1] = with_first(lines[1], R"("sequence":1)");
    CHECK(problem(lines)
          == "line 2: repeats the key \"sequence\" (the line "
             "after the header)");
  }
  SUBCASE("header") {
    lines[0] = with_first(lines[0], R"("first_sequence":2)");
    CHECK(problem(lines)
          == "line 1: header repeats the key "
             "\"first_sequence\"");
  }
  SUBCASE("trailer") {
    lines.back() = with_first(lines.back(), R"("entries":9)");
    CHECK(problem(lines)
          == "line 5: repeats the key \"entries\" (the line "
             "after sequence 3)");
  }
  SUBCASE("inside a nested object") {
    lines[2] = with_first(lines[2], R"("x":{"a":1,"a":2})");
    CHECK(problem(lines)
          == "line 3: repeats the key \"a\" (the line after sequence 1)");
  }
  SUBCASE("the key is quoted safely and cut short") {
    auto key = "\\u001b[2J" + std::string(100, 'k');
    lines[2] = with_first(lines[2], "\"" + key + "\":1,\"" + key + "\":2");
    CHECK(problem(lines)
          == "line 3: repeats the key \"\\x1b[2J" + std::string(60, 'k')
               + "...\" (the line after sequence 1)");
  }
}

TEST_CASE("an unknown member is refused on every kind of line") {
  auto run = chain(1, 3);
  auto lines = lines_of(run);
  SUBCASE("entry") {
    lines[2] = with_first(lines[2], R"("x":1)");
    CHECK(problem(lines)
          == "line 3: unknown field \"x\" (the line after "
             "sequence 1)");
  }
  SUBCASE("header") {
    lines[0] = with_first(lines[0], R"("note":"hi")");
    CHECK(problem(lines) == "line 1: header has an unknown field \"note\"");
  }
  SUBCASE("trailer") {
    lines.back() = with_first(lines.back(), R"("x":1)");
    CHECK(problem(lines) == "line 5: trailer has an unknown field \"x\"");
  }
  SUBCASE("a trailer whose end is not true") {
    auto j = nlohmann::json::parse(lines.back());
    j["end"] = false;
    lines.back() = j.dump();
    CHECK(problem(lines) == "line 5: trailer's end is not true");
  }
  SUBCASE("the unchanged file verifies") {
    CHECK_FALSE(verify(lines).problem.has_value());
  }
}
