// The exhaustive matrix of the policy decision point (issue 13 item 4):
// docs/authorization.md's "Action table" is the specification. This test
// reads that table and, for every action × role × own/other vCluster ×
// regulated or not × human/AI principal × policy setting, compares
// decide() with what the row says. It fails when an action of the code is
// not in the table, or the table names one the code does not know.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/policy/decision.hpp"

using namespace pact::policy;

namespace {

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t`");
  auto e = s.find_last_not_of(" \t`");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  // Split on '|' (no cell of the table holds one).
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  return out;
}

using row = std::map<std::string, std::string>;

/// The rows of the first table after "## Action table", keyed by heading.
std::vector<row> read_table() {
  std::ifstream in(PACT_SOURCE_DIR "/docs/authorization.md");
  REQUIRE(in);
  std::string line;
  bool section = false;
  std::vector<std::string> head;
  std::vector<row> rows;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      if (section && !head.empty())
        break;
      section = line == "## Action table";
      continue;
    }
    if (!section || line.rfind("|", 0) != 0) {
      if (section && !head.empty() && !rows.empty())
        break;
      continue;
    }
    auto c = cells(line);
    if (head.empty()) {
      head = c;
      continue;
    }
    if (c.front().find("---") != std::string::npos)
      continue;
    REQUIRE_MESSAGE(c.size() == head.size(), line);
    row r;
    for (size_t i = 0; i < c.size(); ++i)
      r[head[i]] = c[i];
    rows.push_back(std::move(r));
  }
  REQUIRE_MESSAGE(!rows.empty(), "no Action table in docs/authorization.md");
  return rows;
}

const std::vector<row>& table() {
  static const auto rows = read_table();
  return rows;
}

struct role_case {
  std::string column;
  role r;
};

const std::string own_vc = "ml";
const std::string other_vc = "hpc";

std::vector<role_case> role_cases() {
  return {
    {"pact-platform-admin", {role::kind::platform_admin, ""}},
    {"pact-ops-{vc}", {role::kind::ops, own_vc}},
    {"pact-regulated-{vc}", {role::kind::regulated, own_vc}},
    {"pact-viewer-{vc}", {role::kind::viewer, own_vc}},
    {"pact-service-ai", {role::kind::service_ai, ""}},
  };
}

struct expected {
  decision::outcome out;
  bool read_only = false;
  bool approval = false;
  bool engine = false;
};

/// What the row says for one case.
expected rule_of(const row& r, const role_case& rc, const std::string& vc,
                 bool regulated, bool ai, const policy_view& pol) {
  using o = decision::outcome;
  const auto& cell = r.at(rc.column);
  const auto& ai_cell = r.at("AI principal");
  bool is_ai = ai || rc.r.k == role::kind::service_ai;
  if (is_ai && ai_cell == "never")
    return {o::deny};
  bool granted = cell == "yes"
                 || ((cell == "own" || cell == "own, read-only")
                     && vc == rc.r.vcluster);
  if (!granted)
    return {o::deny};
  expected e{o::allow};
  e.read_only = cell == "own, read-only";
  if (is_ai && ai_cell == "ai_write_allowed" && !pol.ai_write_allowed)
    return {o::reject};
  if (is_ai && ai_cell == "ai_exec_allowed, read-only") {
    if (!pol.ai_exec_allowed)
      return {o::reject};
    e.read_only = true;
  }
  if (r.at("vCluster policy") == "emergency_allowed" && !pol.emergency_allowed)
    return {o::reject};
  e.approval = regulated && r.at("regulated vCluster") == "approval";
  e.engine = e.approval || r.at("OPA unreachable") == "denied";
  return e;
}

const std::set<std::string> known_cells = {"yes", "own", "own, read-only",
                                           "no"};

} // namespace

TEST_CASE("every action of the code is in docs/authorization.md and back") {
  std::set<std::string> doc, code;
  for (auto& r : table())
    CHECK_MESSAGE(doc.insert(r.at("action")).second,
                  "listed twice: " << r.at("action"));
  for (auto& a : action_table())
    code.insert(std::string(a.name));
  for (auto& a : code)
    CHECK_MESSAGE(doc.count(a) == 1, "action not in the doc: " << a);
  for (auto& a : doc)
    CHECK_MESSAGE(code.count(a) == 1, "action not in the code: " << a);
  // The table's order is the code's.
  std::vector<std::string> doc_order, code_order;
  for (auto& r : table())
    doc_order.push_back(r.at("action"));
  for (auto& a : action_table())
    code_order.emplace_back(a.name);
  CHECK(doc_order == code_order);
}

