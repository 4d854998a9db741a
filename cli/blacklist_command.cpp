// `pact blacklist list | add PATTERN | remove PATTERN [--vcluster V]`: the
// drift-detection exclusions, cluster-wide or of one vCluster (fnmatch
// patterns).

#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int blacklist_list(context& ctx, journal_session& s, const std::string& vc) {
  auto st = s.state(vc, "");
  if (!st)
    return report(st.err());
  std::vector<std::string> patterns;
  if (vc.empty()) {
    patterns.assign(st->global().blacklist().begin(),
                    st->global().blacklist().end());
  } else {
    bool found = false;
    for (auto& o : st->overlays())
      if (o.vcluster() == vc) {
        found = true;
        patterns.assign(o.policy().blacklist().begin(),
                        o.policy().blacklist().end());
      }
    if (!found)
      return report(make_error("vcluster '" + vc + "' is not known"));
  }
  if (ctx.json) {
    std::cout << nlohmann::json{{"scope", vc.empty() ? "global" : "vc:" + vc},
                                {"patterns", patterns}}
                   .dump(2)
              << "\n";
    return 0;
  }
  std::cout << (vc.empty() ? std::string("global") : "vcluster " + vc)
            << " blacklist (" << patterns.size()
            << (patterns.size() == 1 ? " pattern)\n" : " patterns)\n");
  for (auto& p : patterns)
    std::cout << "  " << terminal_safe(p) << "\n";
  return 0;
}

int run_blacklist(context& ctx) {
  auto action = ctx.vm["action"].as<std::string>();
  auto vc = ctx.cfg.get_string("vcluster");
  if (action != "list" && action != "add" && action != "remove")
    return report(make_error("blacklist: unknown action '" + action
                             + "' (list, add, remove)"));
  std::string pattern
    = ctx.vm.count("pattern") ? ctx.vm["pattern"].as<std::string>() : "";
  if (action != "list" && pattern.empty())
    return report(make_error("blacklist " + action + ": name the pattern"));
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  if (action == "list")
    return blacklist_list(ctx, **s, vc);
  protocol::JournalCommand cmd;
  cmd.set_kind(action == "add" ? protocol::COMMAND_KIND_BLACKLIST_ADD
                               : protocol::COMMAND_KIND_BLACKLIST_REMOVE);
  if (vc.empty())
    cmd.mutable_scope()->set_global(true);
  else
    cmd.mutable_scope()->set_vcluster(vc);
  cmd.set_blacklist_pattern(pattern);
  cmd.set_message(action + " blacklist pattern " + pattern);
  auto r = (*s)->command(cmd);
  if (!r)
    return report(r.err());
  if (ctx.json)
    std::cout << nlohmann::json{{"sequence", r->result().sequences(0)},
                                {"pattern", pattern},
                                {"scope", vc.empty() ? "global" : "vc:" + vc}}
                   .dump(2)
              << "\n";
  else
    std::cout << (action == "add" ? "added " : "removed ") << pattern
              << (action == "add" ? " to " : " from ")
              << (vc.empty() ? std::string("the global") : "vcluster " + vc)
              << " blacklist (entry " << render::sequences_text(*r) << ")\n";
  return 0;
}

} // namespace

command blacklist_command() {
  command c;
  c.name = "blacklist";
  c.summary = "List or change drift-detection exclusions";
  c.usage = "list | add PATTERN | remove PATTERN [--vcluster V]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description& pos) {
    desc.add_options()("action", po::value<std::string>()->required(),
                       "list, add or remove")(
      "pattern", po::value<std::string>(), "fnmatch pattern, e.g. /tmp/**");
    pos.add("action", 1).add("pattern", 1);
  };
  c.run = run_blacklist;
  return c;
}

} // namespace pact::cli
