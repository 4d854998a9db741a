#include "runtime/journal/boot_assembler.hpp"

namespace pact::journal {

using namespace pact::protocol;

status boot_assembler::feed(const BootChunk& chunk) {
  if (done_)
    return make_error("boot config: chunk after the completion marker");
  switch (chunk.body_case()) {
    case BootChunk::kOverlay: {
      const auto& c = chunk.overlay();
      if (next_chunk_ == 0) {
        count_ = c.count();
        version_ = c.version();
        checksum_ = c.checksum();
        data_.reserve(c.total_bytes());
      }
      if (c.index() != next_chunk_ || c.count() != count_
          || c.version() != version_ || c.checksum() != checksum_)
        return make_error("boot config: overlay chunk "
                          + std::to_string(c.index()) + " of version "
                          + std::to_string(c.version())
                          + " does not continue the stream (expected chunk "
                          + std::to_string(next_chunk_) + " of version "
                          + std::to_string(version_) + ")");
      data_ += c.data();
      ++next_chunk_;
      return {};
    }
    case BootChunk::kNodeDelta:
      result_.node_delta = chunk.node_delta();
      return {};
    case BootChunk::kComplete:
      return finish(chunk.complete());
    default:
      return make_error("boot config: empty chunk");
  }
}

status boot_assembler::finish(const BootComplete& c) {
  result_.complete = c;
  done_ = true;
  if (c.up_to_date()) {
    if (next_chunk_ != 0)
      return make_error("boot config: overlay chunks sent to an agent that "
                        "is up to date");
    return {};
  }
  if (next_chunk_ != c.overlay_chunks() || next_chunk_ != count_)
    return make_error("boot config: " + std::to_string(next_chunk_)
                      + " overlay chunks received, "
                      + std::to_string(c.overlay_chunks()) + " sent");
  VClusterOverlay o;
  if (!o.ParseFromString(data_))
    return make_error("boot config: the reassembled overlay does not parse");
  if (o.version() != c.version() || o.checksum() != c.checksum()
      || c.checksum() != checksum_)
    return make_error("boot config: overlay version/checksum mismatch");
  result_.overlay = std::move(o);
  return {};
}

} // namespace pact::journal