TEST_CASE("every cell uses the documented words") {
  for (auto& r : table()) {
    INFO(r.at("action"));
    CHECK_FALSE(r.at("operation").empty());
    CHECK(std::set<std::string>{"read", "write", "exec"}.count(r.at("kind"))
          == 1);
    for (auto& rc : role_cases())
      CHECK_MESSAGE(known_cells.count(r.at(rc.column)) == 1, rc.column);
    CHECK(std::set<std::string>{"as role", "never", "ai_write_allowed",
                                "ai_exec_allowed, read-only"}
            .count(r.at("AI principal"))
          == 1);
    CHECK(
      std::set<std::string>{"approval", "—"}.count(r.at("regulated vCluster"))
      == 1);
    CHECK(std::set<std::string>{"emergency_allowed", "—"}.count(
            r.at("vCluster policy"))
          == 1);
    CHECK(std::set<std::string>{"continues", "denied"}.count(
            r.at("OPA unreachable"))
          == 1);
    const auto* rule = find_action(r.at("action"));
    REQUIRE(rule);
    auto kind = r.at("kind") == "read"    ? action_kind::read
                : r.at("kind") == "write" ? action_kind::write
                                          : action_kind::exec;
    CHECK(rule->kind == kind);
  }
}

TEST_CASE("decide() answers every cell of the action table") {
  size_t cases = 0;
  for (auto& r : table()) {
    const auto& action = r.at("action");
    for (auto& rc : role_cases())
      for (const auto& vc : {own_vc, other_vc})
        for (bool regulated : {false, true})
          for (bool ai : {false, true})
            for (int bits = 0; bits < 8; ++bits) {
              policy_view pol;
              pol.known = true;
              pol.ai_write_allowed = (bits & 1) != 0;
              pol.ai_exec_allowed = (bits & 2) != 0;
              pol.emergency_allowed = (bits & 4) != 0;
              auto want = rule_of(r, rc, vc, regulated, ai, pol);
              auto got = decide({"sam", ai}, {rc.r}, action, {vc, regulated},
                                pol);
              INFO(action << " " << rc.column << " on " << vc
                          << std::string(regulated ? " regulated" : "")
                          << std::string(ai ? " AI" : " human")
                          << " policy bits " << bits << ": " << got.message);
              ++cases;
              REQUIRE(got.out == want.out);
              CHECK(got.exit_code()
                    == (want.out == decision::outcome::allow  ? 0
                        : want.out == decision::outcome::deny ? 2
                                                              : 3));
              if (got.allowed()) {
                CHECK(got.read_only == want.read_only);
                CHECK(got.needs_approval == want.approval);
                CHECK(got.needs_engine == want.engine);
                CHECK(got.message.empty());
              } else if (got.out == decision::outcome::deny) {
                // The refusal names the caller and a role that would allow.
                CHECK(got.message.rfind("policy: denied: sam may not ", 0)
                      == 0);
                CHECK(got.message.find("pact-platform-admin")
                      != std::string::npos);
              } else {
                CHECK(got.message.find("not allowed by the policy of "
                                       "vCluster "
                                       + vc)
                      != std::string::npos);
              }
            }
  }
  CHECK(cases == table().size() * 5 * 2 * 2 * 2 * 8);
}

TEST_CASE("the global scope: reads for every role, writes for admins") {
  for (auto& rule : action_table()) {
    INFO(rule.name);
    for (auto& rc : role_cases()) {
      auto d = decide({"sam", false}, {rc.r}, rule.name, {"", false},
                      policy_view{true, true, true, true});
      bool want = rule.kind == action_kind::read
                    ? grant_of(rule, rc.r.k) != grant::none
                    : rc.r.k == role::kind::platform_admin;
      // AI principals (the service role) never write the global scope:
      // it has no vCluster policy to allow it.
      if (rc.r.k == role::kind::service_ai && rule.kind != action_kind::read)
        want = false;
      CHECK_MESSAGE(d.allowed() == want, rc.column);
    }
  }
}

TEST_CASE("several roles: the strongest grant wins") {
  std::vector<role> both{{role::kind::viewer, "ml"}, {role::kind::ops, "ml"}};
  auto d = decide({"sam", false}, both, "exec", {"ml", false}, {});
  REQUIRE(d.allowed());
  CHECK_FALSE(d.read_only);
  CHECK(d.role == "pact-ops-ml");
  CHECK(decide({"sam", false}, {}, "status", {"ml", false}, {}).exit_code()
        == 2);
  auto unknown = decide({"sam", false}, both, "nope", {"ml", false}, {});
  CHECK(unknown.exit_code() == 2);
}

TEST_CASE("without the policy at hand the policy rules wait for apply") {
  // The gateway decides roles before proposing; the state machine decides
  // the policy rules with the policy as of the entry.
  auto d = decide({"bot", true}, {{role::kind::ops, "ml"}}, "commit",
                  {"ml", false}, {});
  CHECK(d.allowed());
  auto never = decide({"bot", true}, {{role::kind::platform_admin, ""}},
                      "emergency.start", {"ml", false}, {});
  CHECK(never.exit_code() == 2);
  CHECK(never.message.find("AI principals never") != std::string::npos);
}
