// `pact apply SPEC.toml [--dry-run] [-m MSG]`: replaces the overlays of
// every vCluster the spec describes, all in one journal command (all land
// or none). The spec is validated here first, so a bad spec names file,
// line and key and nothing is sent. A vCluster that already holds its spec
// is left alone (no entry, same version) and reported as unchanged.

#include <iostream>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/render/write_render.hpp"
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
  if (ctx.json)
    std::cout << render::apply_plan_json(specs, *st).dump(2) << "\n";
  else
    std::cout << render::apply_plan_text(specs, *st);
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
  if (ctx.json)
    std::cout << render::apply_json(*specs, *r).dump(2) << "\n";
  else
    std::cout << render::apply_text(*specs, *r);
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
