#include "runtime/raft/types.hpp"

namespace pact::raft {

const char* to_string(message_type t) {
  switch (t) {
    case message_type::pre_vote:
      return "pre_vote";
    case message_type::pre_vote_response:
      return "pre_vote_response";
    case message_type::request_vote:
      return "request_vote";
    case message_type::request_vote_response:
      return "request_vote_response";
    case message_type::append_entries:
      return "append_entries";
    case message_type::append_entries_response:
      return "append_entries_response";
    case message_type::install_snapshot:
      return "install_snapshot";
    case message_type::install_snapshot_response:
      return "install_snapshot_response";
    case message_type::timeout_now:
      return "timeout_now";
    case message_type::read_index:
      return "read_index";
    case message_type::read_index_response:
      return "read_index_response";
    case message_type::heartbeat:
      return "heartbeat";
    case message_type::heartbeat_response:
      return "heartbeat_response";
  }
  return "unknown";
}

const char* to_string(node_role r) {
  switch (r) {
    case node_role::follower:
      return "follower";
    case node_role::pre_candidate:
      return "pre_candidate";
    case node_role::candidate:
      return "candidate";
    case node_role::leader:
      return "leader";
  }
  return "unknown";
}

const char* to_string(status s) {
  switch (s) {
    case status::ok:
      return "ok";
    case status::not_leader:
      return "not the leader";
    case status::no_leader:
      return "no leader known";
    case status::transferring:
      return "leadership transfer in progress";
    case status::conf_change_pending:
      return "a configuration change is still pending";
    case status::invalid_argument:
      return "invalid argument";
  }
  return "unknown";
}

std::string encode_conf_change(const conf_change& cc) {
  std::string out;
  out.push_back(static_cast<char>(cc.type));
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((cc.node >> shift) & 0xff));
  return out;
}

std::optional<conf_change> decode_conf_change(const std::string& data) {
  if (data.size() != 9)
    return std::nullopt;
  auto type = static_cast<unsigned char>(data[0]);
  if (type < 1 || type > 3)
    return std::nullopt;
  conf_change cc;
  cc.type = static_cast<conf_change_type>(type);
  for (std::size_t i = 1; i < 9; ++i)
    cc.node = (cc.node << 8) | static_cast<unsigned char>(data[i]);
  return cc;
}

} // namespace pact::raft
