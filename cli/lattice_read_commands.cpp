// The read-only questions `pact` asks the lattice scheduler (docs/cli.md
// "Delegated to lattice"): `jobs`, `queue`, `nodes`, `dag`, `accounting`
// and `budget`. Each checks its arguments, asks lattice through
// runtime/delegation/lattice_views (the same calls pact-mcp makes), and
// prints the view's JSON as it is or as text (cli/lattice_text). Nothing
// here writes: lattice's state changes go through the journal
// (actors/client/delegation.hpp), and DAGs are never cancelled from pact.

#include <functional>
#include <iostream>

#include "actors/client/changes.hpp"
#include "actors/client/delegation.hpp"
#include "cli/commands.hpp"
#include "cli/lattice_text.hpp"
#include "runtime/delegation/lattice_views.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

using delegation::lattice_settings;
using view_call = std::function<expected<json>(const lattice_settings&)>;

/// Asks lattice with `call` and prints the answer: JSON as it is, else
/// `text` of it. Errors: lattice not configured (exit 1, before any token
/// is looked for) and lattice_call's (the sentence names the endpoint).
int show(const context& ctx, const view_call& call,
         std::string (*text)(const json&)) {
  auto s = client::lattice_settings_of(ctx.cfg);
  if (!s)
    return report(s.err());
  auto v = call(*s);
  if (!v)
    return report(v.err());
  if (ctx.json)
    std::cout << v->dump(2) << "\n";
  else
    std::cout << text(*v);
  return 0;
}

std::string opt(const context& ctx, const char* name) {
  return ctx.vm.count(name) ? ctx.vm[name].as<std::string>() : "";
}

/// The global --vcluster (PACT_VCLUSTER), the filter of jobs, queue, nodes.
std::string vcluster_of(const context& ctx) {
  return ctx.cfg.get_string("vcluster");
}

/// `--days` within 1 .. 3650 (lattice_views' range), else exit 1.
expected<int> days_of(const context& ctx, const std::string& cmd, int dflt) {
  if (!ctx.vm.count("days"))
    return dflt;
  auto days = ctx.vm["days"].as<int>();
  if (days < 1 || days > 3650)
    return make_error(cmd + ": --days " + std::to_string(days)
                      + " is outside 1 .. 3650");
  return days;
}

/// The action and its operand of a `list | inspect X` command; exit 1
/// for another action, a missing operand of inspect, or one given to list.
expected<std::pair<std::string, std::string>>
action_of(const context& ctx, const std::string& cmd, const std::string& what) {
  auto action = ctx.vm["action"].as<std::string>();
  auto operand = opt(ctx, "operand");
  if (action != "list" && action != "inspect")
    return make_error(cmd + ": unknown action '" + action
                      + "' (list, inspect)");
  if (action == "inspect" && operand.empty())
    return make_error(cmd + " inspect: name the " + what);
  if (action == "list" && !operand.empty())
    return make_error(cmd + " list: unexpected argument '" + operand
                      + "' (filters are options)");
  return std::make_pair(action, operand);
}

/// Options that only `list` takes, refused for `inspect`.
status list_only(const context& ctx, const std::string& cmd,
                 std::initializer_list<const char*> names) {
  for (auto* n : names)
    if (ctx.vm.count(n))
      return make_error(cmd + " inspect: --" + std::string(n)
                        + " applies to list only");
  return {};
}

void declare_list_inspect(po::options_description& desc,
                          po::positional_options_description& pos,
                          const char* operand) {
  desc.add_options()("action", po::value<std::string>()->required(),
                     "list or inspect")("operand", po::value<std::string>(),
                                        operand);
  pos.add("action", 1).add("operand", 1);
}

int run_jobs(context& ctx) {
  auto a = action_of(ctx, "jobs", "allocation (ID)");
  if (!a)
    return report(a.err());
  auto id = a->second;
  if (a->first == "inspect") {
    if (auto st = list_only(ctx, "jobs", {"node"}); !st)
      return report(st.err());
    return show(
      ctx,
      [&](const lattice_settings& s) { return delegation::job_inspect(s, id); },
      job_text);
  }
  auto node = opt(ctx, "node");
  if (!node.empty())
    if (auto st = client::check_node_name(node); !st)
      return report(st.err());
  auto vc = vcluster_of(ctx);
  return show(
    ctx,
    [&](const lattice_settings& s) {
      return delegation::jobs_list(s, node, vc);
    },
    jobs_text);
}

int run_queue(context& ctx) {
  auto vc = vcluster_of(ctx);
  return show(
    ctx,
    [&](const lattice_settings& s) { return delegation::queue_status(s, vc); },
    queues_text);
}

