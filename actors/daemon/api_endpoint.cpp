#include "actors/daemon/api_endpoint.hpp"

#include <chrono>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/daemon/jwks_refresher.hpp"
#include "protocol/errors.hpp"
#include "runtime/common/log_text.hpp"

namespace pact::daemon {

using namespace pact::protocol;

struct api_reply::state {
  caf::response_promise rp;
  caf::actor reply_to;
  std::shared_ptr<api_context> ctx;
  std::string request_id;
  bool answered = false;
  /// A write that may have been proposed before the answer was lost.
  bool write = false;
  /// For the observer: what was asked, and when it arrived.
  std::string kind;
  std::chrono::steady_clock::time_point arrived;

  void deliver(const Response& resp) {
    if (answered)
      return;
    answered = true;
    --ctx->in_flight;
    if (ctx->observer) {
      std::chrono::duration<double> took = std::chrono::steady_clock::now()
                                           - arrived;
      ctx->observer->answered(kind, resp.status().code(), took.count());
      ctx->observer->in_flight(ctx->in_flight);
    }
    Response out = resp;
    out.set_version(PROTOCOL_VERSION_1);
    out.set_request_id(request_id);
    auto bytes = out.SerializeAsString();
    // With the request line in serve_api: follows one request through the
    // debug log, to the node the answer is addressed to.
    // A refusal is logged with the request's id, which the client shows in
    // its error message (docs/operations.md, "Logs"): the operator finds
    // the server's side of a failed command by it.
    if (out.status().code() != STATUS_CODE_OK)
      spdlog::info("request {} refused ({}): {}", safe_text(request_id),
                   StatusCode_Name(out.status().code()),
                   safe_text(out.status().message()));
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug("api: answered '{}' ({}) to {}", safe_text(request_id),
                    StatusCode_Name(out.status().code()),
                    reply_to ? caf::to_string(reply_to.node()) : "the sender");
    if (reply_to)
      caf::anon_send(reply_to, std::move(bytes));
    else if (rp.pending())
      rp.deliver(std::move(bytes));
  }

  ~state() {
    if (answered)
      return;
    // The serving actor went away with the request (shutdown, restart) or
    // a handler forgot to answer: either way the client hears it now, as
    // something another replica may serve, instead of at its deadline.
    spdlog::warn("api: request '{}' ended without an answer",
                 safe_text(request_id));
    auto resp = policy::error_response(
      request_id, STATUS_CODE_UNAVAILABLE,
      write ? "the server stopped before answering (shutting down or "
              "restarting); the write's outcome is unknown"
            : "the server stopped before answering (shutting down or "
              "restarting); retry");
    resp.mutable_status()->set_reason(write ? ERROR_REASON_OUTCOME_UNKNOWN
                                            : ERROR_REASON_REPLICA_DOWN);
    deliver(resp);
  }
};

api_reply::api_reply(caf::response_promise rp, caf::actor reply_to,
                     std::shared_ptr<api_context> ctx, std::string request_id)
  : st_(std::make_shared<state>()) {
  st_->rp = std::move(rp);
  st_->reply_to = std::move(reply_to);
  st_->ctx = std::move(ctx);
  st_->request_id = std::move(request_id);
  ++st_->ctx->in_flight;
  if (st_->ctx->observer) {
    st_->arrived = std::chrono::steady_clock::now();
    st_->ctx->observer->in_flight(st_->ctx->in_flight);
  }
}

void api_reply::set_kind(const Request& req) {
  if (st_->ctx->observer)
    st_->kind = request_kind(req);
}

void api_reply::set_write(bool write) {
  st_->write = write;
}

const caf::actor& api_reply::reply_to() const {
  return st_->reply_to;
}

void api_reply::ok(Response resp) {
  resp.mutable_status()->set_code(STATUS_CODE_OK);
  finish(resp);
}

void api_reply::fail(StatusCode code, const std::string& message,
                     ErrorReason reason) {
  auto resp = policy::error_response(st_->request_id, code, message);
  resp.mutable_status()->set_reason(reason);
  finish(resp);
}

void api_reply::fail(const caf::error& err, const std::string& context) {
  auto reason = reason_of(err);
  auto text = message_of(err);
  fail(status_code_of(reason), context.empty() ? text : context + ": " + text,
       reason);
}

void api_reply::fail(protocol::Status status) {
  PACT_ASSERT(status.code() != STATUS_CODE_OK, "a failure that is OK");
  auto resp = policy::error_response(st_->request_id, status.code(),
                                     status.message());
  *resp.mutable_status() = std::move(status);
  finish(resp);
}

void api_reply::finish(const Response& resp) {
  st_->deliver(resp);
}

std::string request_kind(const protocol::Request& req) {
  using R = protocol::Request;
  switch (req.body_case()) {
    case R::kStatus:
      return "status";
    case R::kPropose:
      return "propose";
    case R::kCommand:
      return "journal command";
    case R::kLog:
      return "log";
    case R::kState:
      return "state";
    case R::kWatch:
      return "watch";
    case R::kBootConfig:
      return "boot config";
    case R::kDrift:
      return "drift";
    case R::kCapability:
      return "capability";
    case R::kDriftCommit:
      return "node commit";
    case R::kNodeRollback:
      return "node rollback";
    case R::kExec:
      return "exec";
    case R::kService:
      return "service";
    case R::kShell:
      return "shell";
    case R::kDiscovery:
      return "discovery";
    case R::kEnroll:
      return "enroll";
    case R::kCaBundle:
      return "CA bundle";
    default:
      return "request type "
             + std::to_string(static_cast<int>(req.body_case()));
  }
}

namespace {

void answer_discovery(const api_context& ctx, const Request& req,
                      api_reply& reply) {
  if (!ctx.discovery) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               ctx.server_name + " does not serve " + request_kind(req)
                 + " requests" + ctx.elsewhere);
    return;
  }
  Response resp;
  *resp.mutable_discovery_reply() = *ctx.discovery;
  reply.ok(std::move(resp));
}

