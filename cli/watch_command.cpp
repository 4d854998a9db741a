// `pact watch [--vcluster V] [--from SEQ] [--count N]`: prints journal
// entries as they are committed, until Ctrl-C (or N entries). Long polls
// the gateway; when the connection drops it reconnects with back-off and
// resumes after the last entry it printed, so nothing is skipped or shown
// twice.

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <thread>

#include "actors/client/journal_session.hpp"
#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace po = boost::program_options;

namespace {

constexpr uint32_t poll_ms = 10000;

void print(const context& ctx, const protocol::ConfigEntry& e) {
  if (ctx.json) {
    std::cout << render::entry_json(e).dump() << std::endl;
    return;
  }
  std::cout << std::left << std::setw(7) << e.sequence() << " "
            << render::time_text(e.timestamp_unix_ms()) << "  " << std::setw(18)
            << render::entry_type_name(e.entry_type()) << std::setw(20)
            << terminal_safe(render::scope_text(e.scope())) << std::setw(18)
            << terminal_safe(e.author().principal())
            << terminal_safe(e.message()) << std::endl;
}

int run_watch(context& ctx) {
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  auto vc = ctx.cfg.get_string("vcluster");
  auto limit = ctx.vm.count("count") ? ctx.vm["count"].as<uint64_t>() : 0;
  bool positioned = ctx.vm.count("from") > 0;
  uint64_t after = positioned ? ctx.vm["from"].as<uint64_t>() : 0;
  if (after > 0)
    --after; // --from names the first entry to show
  uint64_t shown = 0;
  auto backoff = std::chrono::milliseconds(250);
  bool announced = false;
  for (;;) {
    protocol::Request req;
    req.set_request_id("watch");
    auto* w = req.mutable_watch();
    w->set_vcluster(vc);
    w->set_after_sequence(after);
    w->set_from_now(!positioned);
    w->set_wait_ms(poll_ms);
    auto resp = (*s)->call(req, std::chrono::milliseconds(poll_ms + 2000));
    if (!resp) {
      if (resp.err().code != exit_code::unavailable)
        return report(resp.err());
      std::cerr << "pact: watch: " << terminal_safe(resp.err().message)
                << "; reconnecting in " << backoff.count()
                << " ms (resuming after entry " << after << ")" << std::endl;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(250);
    const auto& r = resp->watch_reply();
    if (!positioned) {
      positioned = true;
      after = r.last_sequence();
    } else {
      for (auto& e : r.entries()) {
        print(ctx, e);
        // Nobody reads any more (closed pipe, full disk): stop; the exit
        // path reports it (docs/cli.md "Output").
        if (!std::cout)
          return 0;
        after = e.sequence();
        if (limit != 0 && ++shown >= limit)
          return 0;
      }
      after = std::max(after, r.last_sequence());
    }
    if (!announced) {
      announced = true;
      std::cerr << "watching "
                << (vc.empty() ? "the journal" : "vcluster " + vc)
                << " after entry " << after << " (Ctrl-C to stop)" << std::endl;
    }
  }
}

} // namespace

command watch_command() {
  command c;
  c.name = "watch";
  c.summary = "Stream journal entries as they are committed";
  c.usage = "[--vcluster V] [--from SEQ] [--count N]";
  c.declare = [](po::options_description& desc,
                 po::positional_options_description&) {
    desc.add_options()("from", po::value<uint64_t>(),
                       "Start at this entry (default: only new entries)")(
      "count", po::value<uint64_t>(), "Stop after this many entries");
  };
  c.run = run_watch;
  return c;
}

} // namespace pact::cli
