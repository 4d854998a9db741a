#pragma once

/// The node COMMIT the benchmarks write: what `pact-load --mode commit`
/// sends through a gateway and what `pact-bulkload` applies directly, so a
/// bulk-loaded journal holds the entries a load through the write path
/// would (docs/benchmarks.md, "journal at scale").

#include <algorithm>
#include <cstdint>
#include <string>

#include <pact/protocol/journal.pb.h>

namespace pact::bench {

/// A node-scoped COMMIT of client `client`'s `seq`-th write (node
/// "bench-<client mod 64>", ttl 3600 s, message "pact-load", one KERNEL item
/// "bench.c<client>" whose value is padded so that the serialized
/// JournalCommand is `size` bytes, or as small as it gets when `size` is
/// smaller than the fixed fields). Node deltas merge by key: one key per
/// client keeps each node record small however long the run.
inline protocol::JournalCommand journal_commit(int client, uint64_t seq,
                                               size_t size) {
  protocol::JournalCommand cmd;
  cmd.set_kind(protocol::COMMAND_KIND_COMMIT);
  cmd.mutable_scope()->set_node("bench-" + std::to_string(client % 64));
  cmd.set_ttl_seconds(3600);
  cmd.set_message("pact-load");
  auto* item = cmd.mutable_state_delta()->add_items();
  item->set_category(protocol::DELTA_CATEGORY_KERNEL);
  item->set_action(protocol::DELTA_ACTION_ADD);
  item->set_key("bench.c" + std::to_string(client));
  auto value = "s" + std::to_string(seq) + "-";
  item->set_value(value);
  size_t pad = 0;
  // Length prefixes grow by a byte at 128 and 16384 bytes: shrink the
  // padding by what they added (at most a couple of rounds).
  for (int round = 0; round < 4; ++round) {
    auto now = cmd.ByteSizeLong();
    if (now == size || (now > size && pad == 0))
      break;
    pad = now < size ? pad + (size - now) : pad - std::min(pad, now - size);
    item->set_value(value + std::string(pad, 'x'));
  }
  return cmd;
}

} // namespace pact::bench
