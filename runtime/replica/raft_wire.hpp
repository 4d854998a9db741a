#pragma once

/// Conversion between the Raft core's plain message structs and the
/// protobuf wire schema (protocol/raft.proto) used between replica actors.
/// Enum values coincide by construction (both start at 1 in the same order),
/// and decoding validates them.

#include <optional>
#include <string>

#include "runtime/raft/types.hpp"

namespace pact::replica {

/// Serializes `m` as a protocol::RaftMessage.
std::string encode_raft_message(const raft::message& m);

/// Parses bytes from a peer; nullopt on malformed input (dropped, as a lost
/// message would be).
std::optional<raft::message> decode_raft_message(const std::string& bytes);

} // namespace pact::replica
