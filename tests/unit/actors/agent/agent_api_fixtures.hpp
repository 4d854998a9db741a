#pragma once

// Stand-ins for the agent API's handler tests (exec_api_test.cpp,
// diag_api_test.cpp): an actor that hands an authenticated request to a
// handler as the agent API would, a supervisor that knows only the journal
// link, and a loop that lets coordinated actors run while a detached one
// (a command runner, a log reader) works on its own thread.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include <caf/event_based_actor.hpp>

#include "actors/daemon/api_endpoint.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/policy/roles.hpp"
#include "tests/unit/actors/coordinator_config.hpp"

namespace pact::test {

using api_handler_fn
  = std::function<void(caf::event_based_actor*, const protocol::Request&,
                       const policy::authenticated&, daemon::api_reply)>;

/// (request bytes, group): an authenticated request of "sam" holding that
/// group, handed to `handle`; the answer goes to `client`.
inline caf::behavior fake_api_host(caf::event_based_actor* self,
                                   api_handler_fn handle, caf::actor client) {
  auto ctx = std::make_shared<daemon::api_context>();
  return {
    [self, handle, client, ctx](const std::string& bytes,
                                const std::string& group) {
      protocol::Request req;
      CHECK(req.ParseFromString(bytes));
      policy::authenticated who;
      who.claims.subject = "sam";
      who.roles = policy::parse_roles({group});
      ++ctx->in_flight;
      handle(self, req, who,
             daemon::api_reply(self->make_response_promise(), client, ctx,
                               req.request_id()));
    },
  };
}

/// The agent's supervisor as handlers see it: it knows the journal link.
inline caf::behavior fake_link_supervisor(caf::event_based_actor*,
                                          caf::actor link) {
  return {
    [link](protocol::child_atom, const std::string& name) {
      CHECK(name == "agent/journal-link");
      return link;
    },
  };
}

/// Runs the coordinated actors until `done()`, waiting between rounds
/// for detached actors (at most 5 s).
template <class Done>
void run_until(coordinated_system& c, Done done) {
  for (int i = 0; i < 500 && !done(); ++i) {
    c.run();
    if (!done())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

} // namespace pact::test