int run_nodes(context& ctx) {
  auto a = action_of(ctx, "nodes", "node");
  if (!a)
    return report(a.err());
  if (a->first == "inspect") {
    if (auto st = list_only(ctx, "nodes", {"state"}); !st)
      return report(st.err());
    auto node = a->second;
    if (auto st = client::check_node_name(node); !st)
      return report(st.err());
    return show(
      ctx,
      [&](const lattice_settings& s) {
        return delegation::node_inspect(s, node);
      },
      node_text);
  }
  auto state = opt(ctx, "state");
  auto vc = vcluster_of(ctx);
  return show(
    ctx,
    [&](const lattice_settings& s) {
      return delegation::nodes_list(s, state, vc);
    },
    nodes_text);
}

int run_dag(context& ctx) {
  auto a = action_of(ctx, "dag", "DAG (ID)");
  if (!a)
    return report(a.err());
  if (a->first == "inspect") {
    if (auto st = list_only(ctx, "dag", {"tenant", "state"}); !st)
      return report(st.err());
    auto id = a->second;
    return show(
      ctx,
      [&](const lattice_settings& s) { return delegation::dag_inspect(s, id); },
      dag_text);
  }
  auto tenant = opt(ctx, "tenant");
  auto state = opt(ctx, "state");
  return show(
    ctx,
    [&](const lattice_settings& s) {
      return delegation::dag_list(s, tenant, state);
    },
    dags_text);
}

int run_accounting(context& ctx) {
  auto tenant = opt(ctx, "tenant");
  auto user = opt(ctx, "user");
  if (!tenant.empty() && !user.empty())
    return report(make_error("accounting: give --tenant or --user, not both"));
  auto days = days_of(ctx, "accounting", 30);
  if (!days)
    return report(days.err());
  return show(
    ctx,
    [&](const lattice_settings& s) {
      return delegation::accounting(s, tenant, user, *days);
    },
    accounting_text);
}

int run_budget(context& ctx) {
  auto kind = ctx.vm["kind"].as<std::string>();
  if (kind != "tenant" && kind != "user")
    return report(
      make_error("budget: unknown kind '" + kind + "' (tenant, user)"));
  auto id = opt(ctx, "id");
  if (id.empty())
    return report(make_error("budget " + kind + ": name the " + kind));
  // Without --days lattice's own default period applies (0).
  auto days = days_of(ctx, "budget", 0);
  if (!days)
    return report(days.err());
  return show(
    ctx,
    [&](const lattice_settings& s) {
      return delegation::budget(s, kind, id, *days);
    },
    budget_text);
}

} // namespace

command jobs_command() {
  command c;
  c.name = "jobs";
  c.summary = "List or inspect lattice allocations (jobs)";
  c.usage = "list [--node N] [--vcluster V] | inspect ID";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    declare_list_inspect(desc, pos, "Allocation ID (inspect)");
    desc.add_options()("node", po::value<std::string>(),
                       "Only allocations on this node (list)");
  };
  c.run = run_jobs;
  return c;
}

command queue_command() {
  command c;
  c.name = "queue";
  c.summary = "Show lattice's scheduling queue per vCluster";
  c.usage = "[--vcluster V]";
  c.run = run_queue;
  return c;
}

command nodes_command() {
  command c;
  c.name = "nodes";
  c.summary = "List or inspect nodes as lattice schedules them";
  c.usage = "list [--state S] [--vcluster V] | inspect NODE";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    declare_list_inspect(desc, pos, "Node (inspect)");
    desc.add_options()("state", po::value<std::string>(),
                       "Only nodes in this state (list)");
  };
  c.run = run_nodes;
  return c;
}

command dag_command() {
  command c;
  c.name = "dag";
  c.summary = "List or inspect lattice DAG workflows";
  c.usage = "list [--tenant T] [--state S] | inspect ID";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    declare_list_inspect(desc, pos, "DAG ID (inspect)");
    desc.add_options()("tenant", po::value<std::string>(),
                       "Only this tenant's DAGs (list)")(
      "state", po::value<std::string>(), "Only DAGs in this state (list)");
  };
  c.run = run_dag;
  return c;
}

command accounting_command() {
  command c;
  c.name = "accounting";
  c.summary = "Show resource usage per tenant or user (lattice)";
  c.usage = "[--tenant T | --user U] [--days N]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    desc.add_options()("tenant", po::value<std::string>(), "Only this tenant")(
      "user", po::value<std::string>(), "Only this user, across tenants")(
      "days", po::value<int>(), "Period in days, 1 .. 3650 (default 30)");
  };
  c.run = run_accounting;
  return c;
}

command budget_command() {
  command c;
  c.name = "budget";
  c.summary = "Show a tenant's or user's budget and use (lattice)";
  c.usage = "tenant|user ID [--days N]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("kind", po::value<std::string>()->required(),
                       "tenant or user")("id", po::value<std::string>(),
                                         "Tenant or user id")(
      "days", po::value<int>(),
      "Period in days, 1 .. 3650 (default: lattice's)");
    pos.add("kind", 1).add("id", 1);
  };
  c.run = run_budget;
  return c;
}

} // namespace pact::cli
