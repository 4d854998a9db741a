#include "actors/agent/diag_api.hpp"

#include <spdlog/spdlog.h>

#include "actors/agent/agent_atoms.hpp"
#include "actors/agent/exec_record.hpp"
#include "actors/agent/link_command.hpp"
#include "actors/agent/service_atoms.hpp"
#include "protocol/caf_types.hpp"
#include "runtime/node/diag_sources.hpp"
#include "runtime/node/exec_rules.hpp"
#include "runtime/policy/command_authz.hpp"

namespace pact::agent {

namespace {

using namespace pact::protocol;
using std::chrono::seconds;

/// One diag as it goes through the handler.
struct job {
  std::shared_ptr<const diag_context> x;
  caf::actor link;
  node::diag_query q;
  ExecRecord rec;
  std::vector<node::diag_block> blocks;
  std::string subject;
};

/// ["pact-diag", the flags the request carried]: what the audit shows.
void audit_argv(const DiagRequest& d, ExecRecord& rec) {
  rec.add_argv("pact-diag");
  auto flag = [&](const char* name, const std::string& value) {
    rec.add_argv(name);
    rec.add_argv(value);
  };
  if (d.lines() != 0)
    flag("--lines", std::to_string(d.lines()));
  if (!d.source().empty())
    flag("--source", d.source());
  if (!d.service().empty())
    flag("--service", d.service());
  if (!d.grep().empty())
    flag("--grep", d.grep());
}

std::string summary(const ExecRecord& rec) {
  std::vector<std::string> argv(rec.argv().begin(), rec.argv().end());
  auto text = "diag by " + rec.caller().principal() + ": "
              + node::argv_text(argv) + ": " + rec.phase();
  if (!rec.detail().empty())
    text += " (" + rec.detail() + ")";
  return text;
}

/// Hands the record to the journal link (exec_record.hpp). `then`: once
/// the link holds it; null = fire and forget (refusals: nothing was read).
void record(caf::event_based_actor* self, const job& j,
            std::function<void(bool kept)> then = {}) {
  auto rec = j.rec;
  if (j.x->wall)
    rec.set_occurred_unix_ms(j.x->wall->now_unix_ms());
  keep_exec_record(self, j.link, j.x->node_id, rec, summary(rec), "diag",
                   std::move(then));
}

void refuse(caf::event_based_actor* self, job j, daemon::api_reply& reply,
            StatusCode code, const std::string& why) {
  j.rec.set_phase("refused");
  j.rec.set_detail(why);
  record(self, j);
  reply.fail(code, why);
}

void to_proto(node::diag_block b, DiagBlock& pb) {
  pb.set_source(std::move(b.source));
  for (auto& l : b.lines)
    pb.add_lines(std::move(l));
  pb.set_truncated(b.truncated);
  pb.set_note(std::move(b.note));
}

/// The detached actor that reads the ring buffer and the syslog files:
/// blocking reads never run on a scheduler thread.
caf::behavior diag_reader(caf::event_based_actor* self, diag_config cfg,
                          node::diag_query q) {
  return {
    [self, cfg, q](diag_read_atom) -> std::string {
      DiagReply out;
      auto add = [&](node::diag_block b) {
        to_proto(std::move(b), *out.add_blocks());
      };
      using node::diag_source;
      if (q.source == diag_source::all || q.source == diag_source::dmesg)
        add(node::read_kmsg(cfg.root, cfg.kmsg_path, q.filter, q.lines,
                            cfg.max_scan_bytes));
      if (q.source == diag_source::all || q.source == diag_source::syslog) {
        bool any = false;
        for (const auto& p : cfg.syslog_paths) {
          auto b = node::read_log_tail("syslog " + p, cfg.root, p, q.filter,
                                       q.lines, cfg.max_scan_bytes);
          // A configured file that does not exist is the usual case (a
          // node has syslog or messages): left out unless none exists.
          if (b.missing)
            continue;
          any = true;
          add(std::move(b));
        }
        if (!any) {
          std::string listed;
          for (const auto& p : cfg.syslog_paths)
            listed += (listed.empty() ? "" : ", ") + p;
          node::diag_block none;
          none.source = "syslog";
          none.note = "no syslog file (" + listed + ")";
          add(none);
        }
      }
      self->quit();
      return out.SerializeAsString();
    },
  };
}

node::diag_block to_block(const DiagBlock& pb) {
  node::diag_block b;
  b.source = pb.source();
  b.lines.assign(pb.lines().begin(), pb.lines().end());
  b.truncated = pb.truncated();
  b.note = pb.note();
  return b;
}

/// Once every block is read: bound the answer, keep the record, answer.
void finish(caf::event_based_actor* self, job j, daemon::api_reply reply) {
  node::fit_blocks(j.blocks, j.x->cfg.max_reply_bytes);
  DiagReply out;
  out.set_node(j.x->node_id);
  out.set_lines(j.q.lines);
  size_t lines = 0;
  bool truncated = false;
  for (auto& b : j.blocks) {
    lines += b.lines.size();
    truncated = truncated || b.truncated;
    to_proto(std::move(b), *out.add_blocks());
  }
  j.rec.set_phase("finished");
  j.rec.set_truncated(truncated);
  j.rec.set_detail(std::to_string(lines) + " lines in "
                   + std::to_string(j.blocks.size()) + " blocks");
  auto bytes = std::make_shared<DiagReply>(std::move(out));
  // Audit first: nothing is shown that the journal link does not hold.
  record(self, j, [bytes, reply](bool kept) mutable {
    if (!kept) {
      reply.fail(STATUS_CODE_UNAVAILABLE,
                 "the agent could not keep the audit record; nothing is "
                 "shown, retry");
      return;
    }
    Response resp;
    *resp.mutable_diag_reply() = std::move(*bytes);
    reply.ok(std::move(resp));
  });
}

/// Asks the service supervisor for the captured log of each of `names`
/// in turn (from `i` on), adding a block per service, then finishes.
void service_logs(caf::event_based_actor* self, std::shared_ptr<job> j,
                  caf::actor sup, std::vector<std::string> names, size_t i,
                  daemon::api_reply reply) {
  if (i == names.size()) {
    finish(self, std::move(*j), std::move(reply));
    return;
  }
  ServiceRequest q;
  q.set_op(ServiceRequest::OP_LOGS);
  q.set_name(names[i]);
  q.set_lines(node::diag_max_lines);
  auto source = "service " + names[i];
  self
    ->request(sup, seconds(10), service_call_atom::value, q.SerializeAsString(),
              j->subject)
    .then(
      [self, j, sup, names, i, reply,
       source](const std::string& bytes) mutable {
        Response resp;
        node::diag_block b;
        b.source = source;
        if (!resp.ParseFromString(bytes))
          b.note = "the service supervisor's answer could not be read";
        else if (resp.status().code() != STATUS_CODE_OK) {
          // A service named by the caller that is not declared here is
          // the caller's mistake (exit 1); anything else is a note.
          if (!j->q.service.empty()
              && resp.status().code() == STATUS_CODE_INVALID_ARGUMENT) {
            refuse(self, std::move(*j), reply, STATUS_CODE_INVALID_ARGUMENT,
                   resp.status().message());
            return;
          }
          b.note = resp.status().message();
        } else {
          std::vector<std::string> lines(resp.service_reply().lines().begin(),
                                         resp.service_reply().lines().end());
          auto [kept, cut] = node::filter_tail(lines, j->q.filter, j->q.lines);
          b.lines = std::move(kept);
          b.truncated = cut || resp.service_reply().truncated();
        }
        j->blocks.push_back(std::move(b));
        service_logs(self, j, sup, names, i + 1, reply);
      },
      [self, j, sup, names, i, reply, source](caf::error&) mutable {
        node::diag_block b;
        b.source = source;
        b.note = "the service supervisor did not answer";
        j->blocks.push_back(std::move(b));
        service_logs(self, j, sup, names, i + 1, reply);
      });
}

/// The services' blocks: the one named, or every supervised service.
void services(caf::event_based_actor* self, job j, daemon::api_reply reply) {
  auto note_only = [self, reply](job done, std::string why) mutable {
    node::diag_block b;
    b.source = "services";
    b.note = std::move(why);
    done.blocks.push_back(std::move(b));
    finish(self, std::move(done), std::move(reply));
  };
  auto sup = caf::actor_cast<caf::actor>(
    self->system().registry().get(service_supervisor_name));
  if (!sup) {
    note_only(std::move(j), "the service supervisor is not running");
    return;
  }
  auto shared = std::make_shared<job>(std::move(j));
  if (!shared->q.service.empty()) {
    service_logs(self, shared, sup, {shared->q.service}, 0, std::move(reply));
    return;
  }
  ServiceRequest q;
  q.set_op(ServiceRequest::OP_STATUS);
  self
    ->request(sup, seconds(10), service_call_atom::value, q.SerializeAsString(),
              shared->subject)
    .then(
      [self, shared, sup, reply, note_only](const std::string& bytes) mutable {
        Response resp;
        if (!resp.ParseFromString(bytes)
            || resp.status().code() != STATUS_CODE_OK) {
          note_only(std::move(*shared),
                    resp.status().message().empty()
                      ? "the service supervisor's answer could not be read"
                      : resp.status().message());
          return;
        }
        std::vector<std::string> names;
        for (const auto& s : resp.service_reply().services())
          names.push_back(s.name());
        if (names.empty()) {
          if (shared->q.source == node::diag_source::service)
            note_only(std::move(*shared), "no services are supervised here");
          else
            finish(self, std::move(*shared), std::move(reply));
          return;
        }
        service_logs(self, shared, sup, std::move(names), 0, std::move(reply));
      },
      [shared, note_only](caf::error&) mutable {
        note_only(std::move(*shared), "the service supervisor did not answer");
      });
}

/// Reads what the query asks for: files on a detached reader, then the
/// services' logs.
void collect(caf::event_based_actor* self, job j, daemon::api_reply reply) {
  using node::diag_source;
  bool files = j.q.source != diag_source::service;
  bool svc = j.q.source == diag_source::service
             || j.q.source == diag_source::all;
  if (!files) {
    services(self, std::move(j), std::move(reply));
    return;
  }
  auto reader = self->spawn<caf::detached>(diag_reader, j.x->cfg, j.q);
  self->request(reader, seconds(60), diag_read_atom::value)
    .then(
      [self, j, reply, svc](const std::string& bytes) mutable {
        DiagReply got;
        if (got.ParseFromString(bytes))
          for (const auto& b : got.blocks())
            j.blocks.push_back(to_block(b));
        if (svc)
          services(self, std::move(j), std::move(reply));
        else
          finish(self, std::move(j), std::move(reply));
      },
      [self, j, reply](caf::error&) mutable {
        j.rec.set_phase("failed");
        j.rec.set_detail("the reader did not answer in 60 s");
        record(self, j);
        reply.fail(STATUS_CODE_ERROR, "the agent could not read the node's "
                                      "logs in 60 s; see the agent's log");
      });
}

} // namespace

void handle_diag(caf::event_based_actor* self,
                 const std::shared_ptr<const diag_context>& x,
                 const Request& req, const policy::authenticated& who,
                 daemon::api_reply reply) {
  const auto& d = req.diag();
  job j;
  j.x = x;
  j.subject = who.claims.subject;
  *j.rec.mutable_caller() = policy::author_of(who, x->vcluster);
  j.rec.set_exec_id(req.request_id());
  audit_argv(d, j.rec);
  auto q = node::check_diag_query(d.lines(), d.source(), d.service(), d.grep());
  if (!q) {
    // Nothing is read; the refusal is still recorded (when the link runs).
    auto why = q.err().message;
    with_declared_state(
      self, x->supervisor, x->journal_link_name,
      [self, j, why](const caf::actor& link, const std::string&,
                     const std::string&) mutable {
        j.link = link;
        j.rec.set_phase("refused");
        j.rec.set_detail(why);
        record(self, j);
      },
      [why](const std::string& missing) {
        spdlog::warn("diag: refusal not recorded ({}): {}", missing, why);
      });
    reply.fail(STATUS_CODE_INVALID_ARGUMENT, why);
    return;
  }
  j.q = std::move(*q);
  with_declared_state(
    self, x->supervisor, x->journal_link_name,
    [self, j, reply, who](const caf::actor& link,
                          const std::string& overlay_bytes,
                          const std::string&) mutable {
      j.link = link;
      // Before the first boot there is no policy: rights_of then allows
      // only what roles alone allow.
      VClusterOverlay overlay;
      overlay.ParseFromString(overlay_bytes);
      auto rights = node::rights_of(who, j.x->vcluster, overlay.policy(),
                                    "diag");
      if (rights.lvl == node::exec_rights::level::none) {
        const auto& why = rights.why_not;
        refuse(self, std::move(j), reply,
               rights.policy_refusal ? STATUS_CODE_POLICY_REJECTED
                                     : STATUS_CODE_UNAUTHORIZED,
               why);
        return;
      }
      collect(self, std::move(j), std::move(reply));
    },
    [reply](const std::string& missing) mutable {
      reply.fail(STATUS_CODE_UNAVAILABLE,
                 missing + "; nothing was read, retry");
    });
}

} // namespace pact::agent
