#include "actors/journal/deadline_keeper.hpp"

#include <algorithm>
#include <map>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/journal/replica.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/journal/deadlines.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::journal {

namespace {

/// (keeper_poll_atom): check leadership and deadlines now.
using keeper_poll_atom = caf::atom_constant<caf::atom("dlpoll")>;
/// (deadline_due_atom): a child's deadline has come (or a retry is due).
using deadline_due_atom = caf::atom_constant<caf::atom("dldue")>;

caf::actor local_replica(caf::event_based_actor* self) {
  return caf::actor_cast<caf::actor>(
    self->system().registry().get(replica_name));
}

/// One approval actor or emergency session actor: waits for its deadline,
/// then proposes its expiry until that lands (the keeper stops it once
/// the state no longer holds the deadline).
caf::behavior deadline_watch(caf::event_based_actor* self, deadline d,
                             deadline_keeper_config cfg) {
  auto wait = std::chrono::milliseconds(wait_ms(d, cfg.wall->now_unix_ms()));
  self->delayed_send(self, wait, deadline_due_atom::value);
  return {
    [self, d, cfg](deadline_due_atom) {
      auto retry = [self, cfg] {
        self->delayed_send(self, cfg.poll, deadline_due_atom::value);
      };
      // The wall clock may be behind the timer's: look again soon (at most
      // `poll` later, so that a wall clock stepped forward is noticed).
      if (auto left = wait_ms(d, cfg.wall->now_unix_ms()); left > 0) {
        self->delayed_send(self,
                           std::min(std::chrono::milliseconds(left), cfg.poll),
                           deadline_due_atom::value);
        return;
      }
      auto r = local_replica(self);
      if (!r) {
        retry();
        return;
      }
      self
        ->request(r, cfg.propose_timeout, protocol::propose_atom::value,
                  expiry_command(d).SerializeAsString())
        .then(
          [d, retry](uint64_t, const std::string& bytes) {
            protocol::CommandResult res;
            if (res.ParseFromString(bytes)
                && res.status().code() == protocol::STATUS_CODE_OK) {
              spdlog::info("{}: deadline passed, recorded as entry {}",
                           d.name(),
                           res.sequences().empty() ? 0 : res.sequences(0));
              return; // the keeper stops this actor on its next read
            }
            spdlog::warn("{}: recording its deadline was refused: {}; "
                         "retrying",
                         d.name(), res.status().message());
            retry();
          },
          [d, retry](caf::error&) { retry(); });
    },
  };
}

struct keeper_data {
  deadline_keeper_config cfg;
  /// The deadlines watched and their actors, by name.
  std::map<std::string, deadline> running;
  std::map<std::string, caf::actor> actors;
  bool leading = false;
  std::string detail = "standing by (not the leader)";
};

void stop(keeper_data& d, const std::string& name) {
  auto it = d.actors.find(name);
  if (it != d.actors.end())
    caf::anon_send_exit(it->second, caf::exit_reason::user_shutdown);
  d.actors.erase(name);
  d.running.erase(name);
}

void stop_all(keeper_data& d) {
  while (!d.running.empty())
    stop(d, d.running.begin()->first);
}

void update(caf::event_based_actor* self, keeper_data& d,
            const protocol::StateReply& st) {
  auto wanted = deadlines_of(st);
  auto diff = diff_deadlines(d.running, wanted);
  for (const auto& name : diff.stop)
    stop(d, name);
  for (const auto& dl : diff.start) {
    d.actors[dl.name()] = self->spawn(deadline_watch, dl, d.cfg);
    d.running[dl.name()] = dl;
  }
  size_t approvals = 0;
  for (const auto& [name, dl] : d.running)
    approvals += dl.what == deadline::kind::approval;
  d.detail = "leader: watching " + std::to_string(approvals)
             + " approval deadline(s) and "
             + std::to_string(d.running.size() - approvals)
             + " emergency window(s)";
}

void poll(caf::event_based_actor* self, supervision::health_handle h,
          std::shared_ptr<keeper_data> d) {
  auto next = [self, d] {
    self->delayed_send(self, d->cfg.poll, keeper_poll_atom::value);
  };
  auto r = local_replica(self);
  if (!r) {
    next();
    return;
  }
  self->request(r, d->cfg.poll * 3, protocol::raft_status_atom::value)
    .then(
      [self, h, d, r, next](const std::string& bytes) {
        protocol::RaftStatus rs;
        bool leading = rs.ParseFromString(bytes) && rs.role() == "leader";
        if (!leading) {
          if (d->leading)
            spdlog::info("deadlines: no longer the leader; handing {} "
                         "deadline(s) over to the next one",
                         d->running.size());
          d->leading = false;
          stop_all(*d);
          d->detail = "standing by (not the leader)";
          next();
          return;
        }
        if (!d->leading)
          spdlog::info("deadlines: leading; taking over the approval and "
                       "emergency deadlines of the replicated state");
        d->leading = true;
        // The local state: this replica leads, so it holds every
        // committed deadline it needs (a lagging apply only delays one).
        protocol::JournalQuery q;
        q.set_linearizable(false);
        q.mutable_deadlines();
        self
          ->request(r, d->cfg.poll * 3, protocol::query_atom::value,
                    q.SerializeAsString())
          .then(
            [self, d, next](const std::string& answer) {
              protocol::JournalAnswer a;
              if (a.ParseFromString(answer) && d->leading)
                update(self, *d, a.state());
              next();
            },
            [next](caf::error&) { next(); });
      },
      [next](caf::error&) { next(); });
}

} // namespace

caf::behavior deadline_keeper(caf::event_based_actor* self,
                              supervision::health_handle h,
                              deadline_keeper_config cfg) {
  auto d = std::make_shared<keeper_data>();
  d->cfg = std::move(cfg);
  // Children are not linked (stopping one must not stop the keeper); they
  // go when the keeper goes, however it goes.
  self->attach_functor([d] { stop_all(*d); });
  supervision::report(self, h, protocol::ACTOR_STATE_RUNNING, d->detail);
  supervision::start_heartbeat(self);
  self->send(self, keeper_poll_atom::value);
  auto state = [d] {
    return std::make_pair(protocol::ACTOR_STATE_RUNNING, d->detail);
  };
  return caf::message_handler{
    [self, h, d](keeper_poll_atom) { poll(self, h, d); },
  }
    .or_else(supervision::heartbeat_behavior(self, h, state));
}

} // namespace pact::journal
