#pragma once

/// The agent's side of the boot-config stream (issue 4 item 4): feeds the
/// BootChunk messages in the order the gateway sent them and yields the
/// vCluster overlay and the node's committed delta once the completion
/// marker arrives — or says what is wrong (a chunk out of order, a version
/// or checksum that changes mid-stream, a reassembled overlay whose
/// checksum does not match). Pure; the agent actor owns one per boot.

#include <optional>
#include <string>

#include <pact/protocol/api.pb.h>

#include "runtime/common/error.hpp"

namespace pact::journal {

class boot_assembler {
public:
  /// What a finished stream delivers.
  struct result {
    /// Set unless the agent was already current (up_to_date).
    std::optional<protocol::VClusterOverlay> overlay;
    protocol::NodeDelta node_delta;
    protocol::BootComplete complete;
  };

  /// Feeds one chunk. Returns an error for a malformed stream; once
  /// complete, further chunks are errors too.
  status feed(const protocol::BootChunk& chunk);

  bool done() const {
    return done_;
  }

  /// Precondition: done().
  const result& get() const {
    return result_;
  }

private:
  status finish(const protocol::BootComplete& c);

  std::string data_;
  uint32_t next_chunk_ = 0;
  uint32_t count_ = 0;
  uint64_t version_ = 0;
  std::string checksum_;
  bool done_ = false;
  result result_;
};

} // namespace pact::journal
