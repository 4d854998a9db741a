#include "actors/client/client.hpp"

#include <set>

#include <caf/io/middleman.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include "protocol/caf_types.hpp"

namespace pact::client {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string seconds_text(milliseconds ms) {
  auto s = ms.count() / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", s);
  return buf;
}

} // namespace

connection::connection(caf::actor_system& sys, options opts)
  : sys_(sys), opts_(std::move(opts)) {
  // Nothing to do.
}

expected<caf::actor> connection::connect(milliseconds budget) {
  auto where = opts_.what + " at " + opts_.target.url();
  if (opts_.target.tls)
    return make_error("cannot connect to " + where
                        + ": TLS endpoints (https://) are not supported by "
                          "this build yet (see docs/security.md)",
                      exit_code::unavailable);
  caf::scoped_actor self{sys_};
  auto mm = sys_.middleman().actor_handle();
  expected<caf::actor> result = make_error("no answer");
  self
    ->request(mm, budget, caf::connect_atom::value, opts_.target.host,
              opts_.target.port)
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
        std::string why = err == caf::sec::request_timeout
                            ? "no answer within " + seconds_text(budget)
                            : "connection refused or host unreachable";
        result = make_error("cannot connect to " + where + ": " + why,
                            exit_code::unavailable);
      });
  return result;
}

expected<protocol::Response> connection::call(protocol::Request req,
                                              milliseconds extra) {
  auto start = steady_clock::now();
  if (!server_) {
    auto s = connect(opts_.timeout);
    if (!s)
      return s.err();
    server_ = *s;
  }
  auto left = opts_.timeout
              - std::chrono::duration_cast<milliseconds>(steady_clock::now()
                                                         - start);
  if (left.count() < 1)
    left = milliseconds{1};
  left += extra;
  req.set_version(protocol::PROTOCOL_VERSION_1);
  if (req.token().empty())
    req.set_token(opts_.token);
  auto where = opts_.what + " at " + opts_.target.url();
  expected<protocol::Response> result = make_error("no answer");
  // An async send plus a monitor rather than a request: a request to a
  // remote actor whose connection drops only fails at its deadline, while
  // the monitor reports the lost connection at once (`pact watch` relies
  // on this to reconnect promptly).
  caf::scoped_actor self{sys_};
  self->monitor(server_);
  self->send(server_, protocol::api_atom::value, req.SerializeAsString());
  auto lost = [&](const std::string& why) {
    server_ = nullptr;
    result = make_error(where + " failed: " + why, exit_code::unavailable);
  };
  self->receive(
    [&](const std::string& bytes) {
      protocol::Response resp;
      if (!resp.ParseFromString(bytes))
        result = make_error(where + " sent a malformed response");
      else if (resp.status().code() != protocol::STATUS_CODE_OK)
        result = make_error(resp.status().message(),
                            to_exit_code(resp.status().code()));
      else
        result = std::move(resp);
    },
    [&](caf::down_msg& dm) {
      lost("connection lost (" + sys_.render(dm.reason) + ")");
    },
    [&](caf::error& err) { lost(sys_.render(err)); },
    caf::after(left) >> [&] {
      lost("no answer within " + seconds_text(opts_.timeout));
    });
  if (server_)
    self->demonitor(server_);
  return result;
}

exit_code to_exit_code(protocol::StatusCode code) {
  switch (code) {
    case protocol::STATUS_CODE_OK:
      return exit_code::success;
    case protocol::STATUS_CODE_UNAUTHORIZED:
      return exit_code::auth_failure;
    case protocol::STATUS_CODE_POLICY_REJECTED:
      return exit_code::policy_rejection;
    case protocol::STATUS_CODE_CONFLICT:
      return exit_code::conflict;
    case protocol::STATUS_CODE_UNAVAILABLE:
      return exit_code::unavailable;
    case protocol::STATUS_CODE_NOT_WHITELISTED:
      return exit_code::not_whitelisted;
    case protocol::STATUS_CODE_ROLLBACK_BLOCKED:
      return exit_code::rollback_blocked;
    default:
      return exit_code::general_error;
  }
}

} // namespace pact::client
