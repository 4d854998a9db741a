#include "runtime/store/snapshot_staging.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace pact::store {

namespace {

constexpr const char* incoming_name = "/snapshot.incoming";
constexpr const char* received_name = "/snapshot.received";
/// Read size when a received stream is replayed.
constexpr std::size_t replay_block = std::size_t{1} << 20;

std::string errno_text() {
  return std::strerror(errno);
}

} // namespace

void snapshot_staging::framing::feed(std::string_view bytes) {
  std::size_t i = 0;
  auto record_done = [&] {
    if (empty_key) {
      // Only the checksum record has an empty key, and its value is a
      // SHA-256.
      bad = bad || length != 32;
      ++checksum_records;
    }
    last_was_checksum = empty_key;
    field = 0;
    left = 4;
    length = 0;
  };
  // A field of `length` bytes starts; a zero-length one ends at once.
  auto start_body = [&] {
    left = length;
    if (field == 0) {
      empty_key = length == 0;
      key_started = false;
      field = 1;
      if (length == 0) {
        field = 2;
        left = 4;
      }
    } else {
      field = 3;
      if (length == 0)
        record_done();
    }
  };
  while (i < bytes.size() && !bad) {
    if (field == 0 || field == 2) {
      if (left == 4)
        length = 0;
      length = (length << 8) | static_cast<unsigned char>(bytes[i++]);
      if (--left == 0)
        start_body();
      continue;
    }
    if (field == 1 && !key_started) {
      bad = !is_table_prefix(bytes[i]) || checksum_records > 0;
      key_started = true;
    }
    auto take = static_cast<std::uint32_t>(
      std::min<std::size_t>(left, bytes.size() - i));
    i += take;
    left -= take;
    if (left > 0)
      continue;
    if (field == 1) {
      field = 2;
      left = 4;
    } else {
      record_done();
    }
  }
}

snapshot_staging::snapshot_staging(std::string dir) : dir_(std::move(dir)) {
}

void snapshot_staging::remove_leftovers() {
  if (dir_.empty())
    return;
  ::unlink((dir_ + incoming_name).c_str());
  ::unlink((dir_ + received_name).c_str());
}

snapshot_staging::~snapshot_staging() {
  reset_incoming();
}

void snapshot_staging::reset_incoming() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink((dir_ + incoming_name).c_str());
  }
  std::string().swap(incoming_);
  meta_ = raft::snapshot_meta{};
  bytes_ = 0;
  tail_.clear();
  hash_.reset();
  framing_ = framing{};
}

void snapshot_staging::begin(const raft::snapshot_meta& meta) {
  reset_incoming();
  meta_ = meta;
  hash_ = std::make_unique<stream_hasher>();
  if (dir_.empty())
    return;
  auto path = dir_ + incoming_name;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0)
    failure_ = "cannot create " + path + ": " + errno_text();
}

bool snapshot_staging::write_incoming(std::string_view bytes) {
  if (dir_.empty()) {
    incoming_.append(bytes.data(), bytes.size());
    return true;
  }
  if (fd_ < 0)
    return false; // begin() could not create the file: failure_ says why
  while (!bytes.empty()) {
    auto n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      failure_ = "cannot write " + dir_ + incoming_name + ": " + errno_text();
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool snapshot_staging::append(std::string_view bytes) {
  if (!hash_ || !write_incoming(bytes)) {
    reset_incoming();
    return false;
  }
  bytes_ += bytes.size();
  framing_.feed(bytes);
  // Hash everything but the newest stream_trailer_bytes: the checksum
  // record, once the stream ends, is exactly those.
  tail_.append(bytes.data(), bytes.size());
  if (tail_.size() > stream_trailer_bytes) {
    auto spill = tail_.size() - stream_trailer_bytes;
    hash_->update(std::string_view(tail_).substr(0, spill));
    tail_.erase(0, spill);
  }
  return true;
}

bool snapshot_staging::complete() {
  const auto& f = framing_;
  if (!hash_ || f.bad || f.field != 0 || f.left != 4 || f.checksum_records != 1
      || !f.last_was_checksum || tail_.size() != stream_trailer_bytes)
    return false;
  std::string want;
  append_stream_record(want, {}, hash_->final());
  hash_.reset();
  return tail_ == want;
}

raft::snapshot snapshot_staging::take() {
  raft::snapshot out;
  out.meta = meta_;
  out.staged = true;
  if (dir_.empty()) {
    received_ = std::move(incoming_);
  } else {
    ::close(fd_);
    fd_ = -1;
    auto from = dir_ + incoming_name;
    auto to = dir_ + received_name;
    if (::rename(from.c_str(), to.c_str()) != 0)
      failure_ = "cannot rename " + from + " to " + to + ": " + errno_text();
  }
  reset_incoming();
  return out;
}

void snapshot_staging::discard() {
  reset_incoming();
}

void snapshot_staging::clear_received() {
  std::string().swap(received_);
  if (!dir_.empty())
    ::unlink((dir_ + received_name).c_str());
}

pact::status snapshot_staging::replay(const state_visitor& fn) const {
  auto path = dir_ + received_name;
  auto changed = [&] {
    return make_error("snapshot stream " + (dir_.empty() ? "" : path + " ")
                      + "changed after it was checked");
  };
  // Visits the whole records at the front of `buf` and drops them from
  // it; false when `fn` stopped the replay (its caller knows why).
  bool ended = false;
  bool stopped = false;
  auto visit = [&](std::string_view& buf) {
    std::string_view key;
    std::string_view value;
    auto rest = buf;
    while (!ended && take_stream_field(rest, key)
           && take_stream_field(rest, value)) {
      buf = rest;
      if (key.empty())
        ended = true;
      else if (!fn(key, value))
        return !(stopped = true);
    }
    return true;
  };
  if (dir_.empty()) {
    std::string_view buf = received_;
    visit(buf);
    return ended || stopped ? pact::status{} : pact::status{changed()};
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error("cannot open " + path + ": " + errno_text());
  std::string buf;
  std::string block(replay_block, '\0');
  pact::status out;
  while (!ended) {
    auto n = ::read(fd, block.data(), block.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      out = make_error("cannot read " + path + ": " + errno_text());
      break;
    }
    if (n == 0)
      break;
    buf.append(block, 0, static_cast<std::size_t>(n));
    std::string_view view = buf;
    if (!visit(view))
      break;
    buf.erase(0, buf.size() - view.size());
  }
  ::close(fd);
  if (out && !ended && !stopped)
    return changed();
  return out;
}

} // namespace pact::store
