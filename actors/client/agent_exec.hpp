#pragma once

/// `pact exec NODE -- CMD ARGS...` against the node's agent (issue 12
/// item 2): the request, the streamed output and the final ExecReply. The
/// agent verifies the caller's token, authorizes, whitelists and records
/// (docs/agent.md, "Exec").

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/common/config.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/error.hpp"
#include <pact/protocol/api.pb.h>

namespace pact::client {

/// Runs `argv` on `node` through the agent at `agent`, waiting up to the
/// CLI's timeout plus `timeout_seconds` (the agent's default when 0, which
/// the CLI then allows an hour for); each chunk of output goes to
/// `on_chunk` as it arrives. Sent once, never retried. Errors carry the
/// exit codes of DESIGN.md §6 (2 denied, 3 policy, 5 unreachable or
/// outcome unknown, 6 not whitelisted). `approval_id`: the grant of a
/// second person the command runs with (two-person vCluster), used up by
/// the agent before it runs. A refusal for want of one (exit 3) sets
/// `*approval_required` when given (agent_drift.hpp, approval_refusal).
/// `stop`: connection::call_streaming's (stop waiting, e.g. when an MCP
/// client cancels; the command itself runs on to its end or timeout).
expected<protocol::ExecReply>
agent_exec(const config::values& cfg, const endpoint& agent,
           const std::string& node, const std::vector<std::string>& argv,
           uint32_t timeout_seconds,
           const std::function<void(const protocol::ExecChunk&)>& on_chunk,
           const std::string& approval_id = {},
           bool* approval_required = nullptr,
           const std::function<bool()>& stop = {});

} // namespace pact::client
