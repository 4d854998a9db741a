// `pact drain|undrain|cordon|uncordon NODE` (lattice) and `pact
// reboot|reimage NODE` (node management): delegated operations, each
// recorded in the journal and authorized there before it is sent
// (docs/delegation.md).

#include <iostream>

#include "cli/agent_grant.hpp"
#include "cli/delegation_run.hpp"
#include "runtime/delegation/lattice_views.hpp"
#include "runtime/delegation/node_mgmt.hpp"

namespace pact::cli {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

std::string node_arg(const context& ctx) {
  return ctx.vm.count("node") ? ctx.vm["node"].as<std::string>()
                              : std::string();
}

/// Checks the node argument of `verb`; empty when fine.
std::optional<error> bad_node(const std::string& verb,
                              const std::string& node) {
  if (node.empty())
    return make_error(verb + ": a node is required (pact " + verb + " NODE)");
  if (auto st = check_node_name(node); !st)
    return make_error(verb + ": " + st.err().message);
  return std::nullopt;
}

/// `text` as one shell word (for the command printed to run later).
std::string shell_word(const std::string& text) {
  bool plain = !text.empty()
               && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                         "klmnopqrstuvwxyz0123456789._-/:=+,@")
                    == std::string::npos;
  if (plain)
    return text;
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string state_text(const json& a) {
  return a.value("node", "") + ": " + a.value("state", "");
}

/// drain, undrain, cordon, uncordon.
int run_lattice_op(context& ctx, const std::string& verb) {
  auto node = node_arg(ctx);
  if (auto e = bad_node(verb, node))
    return report(*e);
  auto settings = client::lattice_settings_of(ctx.cfg);
  if (!settings)
    return report(settings.err());
  client::delegated_op op;
  op.action = verb;
  op.node = node;
  op.backend = "lattice";
  op.endpoint = settings->endpoint;
  if (verb == "drain" && ctx.vm.count("reason"))
    op.reason = ctx.vm["reason"].as<std::string>();
  if (op.reason.size() > 1024)
    return report(make_error("drain: -r REASON is longer than 1024 bytes"));
  const auto& s = *settings;
  delegated_call call;
  delegated_text text = state_text;
  if (verb == "drain") {
    call = [&] { return delegation::drain_node(s, node, op.reason); };
    text = [](const json& a) {
      auto active = a.value("active_allocations", 0);
      return state_text(a)
             + (active == 0 ? std::string()
                            : " (" + std::to_string(active)
                                + " allocation(s) still running; lattice "
                                  "places no new ones)");
    };
  } else if (verb == "undrain") {
    call = [&] { return delegation::undrain_node(s, node); };
  } else if (verb == "cordon") {
    call = [&] {
      return delegation::cordon_node(s, node, "cordoned through pact");
    };
  } else {
    call = [&] { return delegation::uncordon_node(s, node); };
  }
  // The grant is for exactly this operation, reason included.
  return run_delegation(
    ctx, op, call, text,
    "pact " + verb + " --approval ID " + node
      + (op.reason.empty() ? "" : " -r " + shell_word(op.reason)));
}

/// reboot, reimage.
int run_power_op(context& ctx, const std::string& verb) {
  auto node = node_arg(ctx);
  if (auto e = bad_node(verb, node))
    return report(*e);
  auto settings = client::node_mgmt_settings_of(ctx.cfg);
  if (!settings)
    return report(settings.err());
  bool force = ctx.vm.count("force") > 0;
  // What this installation lacks is not a delegation that failed: said
  // before anything is recorded.
  if (verb == "reimage"
      && settings->backend == delegation::node_mgmt_backend::csm
      && settings->bos_template.empty())
    return report(
      make_error("reimage: no boot template configured for CSM (set "
                 "PACT_NODE_MGMT_BOS_TEMPLATE to a BOS session template)"));
  // Power-cycling a node under running allocations kills them: the
  // scheduler's word first (issue 17 item 3).
  if (!force) {
    auto lattice = client::lattice_settings_of(ctx.cfg);
    if (auto st = delegation::power_cycle_allowed(lattice, node, false); !st)
      return report(make_error(verb + ": " + st.err().message, st.err().code));
  }
  client::delegated_op op;
  op.action = verb;
  op.node = node;
  op.force = force;
  op.backend = delegation::to_string(settings->backend);
  op.endpoint = settings->url;
  const auto& s = *settings;
  delegated_call call = [&]() -> expected<json> {
    if (verb == "reboot")
      return delegation::reboot_node(s, node);
    return delegation::reimage_node(s, node);
  };
  auto text = [verb](const json& a) {
    std::string what = a.value("node", "") + ": " + verb + " started through "
                       + a.value("backend", "");
    if (a.contains("transition_id"))
      what += " (PCS transition " + a.value("transition_id", "") + ")";
    if (a.contains("session"))
      what += " (BOS session " + a.value("session", "") + ")";
    return what;
  };
  return run_delegation(ctx, op, call, text,
                        "pact " + verb + std::string(force ? " --force" : "")
                          + " --approval ID " + node);
}

command node_op(const std::string& verb, const std::string& summary,
                const std::string& usage, bool power) {
  command c;
  c.name = verb;
  c.summary = summary;
  c.usage = usage;
  c.declare = [verb, power](po::options_description& desc,
                            po::positional_options_description& pos) {
    desc.add_options()("node", po::value<std::string>(), "The node")(
      "approval", po::value<std::string>(),
      "Use this approved grant (two-person vClusters)");
    if (verb == "drain")
      desc.add_options()("reason,r", po::value<std::string>(),
                         "Why (recorded, and sent to lattice)");
    if (power)
      desc.add_options()("force",
                         "Even if the node runs allocations (not drained)");
    pos.add("node", 1);
  };
  c.run = [verb, power](context& ctx) {
    return power ? run_power_op(ctx, verb) : run_lattice_op(ctx, verb);
  };
  return c;
}

} // namespace

command drain_command() {
  return node_op("drain", "Drain a node in the scheduler (lattice)",
                 "NODE [-r REASON] [--approval ID]", false);
}

command undrain_command() {
  return node_op("undrain", "Return a drained node to the scheduler",
                 "NODE [--approval ID]", false);
}

command cordon_command() {
  return node_op("cordon", "Take a node out of scheduling (lattice disable)",
                 "NODE [--approval ID]", false);
}

command uncordon_command() {
  return node_op("uncordon", "Put a cordoned node back into scheduling",
                 "NODE [--approval ID]", false);
}

command reboot_command() {
  return node_op("reboot", "Power-cycle a node (OpenCHAMI or CSM)",
                 "NODE [--force] [--approval ID]", true);
}

command reimage_command() {
  return node_op("reimage", "Reimage a node (OpenCHAMI BSS or CSM BOS)",
                 "NODE [--force] [--approval ID]", true);
}

} // namespace pact::cli
