#include "cli/approval_wait.hpp"

#include <atomic>
#include <csignal>
#include <iostream>

#include "actors/client/approval.hpp"
#include "runtime/render/failure.hpp"

namespace pact::cli {

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_sigint(int) {
  interrupted.store(true);
}

/// SIGINT sets the flag instead of ending the process, while it lives.
class sigint_guard {
public:
  sigint_guard() {
    interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~sigint_guard() {
    sigaction(SIGINT, &old_, nullptr);
  }
  sigint_guard(const sigint_guard&) = delete;
  sigint_guard& operator=(const sigint_guard&) = delete;

private:
  struct sigaction old_ {};
};

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string vclusters_of(const protocol::Approval& a) {
  std::string out;
  for (const auto& vc : a.vclusters())
    out += (out.empty() ? "" : ", ") + vc;
  return out;
}

} // namespace

expected<protocol::Approval> await_decision(client::journal_session& s,
                                            const protocol::Approval& pending) {
  if (pending.state() != protocol::APPROVAL_STATE_PENDING)
    return pending;
  // Before the prompt: a Ctrl-C as soon as it shows backgrounds, never
  // kills.
  sigint_guard guard;
  std::cerr << "Approval required (two-person policy on vcluster: "
            << vclusters_of(pending) << ")\n"
            << "Pending approval: " << pending.id() << " (expires in "
            << client::duration_text(pending.expires_unix_ms() - now_unix_ms())
            << ")\n"
            << "Waiting for approval... (Ctrl-C to background)" << std::endl;
  auto w = client::wait_for_decision(
    s, pending, [] { return interrupted.load(); },
    [](const error& e) {
      std::cerr << "pact: warning: cannot read the approval's state ("
                << e.message << "); still waiting until its deadline"
                << std::endl;
    });
  if (!w)
    return w.err();
  if (w->interrupted)
    return make_error(
      "backgrounded: " + pending.id() + " stays pending for "
        + client::duration_text(pending.expires_unix_ms() - now_unix_ms())
        + "; it takes effect when a second admin runs `pact approve accept "
        + pending.id() + "` (`pact approve list` shows it)",
      exit_code::success);
  return w->approval;
}

expected<protocol::CommandReply>
await_approval(client::journal_session& s, const protocol::CommandReply& held) {
  auto decided = await_decision(s, held.result().approval());
  if (!decided)
    return decided.err();
  if (auto why = client::not_granted(*decided))
    return *why;
  std::cerr << "Approved by " << decided->decided_by().principal() << " ("
            << decided->id() << ")" << std::endl;
  // The write was applied by the journal, as its requester, when it was
  // approved: its own result is the command's.
  const auto& result = decided->result();
  if (result.status().code() != protocol::STATUS_CODE_OK)
    return render::failure_of(result.status(), "journal");
  protocol::CommandReply out;
  *out.mutable_result() = result;
  return out;
}

} // namespace pact::cli
