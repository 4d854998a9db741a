#include "actors/client/client.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include <google/protobuf/stubs/logging.h>

#include "actors/net/tls_transport.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/render/failure.hpp"
#include "runtime/tls/tls_files.hpp"

namespace pact::client {

namespace {

/// A server's refusal names the request it refused: the server logged it
/// under this id ("request ID refused ..."; docs/operations.md, "Logs").
error with_request_id(error e, const protocol::Request& req) {
  if (!req.request_id().empty())
    e.message += " (request " + req.request_id() + ")";
  return e;
}

/// act_for_ai_agent() was called (pact-mcp).
std::atomic<bool> for_ai_agent{false};

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string seconds_text(milliseconds ms) {
  auto s = ms.count() / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", s);
  return buf;
}

milliseconds left_until(steady_clock::time_point deadline) {
  auto left
    = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
  return left.count() < 1 ? milliseconds{1} : left;
}

/// Pause after every endpoint failed once: long enough for an election to
/// make progress, short against the deadline.
constexpr milliseconds round_pause{200};
/// The least time worth starting an attempt with (a connect on a loaded
/// host takes tens of milliseconds).
constexpr milliseconds min_connect{100};

/// Whether an answer came from a replica that could not confirm it is
/// current (LogReply/StateReply.stale).
bool is_stale(const protocol::Response& r) {
  return (r.has_log_reply() && r.log_reply().stale())
         || (r.has_state_reply() && r.state_reply().stale());
}

/// Longest a single connect may take when other endpoints remain to try,
/// so that one silent host does not use up the whole deadline.
constexpr milliseconds connect_cap{2000};

} // namespace

connection::connection(caf::actor_system& sys, options opts)
  : sys_(sys), opts_(std::move(opts)) {
  // libprotobuf prints its own complaints (invalid UTF-8) on stderr; the
  // client turns them into its own messages, so no library text reaches an
  // operator.
  static std::once_flag quiet;
  std::call_once(quiet, [] { google::protobuf::SetLogHandler(nullptr); });
  if (opts_.targets.empty())
    opts_.targets.push_back(endpoint{false, "localhost", 9443});
}

connection::~connection() {
  // The middleman's thread ends only when no handle is left
  // (tls_transport.hpp); this connection is its only user.
  if (tls_)
    caf::anon_send_exit(tls_, caf::exit_reason::kill);
}

expected<caf::io::middleman_actor> connection::tls_middleman() {
  if (tls_)
    return tls_;
  tls::client_settings cs;
  cs.trust_pem = opts_.trust_pem;
  cs.trust_source = opts_.ca_bundle;
  if (cs.trust_pem.empty()) {
    auto pem = tls::load_bundle("CA bundle (ca_bundle, PACT_CA_BUNDLE)",
                                opts_.ca_bundle);
    if (!pem)
      return pem.err();
    cs.trust_pem = std::move(*pem);
  }
  std::string why;
  auto ctx = tls::context::client(cs, why);
  if (!ctx)
    return make_error("CA bundle " + opts_.ca_bundle + ": " + why);
  net::tls_policy p;
  p.client = std::make_shared<tls::context_slot>(ctx);
  p.expect_name = opts_.expect_name;
  p.expect_serial = opts_.expect_serial;
  tls_ = net::spawn_tls_middleman(sys_, std::move(p));
  return tls_;
}

expected<caf::actor> connection::connect(milliseconds budget) {
  auto where = opts_.what + " at " + current().url();
  auto mm = sys_.middleman().actor_handle();
  if (current().tls) {
    auto m = tls_middleman();
    if (!m)
      return make_error("cannot connect to " + where + ": " + m.err().message,
                        exit_code::general_error);
    mm = *m;
  }
  caf::scoped_actor self{sys_};
  expected<caf::actor> result = make_error("no answer");
  self
    ->request(mm, budget, caf::connect_atom::value, current().host,
              current().port)
    .receive(
      [&](const caf::node_id&, caf::strong_actor_ptr& ptr,
          const std::set<std::string>&) {
        if (!ptr)
          result = make_error("cannot connect to " + where
                                + ": no actor published on that port",
                              exit_code::unavailable);
        else
          result = caf::actor_cast<caf::actor>(std::move(ptr));
      },
      [&](caf::error& err) {
        // The TLS middleman says why a handshake failed: the server's
        // certificate did not verify (exit 2, an authentication failure;
        // no use retrying), or the server does not speak TLS.
        std::string tls_why;
        if (current().tls && err.context().size() == 1
            && err.context().match_element<std::string>(0))
          tls_why = err.context().get_as<std::string>(0);
        if (!tls_why.empty()) {
          bool cert = tls_why.rfind("certificate verify failed", 0) == 0
                      || tls_why.find("refused our certificate")
                           != std::string::npos;
          result = make_error("cannot connect to " + where + ": " + tls_why,
                              cert ? exit_code::auth_failure
                                   : exit_code::unavailable);
          return;
        }
        std::string why
          = err == caf::sec::request_timeout
              ? "no answer within " + seconds_text(budget)
            : err == caf::sec::disconnect_during_handshake && !current().tls
              // What a TLS listener does to a plain client.
              ? "the server closed the connection before answering (if it "
                "serves TLS, use an https:// endpoint)"
              : "connection refused or host unreachable";
        result = make_error("cannot connect to " + where + ": " + why,
                            exit_code::unavailable);
      });
  return result;
}

connection::attempt connection::call_once(const protocol::Request& req,
                                          steady_clock::time_point deadline,
                                          milliseconds connect_budget) {
  attempt out;
  if (!server_) {
    auto s = connect(std::min(connect_budget, left_until(deadline)));
    if (!s) {
      out.result = s.err();
      // Nothing was sent; another endpoint may do, but not when this one
      // failed to prove who it is or the CA bundle is unusable.
      out.retry = s.err().code == exit_code::unavailable;
      return out;
    }
    server_ = *s;
  }
  auto where = opts_.what + " at " + current().url();
  // An async send plus a monitor rather than a request: a request to a
  // remote actor whose connection drops only fails at its deadline, while
  // the monitor reports the lost connection at once (`pact watch` relies
  // on this to reconnect promptly).
  caf::scoped_actor self{sys_};
  self->monitor(server_);
  // The answer is addressed to the handle inside the message, not to the
  // BASP sender (api_endpoint.hpp: CAF 0.17 can lose the sender of a
  // message on a new connection).
  self->send(server_, protocol::api_atom::value, req.SerializeAsString(),
             caf::actor_cast<caf::actor>(self));
  bool write = req.has_command() || req.has_propose();
  auto lost = [&](const std::string& why) {
    server_ = nullptr;
    out.result
      = make_error(where + " failed: " + why
                     + (write ? "; the write's outcome is unknown" : ""),
                   exit_code::unavailable);
    out.retry = true;
    out.maybe_applied = write;
  };
  auto budget = left_until(deadline);
  self->receive(
    [&](const std::string& bytes) {
      protocol::Response resp;
      if (!resp.ParseFromString(bytes)) {
        out.result = make_error(where + " sent a malformed response");
        return;
      }
      const auto& st = resp.status();
      // An agent's refusal for want of a second person's grant is for the
      // caller to act on (agent_drift.hpp, approval_refusal).
      if (st.code() == protocol::STATUS_CODE_OK || st.approval_required()) {
        out.result = std::move(resp);
        return;
      }
      // One table decides the message and exit code (render/failure.hpp).
      out.result = with_request_id(render::failure_of(st, where), req);
      out.retry = protocol::retryable(st.reason());
      out.answered = true;
      out.maybe_applied = st.reason() == protocol::ERROR_REASON_OUTCOME_UNKNOWN;
    },
    [&](caf::down_msg&) { lost("connection lost"); },
    [&](caf::error& err) { lost(protocol::message_of(err)); },
    caf::after(budget) >>
      [&] {
        lost("no answer before the deadline (timeout "
             + seconds_text(opts_.timeout) + ")");
      });
  if (server_)
    self->demonitor(server_);
  return out;
}

void act_for_ai_agent() {
  for_ai_agent.store(true);
}

expected<protocol::Response> connection::call_streaming(
  protocol::Request req, milliseconds extra,
  const std::function<void(const std::string&)>& on_chunk,
  const std::function<void(const caf::actor&, const std::string&)>& on_attach,
  const std::function<bool()>& stop) {
  auto deadline = steady_clock::now() + opts_.timeout + extra;
  req.set_version(protocol::PROTOCOL_VERSION_1);
  req.set_request_id(req.request_id() + "#" + new_request_id().substr(0, 8));
  if (req.token().empty())
    req.set_token(opts_.token);
  if (for_ai_agent.load())
    req.set_ai_agent(true);
  if (!server_) {
    auto s = connect(std::min(opts_.timeout, left_until(deadline)));
    if (!s)
      return s.err();
    server_ = *s;
  }
  auto where = opts_.what + " at " + current().url();
  caf::scoped_actor self{sys_};
  self->monitor(server_);
  self->send(server_, protocol::api_atom::value, req.SerializeAsString(),
             caf::actor_cast<caf::actor>(self));
  expected<protocol::Response> result = make_error("no answer");
  uint32_t chunks = 0;
  bool done = false;
  auto lost = [&](const std::string& why) {
    server_ = nullptr;
    result = make_error(where + " failed: " + why
                          + "; the command's outcome is unknown",
                        exit_code::unavailable);
    done = true;
  };
  while (!done)
    self->receive(
      [&](protocol::exec_chunk_atom, const std::string& bytes) {
        ++chunks;
        on_chunk(bytes);
      },
      [&](protocol::shell_attach_atom, const caf::actor& session,
          const std::string& secret) {
        if (on_attach)
          on_attach(session, secret);
      },
      [&](const std::string& bytes) {
        done = true;
        protocol::Response resp;
        if (!resp.ParseFromString(bytes))
          result = make_error(where + " sent a malformed response");
        else if (resp.status().code() != protocol::STATUS_CODE_OK
                 && !resp.status().approval_required())
          result = with_request_id(render::failure_of(resp.status(), where),
                                   req);
        else
          result = std::move(resp);
      },
      [&](caf::down_msg&) { lost("connection lost"); },
      [&](caf::error& err) { lost(protocol::message_of(err)); },
      caf::after(stop ? std::min(left_until(deadline), milliseconds(stop_poll))
                      : left_until(deadline))
        >>
        [&] {
          if (left_until(deadline) <= milliseconds::zero())
            lost("no answer before the deadline");
          else if (stop && stop()) {
            result = make_error("stopped waiting for " + where
                                + "; the command's outcome is unknown");
            done = true;
          }
        });
  // Chunks sent before the answer but behind it on the way (the agent
  // sends them from another actor) still come: wait for them, briefly.
  auto want = !result                     ? 0
              : result->has_exec_reply()  ? result->exec_reply().chunks_sent()
              : result->has_shell_reply() ? result->shell_reply().chunks_sent()
                                          : 0;
  auto tail = steady_clock::now() + std::chrono::seconds(2);
  bool more = chunks < want;
  while (more)
    self->receive(
      [&](protocol::exec_chunk_atom, const std::string& bytes) {
        on_chunk(bytes);
        more = ++chunks < want;
      },
      caf::after(left_until(tail)) >> [&] { more = false; });
  if (server_)
    self->demonitor(server_);
  return result;
}

milliseconds connection::min_attempt() const {
  return std::min(milliseconds{5000}, opts_.timeout / 2);
}

expected<protocol::Response> connection::call(protocol::Request req,
                                              milliseconds extra) {
  // Attempts start until the timeout; each may wait `extra` longer for its
  // answer (a long poll), but a long poll that fails late is not retried:
  // its caller (pact watch) reconnects and says so.
  auto retry_until = steady_clock::now() + opts_.timeout;
  auto deadline = retry_until + extra;
  req.set_version(protocol::PROTOCOL_VERSION_1);
  // Unique per invocation, so that one request can be followed through the
  // journal's debug log.
  req.set_request_id(req.request_id() + "#" + new_request_id().substr(0, 8));
  if (req.token().empty())
    req.set_token(opts_.token);
  if (for_ai_agent.load())
    req.set_ai_agent(true);
  // proto3 strings must be UTF-8: a request holding other bytes would be
  // refused by the server as "malformed". Say what is wrong instead.
  if (protocol::Request check; !check.ParseFromString(req.SerializeAsString()))
    return make_error("the request holds text that is not valid UTF-8 (a "
                      "message, key, value or name); pact stores UTF-8 text "
                      "only");
  auto n = opts_.targets.size();
  auto connect_budget = n > 1 ? connect_cap : opts_.timeout;
  std::vector<std::string> tried;
  // The first attempt whose write may have landed: a later "not proposed"
  // or silence does not make its outcome known.
  std::optional<error> unknown;
  // A possibly stale answer (that replica's store refuses writes): another
  // endpoint may give a current one; it is kept in case none does.
  std::optional<protocol::Response> stale;
  size_t stale_answers = 0;
  for (size_t attempts = 1;; ++attempts) {
    auto a = call_once(req, deadline, connect_budget);
    if (a.result && is_stale(*a.result) && ++stale_answers < n
        && left_until(retry_until) >= min_attempt()) {
      if (!stale)
        stale = std::move(*a.result);
      server_ = nullptr;
      current_ = (current_ + 1) % n;
      continue;
    }
    if (a.result || !a.retry)
      return std::move(a.result);
    if (stale)
      return std::move(*stale);
    if (a.maybe_applied && !unknown)
      unknown = a.result.err();
    if (std::find(tried.begin(), tried.end(), current().url()) == tried.end())
      tried.push_back(current().url());
    server_ = nullptr;
    // After a server's answer (no leader yet, replica down...) a new
    // attempt may be held by the journal for up to its election wait; one
    // started too late would be cut off by our own deadline and could only
    // report silence ("outcome unknown" for a write that was never
    // proposed). Stop and report the answer instead.
    bool too_late = a.answered && left_until(retry_until) < min_attempt();
    // Nor is one started with only milliseconds left (after the pause
    // between rounds): it could only fail for lack of time ("no answer
    // within 0.001 s") and hide why every endpoint refused (CI, stop 27).
    auto pause = (attempts % n == 0) ? round_pause : milliseconds{0};
    bool no_room = left_until(retry_until) < pause + min_connect;
    if (too_late || no_room) {
      auto e = unknown ? *unknown : a.result.err();
      if (tried.size() > 1) {
        e.message += " (tried";
        for (auto& url : tried)
          e.message += " " + url;
        e.message += ")";
      }
      return e;
    }
    current_ = (current_ + 1) % n;
    // Every endpoint failed once: give an election time to finish.
    if (pause.count() > 0)
      std::this_thread::sleep_for(pause);
  }
}

std::string new_request_id() {
  std::random_device rd; // /dev/urandom on Linux
  std::string id;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    auto v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4)
      id.push_back(hex[v & 0xf]);
  }
  return id;
}

} // namespace pact::client
