#include "actors/agent/journal_link.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <random>
#include <set>

#include <caf/actor_registry.hpp>
#include <caf/io/middleman.hpp>
#include <caf/system_messages.hpp>
#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/journal_link_state.hpp"
#include "actors/agent/service_atoms.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/common/assert.hpp"
#include "runtime/common/files.hpp"
#include <pact/protocol/health.pb.h>

namespace pact::agent {

namespace detail {

using namespace pact::protocol;
using std::chrono::seconds;

Request make_request(const shared& d, const std::string& prefix) {
  Request req;
  req.set_version(PROTOCOL_VERSION_1);
  req.set_token(d->token);
  req.set_request_id(prefix + "-" + std::to_string(++d->request_seq));
  return req;
}

void send_request(self_ptr self, const shared& d, const Request& req) {
  PACT_ASSERT(d->journal != nullptr, "requests go to a connected journal");
  // The answer is addressed to the handle inside the message
  // (actors/daemon/api_endpoint.hpp says why), as plain bytes.
  self->send(d->journal, api_atom::value, req.SerializeAsString(),
             caf::actor_cast<caf::actor>(self));
}

std::pair<ActorState, std::string> link_state(const link_data& d) {
  bool booted = d.source == boot_source::journal
                || (d.source == boot_source::none && d.nothing_declared);
  bool healthy = d.connected && booted && d.token_problem.empty()
                 && d.displaced.empty();
  auto detail = d.token_problem.empty() ? d.status
                                        : d.status + "; " + d.token_problem;
  if (!d.displaced.empty())
    detail = "refused as a second agent of the node: " + d.displaced + "; "
             + detail;
  return {healthy ? ACTOR_STATE_RUNNING : ACTOR_STATE_DEGRADED, detail};
}

void set_status(self_ptr self, const shared& d, const std::string& status,
                bool warn) {
  // The log gets changes only: a steady link re-checks every report
  // interval and would repeat itself.
  if (status != d->status) {
    if (warn)
      spdlog::warn("journal link: {}", status);
    else
      spdlog::info("journal link: {}", status);
  }
  d->status = status;
  auto [st, detail] = link_state(*d);
  supervision::report(self, d->h, st, detail);
}

void send_report(self_ptr self, const shared& d) {
  if (!d->connected || d->token.empty())
    return;
  self->request(d->cfg.registry, seconds(5), health_snapshot_atom::value)
    .then([self, d](const std::string& tree) {
      if (!d->journal)
        return;
      NodeReport r;
      r.set_node_id(d->cfg.node_id);
      r.set_vcluster(d->cfg.vcluster);
      r.set_agent_endpoint(d->cfg.agent_endpoint());
      r.set_token(d->token);
      PACT_ASSERT(r.mutable_health()->ParseFromString(tree),
                  "health tree from the local registry");
      self->send(d->journal, node_report_atom::value, r.SerializeAsString());
    });
}

} // namespace detail

namespace {

using namespace pact::protocol;
using namespace detail;
using std::chrono::seconds;

/// Re-reads the node credential (it is renewed on disk while the agent
/// runs). A file that cannot be read now, or that is empty (being
/// rewritten, or emptied by mistake), is a problem the link's health shows
/// (degraded); the last good credential stays in use meanwhile, and an
/// agent that never read one sends nothing the journal would refuse.
/// Logs a change of the problem.
void refresh_token(const shared& d) {
  auto before = d->token_problem;
  if (d->cfg.credential)
    if (auto t = d->cfg.credential(); !t.empty()) {
      d->token = std::move(t);
      d->token_problem.clear();
      return;
    }
  auto fallback = [&d] {
    return d->token.empty() ? std::string("; the journal refuses this agent "
                                          "until the file holds the node's "
                                          "credential")
                            : std::string("; using the credential read before");
  };
  if (d->cfg.token_file.empty()) {
    d->token_problem = "no node credential (set agent.token_file); the "
                       "journal refuses this agent";
  } else if (auto text = files::read_all(d->cfg.token_file); !text) {
    d->token_problem = "node credential: " + text.err().message + fallback();
  } else {
    auto t = *text;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
      t.pop_back();
    if (t.empty()) {
      d->token_problem = "the node credential file " + d->cfg.token_file
                         + " (agent.token_file) is empty" + fallback();
    } else {
      d->token = t;
      d->token_problem.clear();
    }
  }
  if (d->token_problem == before)
    return;
  if (d->token_problem.empty())
    spdlog::info("journal link: the node credential in {} is readable again",
                 d->cfg.token_file);
  else
    spdlog::warn("journal link: {}", d->token_problem);
}

void connect(self_ptr self, const shared& d);

/// One endpoint failed: the next one at once, or, after a whole round,
/// the cache (if nothing is applied yet) and a jittered back-off.
void connect_failed(self_ptr self, const shared& d, const std::string& why) {
  d->connected = false;
  d->journal = nullptr;
  d->journal_url.clear();
  d->boot_request.clear();
  d->assembler.reset();
  requeue_in_flight(d);
  fail_operator_calls(d);
  if (++d->round_failures < d->cfg.journals.size()) {
    spdlog::warn("journal link: {}; trying the next replica", why);
    connect(self, d);
    return;
  }
  d->round_failures = 0;
  boot_from_cache(self, d);
  auto delay = d->backoff->next_delay();
  auto pre = d->source == boot_source::cache
               ? "running from the boot cache (" + d->boot_summary + "); "
               : std::string();
  set_status(self, d,
             pre + why + "; every journal replica failed, retrying in "
               + std::to_string(delay.count()) + " ms",
             true);
  self->delayed_send(self, delay, reconnect_atom::value);
}

void on_connected(self_ptr self, const shared& d, caf::actor journal,
                  const endpoint& target) {
  d->journal = std::move(journal);
  self->monitor(d->journal);
  d->connected = true;
  d->journal_url = target.url();
  d->round_failures = 0;
  d->backoff->reset();
  refresh_token(d);
  set_status(self, d, "connected to " + d->journal_url + "; booting", false);
  // The first report follows the boot's answer (journal_link_boot.cpp),
  // so that it shows how the boot went.
  request_boot(self, d, true);
  flush_commands(self, d);
}

void connect(self_ptr self, const shared& d) {
  auto target = d->cfg.journals[d->next % d->cfg.journals.size()];
  ++d->next;
  d->cfg.connector(
    self, target,
    [self, d, target](caf::actor journal) {
      on_connected(self, d, std::move(journal), target);
    },
    [self, d](std::string why) { connect_failed(self, d, why); });
}

void on_response(self_ptr self, const shared& d, const std::string& bytes) {
  Response resp;
  if (!resp.ParseFromString(bytes)) {
    spdlog::warn("journal link: dropped a malformed response");
    return;
  }
  const auto& id = resp.request_id();
  if (id.rfind("boot-", 0) == 0)
    on_boot_reply(self, d, resp);
  else if (id.rfind("cmd-", 0) == 0)
    on_command_reply(self, d, resp);
  else if (id.rfind("op-", 0) == 0)
    on_operator_reply(d, resp);
}

caf::message_handler link_handlers(self_ptr self, const shared& d) {
  return {
    [self, d](reconnect_atom) {
      if (d->cfg.may_start && !d->cfg.may_start()) {
        self->delayed_send(self, d->cfg.start_poll, reconnect_atom::value);
        return;
      }
      connect(self, d);
    },
    [self, d](report_tick_atom) {
      refresh_token(d);
      // The detail follows the credential at once (degraded while it is
      // missing, cleared when it is back), not only at the next change of
      // the connection's state.
      set_status(self, d, d->status, false);
      send_report(self, d);
      // Steady state: has what is declared for this node changed?
      if (d->connected && d->boot_request.empty())
        request_boot(self, d, false);
      claim_again(self, d);
      flush_commands(self, d);
      self->delayed_send(self, d->cfg.report_interval, report_tick_atom::value);
    },
    [self, d](boot_retry_atom) {
      // Unless a boot is under way again (reconnected) or done.
      if (d->connected && d->boot_request.empty())
        request_boot(self, d, d->source != boot_source::journal);
    },
    [self, d](boot_chunk_atom, const std::string& bytes) {
      on_boot_chunk(self, d, bytes);
    },
    [self, d](boot_timeout_atom, const std::string& id) {
      if (d->connected && d->boot_request == id) {
        self->demonitor(d->journal);
        connect_failed(self, d,
                       "the boot stream from " + d->journal_url
                         + " did not finish in time");
      }
    },
    [self, d](const std::string& bytes) { on_response(self, d, bytes); },
    [self, d](node_command_atom, const std::string& bytes) {
      JournalCommand cmd;
      if (!cmd.ParseFromString(bytes)) {
        spdlog::warn("journal link: dropped a malformed node command");
        return;
      }
      enqueue_command(self, d, std::move(cmd));
    },
    [d](declared_state_atom) { return declared_state(*d); },
    // A rollback changed the declared services: the supervisor hears now,
    // not at the next report.
    [self, d](declared_services_atom, const std::string& services) {
      send_services(self, *d, services);
    },
    // A service supervisor that starts after the boot asks for them.
    [d](declared_services_atom) { return declared_services(*d); },
    [self, d](operator_call_atom, const std::string& bytes) {
      operator_call(self, d, bytes);
    },
  };
}

} // namespace

journal_connector middleman_connector(caf::io::middleman_actor tls) {
  return [tls](caf::event_based_actor* self, const endpoint& target,
               std::function<void(caf::actor)> ok,
               std::function<void(std::string)> fail) {
    auto mm = target.tls && tls ? tls
                                : self->system().middleman().actor_handle();
    self
      ->request(mm, std::chrono::seconds(5), caf::connect_atom::value,
                target.host, target.port)
      .then(
        [ok, fail, target](const caf::node_id&, caf::strong_actor_ptr& ptr,
                           const std::set<std::string>&) {
          if (!ptr)
            fail("no journal published at " + target.url());
          else
            ok(caf::actor_cast<caf::actor>(ptr));
        },
        [fail, target](caf::error& err) {
          // A refused TLS handshake says why ("certificate verify failed:
          // ..."): the operator's fix differs from an unreachable host's.
          if (target.tls && err.context().size() == 1
              && err.context().match_element<std::string>(0))
            fail("journal at " + target.url() + ": "
                 + err.context().get_as<std::string>(0));
          else if (target.tls && err == caf::sec::disconnect_during_handshake)
            // TLS 1.3 tells a client that its certificate was refused only
            // after the client finished its handshake.
            fail("the journal at " + target.url()
                 + " closed the connection right after the TLS handshake: "
                   "it refused this node's certificate (certificate verify "
                   "failed on its side: expired, or from a CA it no longer "
                   "has after the whole cluster restarted; its log says "
                   "which): restart the agent to enroll again, or enroll "
                   "the node anew if it has no --token-file");
          else
            fail("journal unreachable at " + target.url());
        });
  };
}

caf::behavior journal_link(caf::event_based_actor* self,
                           supervision::health_handle h,
                           journal_link_config cfg) {
  auto d = std::make_shared<link_data>();
  d->h = std::move(h);
  d->cfg = std::move(cfg);
  if (d->cfg.journals.empty()) {
    self->quit(caf::make_error(caf::sec::invalid_argument,
                               "no journal endpoints configured"));
    return {};
  }
  if (!d->cfg.connector)
    d->cfg.connector = middleman_connector();
  if (!d->cfg.jitter)
    d->cfg.jitter = node::seeded_jitter(std::random_device{}());
  d->backoff = std::make_unique<node::boot_backoff>(
    std::chrono::seconds(1),
    std::max<std::chrono::milliseconds>(d->cfg.reconnect_max,
                                        std::chrono::seconds(1)),
    d->cfg.jitter);
  if (!d->cfg.drift_watcher) {
    auto* sys = &self->system();
    d->cfg.drift_watcher = [sys] {
      return caf::actor_cast<caf::actor>(
        sys->registry().get(drift_watcher_name));
    };
  }
  refresh_token(d);
  load_outbox(d);
  self->set_down_handler([self, d](caf::down_msg& dm) {
    if (d->journal && dm.source == d->journal.address())
      connect_failed(self, d, "lost the journal connection");
  });
  supervision::report(self, d->h, ACTOR_STATE_STARTING, d->status);
  self->send(self, reconnect_atom::value);
  self->delayed_send(self, d->cfg.report_interval, report_tick_atom::value);
  supervision::start_heartbeat(self);
  return link_handlers(self, d).or_else(supervision::heartbeat_behavior(
    self, d->h, [d] { return link_state(*d); }));
}

} // namespace pact::agent
