// The 24 tools' specs as tools/list shows them (operator guide, "Using the
// MCP Server"): names, schemas that the checker accepts, annotations that
// say what each does, and argument decoding. The end-to-end suite
// (tests/e2e/test_mcp_interop.py) also compiles every schema with ajv.

#include <doctest/doctest.h>

#include <set>

#include "mcp/confirm.hpp"
#include "mcp/schema.hpp"
#include "mcp/tool_specs.hpp"

using namespace pact::mcp;

namespace {

const std::vector<std::string> guide_tools{
  "pact_status",        "pact_diff",           "pact_log",
  "pact_cap",           "pact_service_status", "pact_query_fleet",
  "pact_commit",        "pact_rollback",       "pact_apply",
  "pact_exec",          "pact_emergency",      "pact_jobs_list",
  "pact_queue_status",  "pact_cluster_health", "pact_system_health",
  "pact_accounting",    "pact_undrain",        "pact_dag_list",
  "pact_dag_inspect",   "pact_budget",         "pact_backup_create",
  "pact_backup_verify", "pact_nodes_list",     "pact_node_inspect"};

const std::set<std::string> lattice_tools{
  "pact_jobs_list",     "pact_queue_status",  "pact_cluster_health",
  "pact_system_health", "pact_accounting",    "pact_undrain",
  "pact_dag_list",      "pact_dag_inspect",   "pact_budget",
  "pact_backup_create", "pact_backup_verify", "pact_nodes_list",
  "pact_node_inspect"};

json failure() {
  return {{"error",
           {{"message", "x"}, {"exit_code", 1}, {"meaning", "general error"}}}};
}

/// A scripted call_context: what the "user" answers to an elicitation.
struct scripted : call_context {
  bool elicits = true;
  std::optional<json> answer;
  bool was_cancelled = false;
  int asked = 0;
  json schema;
  bool cancelled() const override {
    return was_cancelled;
  }
  bool can_elicit() const override {
    return elicits;
  }
  std::optional<json> elicit(const std::string&, const json& s) override {
    ++asked;
    schema = s;
    return answer;
  }
};

} // namespace

TEST_CASE("the guide's 24 tools, in its order, each fully described") {
  auto tools = tool_specs();
  REQUIRE(tools.size() == guide_tools.size());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    CAPTURE(t.name);
    CHECK(t.name == guide_tools[i]);
    CHECK_FALSE(t.title.empty());
    CHECK(t.description.size() > 40);
    CHECK(t.input_schema["type"] == "object");
    CHECK(t.input_schema["properties"].is_object());
    CHECK(t.input_schema["additionalProperties"] == false);
    CHECK(t.output_schema["type"] == "object");
    // Every tool's failure fits its output schema.
    CHECK_FALSE(schema_violation(t.output_schema, failure()).has_value());
    // A result that is neither success nor failure does not.
    CHECK(schema_violation(t.output_schema, json::object()).has_value());
    bool lattice = lattice_tools.count(t.name) > 0;
    CHECK(t.annotations.open_world == lattice);
    if (t.annotations.read_only)
      CHECK_FALSE(t.annotations.destructive);
  }
}

TEST_CASE("annotations say which tools change things") {
  for (auto name : {"pact_rollback", "pact_apply", "pact_exec"}) {
    CAPTURE(name);
    auto t = spec_of(name);
    CHECK_FALSE(t.annotations.read_only);
    CHECK(t.annotations.destructive);
  }
  for (auto name :
       {"pact_status", "pact_log", "pact_query_fleet", "pact_jobs_list"}) {
    CAPTURE(name);
    CHECK(spec_of(name).annotations.read_only);
  }
  CHECK_FALSE(spec_of("pact_commit").annotations.read_only);
  CHECK_FALSE(spec_of("pact_commit").annotations.idempotent);
  CHECK_FALSE(spec_of("pact_undrain").annotations.read_only);
  CHECK_THROWS_AS(spec_of("pact_dag_cancel"), std::out_of_range);
}

