#include "cli/enroll_status.hpp"

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/render/journal_render.hpp"

namespace pact::cli {

namespace {

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// "registered", "active", "revoked"; "none" for a node the journal knows
/// but that was never registered for a certificate.
std::string state_name(const protocol::NodeRecord& rec) {
  if (!rec.has_enrollment())
    return "none";
  switch (rec.enrollment().state()) {
    case protocol::ENROLLMENT_STATE_REGISTERED:
      return "registered";
    case protocol::ENROLLMENT_STATE_ACTIVE:
      return "active";
    case protocol::ENROLLMENT_STATE_REVOKED:
      return "revoked";
    default:
      return "none";
  }
}

nlohmann::json status_json(const protocol::NodeRecord& rec, int64_t now) {
  const auto& en = rec.enrollment();
  auto opt_time = [](int64_t ms) {
    return ms == 0 ? nlohmann::json(nullptr)
                   : nlohmann::json(render::time_text(ms));
  };
  bool has_cert = !en.cert_serial().empty();
  return {{"node", rec.node()},
          {"state", state_name(rec)},
          {"vcluster", rec.vcluster()},
          {"hardware_id", en.hardware_id()},
          {"cert_serial", en.cert_serial()},
          {"cert_not_after", opt_time(en.cert_not_after_unix_ms())},
          {"cert_expired", has_cert && en.cert_not_after_unix_ms() <= now},
          {"activated", opt_time(en.activated_unix_ms())},
          {"enrolled_sequence", en.enrolled_sequence()},
          {"revoked_sequence", en.revoked_sequence()}};
}

void print_text(const protocol::NodeRecord& rec, int64_t now) {
  const auto& en = rec.enrollment();
  auto state = state_name(rec);
  std::cout << "node " << terminal_safe(rec.node()) << "\n"
            << "  state:       " << state << "\n"
            << "  vcluster:    "
            << (rec.vcluster().empty() ? std::string("(none)")
                                       : terminal_safe(rec.vcluster()))
            << "\n";
  if (state == "none") {
    std::cout << "  not registered for a certificate: run `pact enroll "
              << terminal_safe(rec.node()) << " --vcluster V`\n";
    return;
  }
  std::cout << "  hardware id: "
            << (en.hardware_id().empty()
                  ? std::string("(not bound: the first certificate request "
                                "binds it)")
                  : terminal_safe(en.hardware_id()))
            << "\n";
  if (en.cert_serial().empty()) {
    std::cout << "  certificate: none issued yet\n";
  } else {
    bool expired = en.cert_not_after_unix_ms() <= now;
    std::cout << "  certificate: serial " << en.cert_serial()
              << (expired ? ", expired " : ", expires ")
              << render::time_text(en.cert_not_after_unix_ms()) << "\n"
              << "  activated:   " << render::time_text(en.activated_unix_ms())
              << "\n";
  }
  if (state == "registered")
    std::cout << "  waiting for the node's first certificate request (its "
                 "one-time token)\n";
  std::cout << "  enrolled:    entry " << en.enrolled_sequence() << "\n"
            << "  revoked:     "
            << (en.revoked_sequence() == 0
                  ? std::string("no")
                  : "entry " + std::to_string(en.revoked_sequence()))
            << "\n";
}

} // namespace

int run_enroll_status(context& ctx, const std::string& node) {
  auto s = open_session(ctx);
  if (!s)
    return report(s.err());
  auto st = (*s)->state("", node);
  if (!st)
    return report(st.err());
  const protocol::NodeRecord* rec = nullptr;
  for (const auto& n : st->nodes())
    if (n.node() == node)
      rec = &n;
  if (rec == nullptr)
    return report(make_error("node '" + node
                             + "' is not known to the journal (enroll it: "
                               "pact enroll "
                             + node + " --vcluster V)"));
  auto now = now_unix_ms();
  if (ctx.json)
    std::cout << status_json(*rec, now).dump(2) << "\n";
  else
    print_text(*rec, now);
  return 0;
}

} // namespace pact::cli
