// `pact apply SPEC.toml [--dry-run] [-m MSG]`: replaces the overlays of
// every vCluster the spec describes, all in one journal command (all land
// or none). The spec is validated here first, so a bad spec names file,
// line and key and nothing is sent. A vCluster that already holds its spec
// is left alone (no entry, same version) and reported as unchanged.

#include <iostream>
#include <map>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/journal/journal_items.hpp"
#include "runtime/render/journal_render.hpp"
#include "runtime/spec/overlay_spec.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

/// Prints what applying `specs` would change against the current overlays.
int dry_run(context& ctx, journal_session& s,
            const std::vector<protocol::OverlaySpec>& specs) {
  auto st = s.state("", "");
  if (!st)
    return report(st.err());
  auto out = nlohmann::json::array();
  for (auto& spec : specs) {
    journal::item_map before;
    for (auto& o : st->overlays())
      if (o.vcluster() == spec.vcluster())
        before = journal::to_map(o.items());
    auto delta = journal::diff_items(before, journal::to_map(spec.items()));
    if (ctx.json) {
      nlohmann::json j{{"vcluster", spec.vcluster()},
                       {"changes", nlohmann::json::array()}};
      for (auto& i : delta.items())
        j["changes"].push_back(render::item_json(i));
      out.push_back(j);
      continue;
    }
    std::cout << "vcluster " << spec.vcluster() << ": " << delta.items_size()
              << " item changes\n";
    for (auto& i : delta.items())
      std::cout << "  " << render::action_name(i.action()) << "  "
                << render::item_text(i) << "\n";
  }
  if (ctx.json)
    std::cout << nlohmann::json{{"dry_run", true}, {"vclusters", out}}.dump(2)
              << "\n";
  return 0;
}

int run_apply(context& ctx) {
  auto path = ctx.vm["spec"].as<std::string>();
  auto specs = spec::parse_spec_file(path);
  if (!specs)
    return report(specs.err());
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (ctx.vm.count("dry-run"))
    return dry_run(ctx, **s, *specs);
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_OVERLAY_APPLY);
  for (auto& o : *specs)
    *cmd.add_overlays() = o;
  cmd.set_message(ctx.vm.count("message") ? ctx.vm["message"].as<std::string>()
                                          : "apply " + path);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  // Vclusters that already held their spec got no entry: the result lists
  // them as unchanged, the others got one sequence each, in spec order.
  std::map<std::string, uint64_t> unchanged;
  for (auto& u : r->result().unchanged())
    unchanged[u.scope().vcluster()] = u.version();
  const auto& seqs = r->result().sequences();
  auto j = nlohmann::json::array();
  int next = 0;
  for (auto& spec : *specs) {
    auto u = unchanged.find(spec.vcluster());
    bool same = u != unchanged.end();
    if (!same && next >= seqs.size())
      break; // cannot happen: one sequence per changed vCluster
    uint64_t at = same ? u->second : seqs[next++];
    if (ctx.json) {
      j.push_back({{"vcluster", spec.vcluster()},
                   {same ? "version" : "sequence", at},
                   {"unchanged", same}});
    } else if (same) {
      std::cout << "vcluster " << spec.vcluster() << ": unchanged (version "
                << at << ")\n";
    } else {
      std::cout << "applied vcluster " << spec.vcluster() << " ("
                << spec.items_size() << " items) as entry " << at << "\n";
    }
  }
  if (ctx.json)
    std::cout << nlohmann::json{{"applied", j}}.dump(2) << "\n";
  return 0;
}

} // namespace

command apply_command() {
  command c;
  c.name = "apply";
  c.summary = "Apply a vCluster overlay spec (TOML); all vClusters or none";
  c.usage = "SPEC.toml [--dry-run] [-m MSG]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("spec", po::value<std::string>()->required(),
                       "Overlay spec file")(
      "dry-run", "Show what would change; write nothing")(
      "message,m", po::value<std::string>(), "Why");
    pos.add("spec", 1);
  };
  c.run = run_apply;
  return c;
}

} // namespace pact::cli