TEST_CASE("input schemas refuse what the CLI refuses") {
  auto commit = spec_of("pact_commit").input_schema;
  CHECK(schema_violation(commit, {{"target", "vc:ml"}, {"message", "m"}})
        == std::nullopt);
  CHECK(schema_violation(commit, {{"target", "vc:ml"}}).has_value());
  CHECK(schema_violation(
          commit, {{"target", "vc:ml"}, {"message", "m"}, {"ttl_seconds", 60}})
          .has_value());
  CHECK(schema_violation(commit, {{"target", "vc:ml"},
                                  {"message", "m"},
                                  {"set", json::array({1})}})
          .has_value());
  auto exec = spec_of("pact_exec").input_schema;
  CHECK(schema_violation(exec, {{"node", "n1"}, {"command", json::array()}})
          .has_value());
  CHECK(
    schema_violation(exec, {{"node", "n1"}, {"command", json::array({"ls"})}})
    == std::nullopt);
  auto em = spec_of("pact_emergency").input_schema;
  CHECK(schema_violation(em, {{"action", "restart"}}).has_value());
  CHECK(schema_violation(em, {{"action", "status"}}) == std::nullopt);
  auto fleet = spec_of("pact_query_fleet").input_schema;
  CHECK(schema_violation(fleet, {{"state", "drifted"}}) == std::nullopt);
  CHECK(schema_violation(fleet, {{"state", "sleepy"}}).has_value());
}

TEST_CASE("output schemas accept a held write only for writes") {
  json held{{"pending_approval", {{"id", "ap-k7qz2m4x"}}}};
  CHECK(schema_violation(spec_of("pact_commit").output_schema, held)
        == std::nullopt);
  CHECK(
    schema_violation(spec_of("pact_status").output_schema, held).has_value());
  json commit{{"sequences", json::array({7})},
              {"raft_index", 12},
              {"scope", "vc:ml"},
              {"unchanged", false},
              {"changes", json::array()}};
  CHECK(schema_violation(spec_of("pact_commit").output_schema, commit)
        == std::nullopt);
  commit["sequences"] = "7";
  CHECK(
    schema_violation(spec_of("pact_commit").output_schema, commit).has_value());
}

TEST_CASE("decoders read what the schema let through") {
  auto c
    = decode_commit_args({{"target", "n1"},
                          {"message", "m"},
                          {"set", json::array({"kernel:a=1", "files:/x=y"})},
                          {"ttl_seconds", 900.0}});
  CHECK(c.set.size() == 2);
  CHECK(c.ttl_seconds == 900u);
  CHECK_FALSE(decode_commit_args({{"target", "n1"}}).ttl_seconds.has_value());
  auto r = decode_rollback_args({{"sequence", 12}, {"force", true}});
  CHECK(r.sequence == 12u);
  CHECK(r.force);
  auto f = decode_fleet_args({{"drifted", false}, {"min_gpus", 4}});
  REQUIRE(f.drifted.has_value());
  CHECK_FALSE(*f.drifted);
  CHECK(f.min_gpus == 4u);
  CHECK(f.limit == 100u);
  auto e = decode_exec_args(
    {{"node", "n1"}, {"command", json::array({"nvidia-smi", "-q"})}});
  CHECK(e.command == std::vector<std::string>{"nvidia-smi", "-q"});
  CHECK(e.timeout_seconds == 0u);
}

TEST_CASE("a destructive tool goes ahead only on an accepted confirmation") {
  scripted ctx;
  ctx.answer = json{{"action", "accept"}, {"content", {{"confirm", true}}}};
  CHECK(confirm_destructive(ctx, false, "roll vc:ml back") == std::nullopt);
  CHECK(ctx.asked == 1);
  CHECK(ctx.schema == confirmation_schema());
  for (json no : {json{{"action", "decline"}}, json{{"action", "cancel"}},
                  json{{"action", "accept"}, {"content", {{"confirm", false}}}},
                  json{{"action", "accept"}, {"content", {{"confirm", "yes"}}}},
                  json{{"action", "accept"}}, json("accept")}) {
    CAPTURE(no.dump());
    ctx.answer = no;
    auto why = confirm_destructive(ctx, true, "roll vc:ml back");
    REQUIRE(why.has_value());
    CHECK(why->find("declined by the user: roll vc:ml back") == 0);
  }
  ctx.answer.reset();
  CHECK(confirm_destructive(ctx, true, "x")->find("could not be asked")
        != std::string::npos);
  ctx.was_cancelled = true;
  CHECK(confirm_destructive(ctx, true, "x")->find("cancelled") == 0);
}

TEST_CASE("without elicitation, only PACT_MCP_ALLOW_DESTRUCTIVE lets it run") {
  scripted ctx;
  ctx.elicits = false;
  auto why = confirm_destructive(ctx, false, "apply a spec");
  REQUIRE(why.has_value());
  CHECK(why->find("PACT_MCP_ALLOW_DESTRUCTIVE=1") != std::string::npos);
  CHECK(confirm_destructive(ctx, true, "apply a spec") == std::nullopt);
  CHECK(ctx.asked == 0);
}
