// `pact log [-n N] [--scope global|vc:NAME|node:NAME] [--verify] [--stale]`:
// the most recent N entries, newest first (like `git log`).

#include <iostream>

#include "actors/client/journal_render.hpp"
#include "cli/commands.hpp"
#include "cli/journal_session.hpp"
#include "runtime/journal/entry_chain.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

int run_log(context& ctx) {
  auto s = journal_session::open(ctx);
  if (!s)
    return report(s.err());
  protocol::Request req;
  req.set_request_id("log");
  auto* q = req.mutable_log();
  auto n = ctx.vm["number"].as<unsigned>();
  if (n == 0 || n > 10000)
    return report(make_error("log: -n " + std::to_string(n)
                             + " is outside 1 .. 10000"));
  q->set_limit(n);
  if (ctx.vm.count("scope"))
    q->set_scope(ctx.vm["scope"].as<std::string>());
  bool verify = ctx.vm.count("verify") > 0;
  q->set_verify(verify);
  q->set_stale(ctx.vm.count("stale") > 0);
  auto resp = (*s)->call(req);
  if (!resp)
    return report(resp.err());
  const auto& r = resp->log_reply();
  if (r.stale())
    warn_stale(r.stale_reason());
  std::vector<protocol::ConfigEntry> entries(r.entries().begin(),
                                             r.entries().end());
  // The client checks the links it was sent as well, so a gateway that
  // altered entries in transit is caught too (unscoped runs only: a scoped
  // run skips entries).
  journal::chain_report local;
  if (verify && !q->scope().size()) {
    std::vector<protocol::ConfigEntry> asc(entries.rbegin(), entries.rend());
    local = journal::verify_chain(asc);
  }
  bool ok = !verify || (r.verified() && local.ok);
  std::string why = !r.verified() ? r.verify_error()
                    : !local.ok   ? "entry " + std::to_string(local.first_bad)
                                    + " as received: " + local.reason
                                  : "";
  if (ctx.json) {
    nlohmann::json j{{"entries", nlohmann::json::array()},
                     {"last_sequence", r.last_sequence()}};
    for (auto& e : entries)
      j["entries"].push_back(client::entry_json(e));
    if (verify)
      j["verify"] = {{"ok", ok}, {"error", ok ? "" : why}};
    if (r.stale())
      j["stale"] = true;
    std::cout << j.dump(2) << "\n";
  } else {
    if (entries.empty())
      std::cout << "no entries"
                << (q->scope().empty() ? "" : " for " + q->scope()) << "\n";
    else
      std::cout << client::render_entries_text(entries);
    if (verify && ok)
      std::cout << "hash chain verified: " << r.total_entries()
                << " entries intact\n";
  }
  if (!ok)
    return report(make_error("hash chain broken: " + why));
  return 0;
}

} // namespace

command log_command() {
  command c;
  c.name = "log";
  c.summary = "Show the most recent journal entries, newest first";
  c.usage = "[-n N] [--scope global|vc:NAME|node:NAME] [--verify] [--stale]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    desc.add_options()("number,n", po::value<unsigned>()->default_value(20),
                       "How many entries (newest first)")(
      "scope", po::value<std::string>(), "Only entries of this scope")(
      "verify", "Verify the SHA-256 hash chain of the whole journal")(
      "stale", "Read from the local replica without a ReadIndex round");
  };
  c.run = run_log;
  return c;
}

} // namespace pact::cli
