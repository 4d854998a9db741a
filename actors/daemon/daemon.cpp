#include "actors/daemon/daemon.hpp"

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervision/health.hpp"
#include "actors/supervision/health_registry.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/logging.hpp"

namespace pact::daemon {

namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

void block_shutdown_signals() {
  auto set = shutdown_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_until_shutdown(caf::actor_system& sys, const caf::actor& root) {
  caf::scoped_actor self{sys};
  self->monitor(root);
  caf::actor me = caf::actor_cast<caf::actor>(self);
  std::thread waiter([me] {
    auto set = shutdown_set();
    int sig = 0;
    sigwait(&set, &sig);
    caf::anon_send(me, sig);
  });
  int status = 0;
  bool root_down = false;
  self->receive(
    [&](int sig) { spdlog::info("received signal {}, shutting down", sig); },
    [&](caf::down_msg& dm) {
      root_down = true;
      status = dm.reason ? 1 : 0;
      if (dm.reason)
        spdlog::critical("root supervisor failed: {}",
                         supervision::error_text(sys, dm.reason));
    });
  if (!root_down) {
    self->send_exit(root, caf::exit_reason::user_shutdown);
    self->receive([](caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >>
                    [] {
                      spdlog::warn("actor tree did not stop within 10 s");
                    });
  } else {
    // Wake the waiter; signals are blocked, so this only makes SIGTERM
    // pending for that thread, which sigwait() then consumes.
    pthread_kill(waiter.native_handle(), SIGTERM);
  }
  waiter.join();
  return status;
}

expected<uint16_t>
await_published(caf::actor_system& sys, caf::scoped_actor& self,
                const caf::actor& root, const std::string& what, int count) {
  expected<uint16_t> result = make_error(what + " did not start within 15 s");
  self->monitor(root);
  // The actor clock (CAF's, which the test coordinator can drive), like
  // every actor deadline.
  auto deadline = sys.clock().now() + std::chrono::seconds(15);
  for (int got = 0; got < count;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - sys.clock().now());
    if (left.count() <= 0) {
      result = make_error(what + " did not start within 15 s");
      break;
    }
    bool stop = false;
    self->receive(
      [&](protocol::published_atom, uint16_t port) {
        result = port;
        ++got;
      },
      [&](caf::down_msg& dm) {
        result = make_error("cannot start the " + what + ": "
                            + supervision::error_text(sys, dm.reason));
        stop = true;
      },
      caf::after(left) >>
        [&] {
          result = make_error(what + " did not start within 15 s");
          stop = true;
        });
    if (stop)
      break;
  }
  self->demonitor(root);
  return result;
}

int run_daemon(caf::actor_system& sys, const daemon_tree& tree,
               const std::shared_ptr<const pact::clock>& wall) {
  caf::scoped_actor self{sys};
  auto registry = supervision::spawn_health_registry(
    sys, {tree.component, tree.node_id, PACT_VERSION}, wall);
  auto children = tree.children(registry, caf::actor_cast<caf::actor>(self));
  auto root = sys.spawn(
    supervision::supervisor,
    supervision::supervisor_spec{{registry, tree.component}, children, {}});
  self->send(registry, protocol::health_register_atom::value, tree.component,
             std::string("supervisor"), std::string(), root);
  auto bound = await_published(sys, self, root, tree.component, tree.ports);
  status ready = bound ? tree.on_ready() : status{bound.err()};
  if (!ready) {
    // A log shipper reads JSON logs line by line: the reason the daemon
    // stops is one of them then.
    if (logging_as_json())
      spdlog::critical("{}", ready.err().message);
    else
      std::cerr << "pact-" << tree.component << ": " << ready.err().message
                << "\n";
    self->send_exit(root, caf::exit_reason::user_shutdown);
    self->send_exit(registry, caf::exit_reason::user_shutdown);
    return to_int(ready.err().code);
  }
  int rc = run_until_shutdown(sys, root);
  self->send_exit(registry, caf::exit_reason::user_shutdown);
  spdlog::info("pact-{} stopped", tree.component);
  return rc;
}

std::string connect_host(const std::string& listen_host) {
  if (listen_host == "0.0.0.0" || listen_host.empty())
    return "127.0.0.1";
  if (listen_host == "::")
    return "::1";
  return listen_host;
}

} // namespace pact::daemon