/// Runs the handler of an authenticated request, with ctx->sender naming
/// who asked while it runs.
void dispatch(const std::shared_ptr<api_context>& ctx,
              const protocol::Request& req, const policy::authenticated& who,
              const api_table& table, const caf::strong_actor_ptr& sender,
              api_reply reply) {
  auto i = table.find(req.body_case());
  if (i == table.end()) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               ctx->server_name + " does not serve " + request_kind(req)
                 + " requests" + ctx->elsewhere);
    return;
  }
  // Both come from the caller (the subject through its IdP): cut and
  // stripped, they cannot forge log lines.
  spdlog::debug("api: request '{}' from {}", safe_text(req.request_id()),
                safe_text(who.claims.subject));
  reply.set_write(req.has_command() || req.has_propose());
  ctx->sender = sender;
  i->second(req, who, std::move(reply));
  ctx->sender = nullptr;
}

/// Authenticates `req` and dispatches it. A token naming a signing key the
/// key set lacks (the IdP rotated its keys) makes the refresher fetch them
/// (at most once per its interval) and the check run once more.
void authenticate_and_dispatch(caf::event_based_actor* self,
                               const std::shared_ptr<api_context>& ctx,
                               const protocol::Request& req,
                               const api_table& table,
                               const caf::strong_actor_ptr& sender,
                               api_reply reply, bool may_refresh) {
  bool unknown_key = false;
  auto who = policy::authenticate(req, ctx->verifier,
                                  ctx->wall->now_unix_ms() / 1000, &ctx->tokens,
                                  &unknown_key);
  if (who) {
    dispatch(ctx, req, *who, table, sender, std::move(reply));
    return;
  }
  auto refresher = caf::actor_cast<caf::actor>(
    self->system().registry().get(jwks_refresher_key));
  if (!unknown_key || !may_refresh || !refresher) {
    if (ctx->observer)
      ctx->observer->auth_failed(req.token().empty(), unknown_key,
                                 who.err().message);
    reply.fail(policy::status_code_for(who.err().code), who.err().message);
    return;
  }
  auto refused = who.err();
  self->request(refresher, jwks_refresh_wait, jwks_refresh_atom::value)
    .then(
      [self, ctx, req, table, sender, reply](bool) {
        authenticate_and_dispatch(self, ctx, req, table, sender, reply, false);
      },
      [ctx, reply, refused](caf::error&) mutable {
        if (ctx->observer)
          ctx->observer->auth_failed(false, true, refused.message);
        reply.fail(policy::status_code_for(refused.code), refused.message);
      });
}

} // namespace

void serve_api(caf::event_based_actor* self,
               const std::shared_ptr<api_context>& ctx,
               const std::string& bytes, const api_table& table,
               caf::actor reply_to) {
  auto sender = reply_to ? caf::actor_cast<caf::strong_actor_ptr>(reply_to)
                         : self->current_sender();
  auto req = policy::parse_request(bytes);
  api_reply reply{
    reply_to ? caf::response_promise{} : self->make_response_promise(),
    std::move(reply_to), ctx, req ? req->request_id() : std::string()};
  if (req)
    reply.set_kind(*req);
  if (ctx->in_flight > ctx->limits.max_in_flight) {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "server overloaded: more than "
                 + std::to_string(ctx->limits.max_in_flight)
                 + " requests in flight; retry later",
               ERROR_REASON_OVERLOADED);
    return;
  }
  if (!req) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT, req.err().message);
    return;
  }
  // The first of three exceptions to authentication: discovery tells `pact
  // login` where to get a token, so it cannot require one. Its answer is
  // fixed at startup and names no caller.
  if (req->body_case() == Request::kDiscovery) {
    answer_discovery(*ctx, *req, reply);
    return;
  }
  // The second: a node's first certificate request, whose credential is
  // the one-time enrollment token in its body (a node has no other yet).
  // Its handler checks the token against the hash the journal holds before
  // anything is issued; it gets no identity here (an empty caller, no
  // roles), whatever bearer token the request may carry. Only a server
  // whose table serves enroll requests (the journal gateway) answers it.
  // The third: the node CA's certificate is public (it is what verifies
  // agents); an agent asks for it before it holds any credential, to see
  // whether its certificate is still from the journal's CA.
  if ((req->body_case() == Request::kEnroll
       && !req->enroll().enroll_token().empty())
      || req->body_case() == Request::kCaBundle) {
    dispatch(ctx, *req, policy::authenticated{}, table, sender,
             std::move(reply));
    return;
  }
  authenticate_and_dispatch(self, ctx, *req, table, sender, std::move(reply),
                            true);
}

} // namespace pact::daemon
