#include "actors/supervision/api_endpoint.hpp"

#include <spdlog/spdlog.h>

namespace pact::supervision {

using namespace pact::protocol;

api_reply::api_reply(caf::response_promise rp,
                     std::shared_ptr<api_context> ctx, std::string request_id)
  : rp_(std::move(rp)), ctx_(std::move(ctx)), request_id_(std::move(request_id)) {
  ++ctx_->in_flight;
}

void api_reply::ok(Response resp) {
  resp.mutable_status()->set_code(STATUS_CODE_OK);
  finish(resp);
}

void api_reply::fail(StatusCode code, const std::string& message) {
  finish(policy::error_response(request_id_, code, message));
}

void api_reply::finish(const Response& resp) {
  if (!rp_.pending())
    return;
  Response out = resp;
  out.set_version(PROTOCOL_VERSION_1);
  out.set_request_id(request_id_);
  --ctx_->in_flight;
  rp_.deliver(out.SerializeAsString());
}

void serve_api(caf::event_based_actor* self,
               const std::shared_ptr<api_context>& ctx,
               const std::string& bytes, const api_table& table) {
  auto req = policy::parse_request(bytes);
  api_reply reply{self->make_response_promise(), ctx,
                  req ? req->request_id() : std::string()};
  if (ctx->in_flight > ctx->limits.max_in_flight) {
    reply.fail(STATUS_CODE_UNAVAILABLE,
               "server overloaded: more than "
                 + std::to_string(ctx->limits.max_in_flight)
                 + " requests in flight; retry later");
    return;
  }
  if (!req) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT, req.err().message);
    return;
  }
  auto who = policy::authenticate(*req, ctx->verifier,
                                  ctx->wall->now_unix_ms() / 1000,
                                  &ctx->tokens);
  if (!who) {
    reply.fail(policy::status_code_for(who.err().code), who.err().message);
    return;
  }
  auto i = table.find(req->body_case());
  if (i == table.end()) {
    reply.fail(STATUS_CODE_INVALID_ARGUMENT,
               "request type not supported by this server");
    return;
  }
  spdlog::debug("api: request '{}' from {}", req->request_id(),
                who->claims.subject);
  i->second(*req, *who, std::move(reply));
}

} // namespace pact::supervision
