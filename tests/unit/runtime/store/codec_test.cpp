// The on-disk format (docs/storage.md, "Formats"): exact bytes for the
// fixed records, round trips, and rejection of malformed input.

#include <doctest/doctest.h>

#include "runtime/store/codec.hpp"

using namespace pact;
using namespace pact::store;

TEST_CASE("codec: log keys are big-endian so they sort numerically") {
  CHECK(codec::index_key(1) == std::string("\0\0\0\0\0\0\0\x01", 8));
  CHECK(codec::index_key(0x0102030405060708ULL)
        == "\x01\x02\x03\x04\x05\x06\x07\x08");
  CHECK(codec::index_key(255) < codec::index_key(256));
  CHECK(*codec::decode_index_key(codec::index_key(1234567)) == 1234567);
  CHECK_FALSE(codec::decode_index_key("short"));
}

TEST_CASE("codec: entry values") {
  raft::entry e{42, 7, raft::entry_kind::conf_change, std::string("a\0b", 3)};
  std::string v(codec::entry_value_size(e), '?');
  codec::write_entry_value(v.data(), e);
  CHECK(v
        == std::string("\0\0\0\0\0\0\0\x07\x02"
                       "a\0b",
                       12));
  auto back = codec::decode_entry(42, v);
  REQUIRE(back);
  CHECK(*back == e);
  CHECK(*codec::decode_entry_term(v) == 7);
  CHECK_FALSE(codec::decode_entry(42, v.substr(0, 8)));
  v[8] = 9; // unknown kind
  CHECK_FALSE(codec::decode_entry(42, v));
  CHECK_FALSE(codec::decode_entry_term(v));
}

TEST_CASE("codec: metadata records round trip and reject junk") {
  raft::hard_state hs{3, 2, 1};
  CHECK(codec::encode_hard_state(hs).size() == 24);
  CHECK(*codec::decode_hard_state(codec::encode_hard_state(hs)) == hs);
  CHECK_FALSE(codec::decode_hard_state(codec::encode_hard_state(hs) + "x"));

  raft::conf_state cs{{1, 2, 3}, {9}};
  auto enc = codec::encode_conf_state(cs);
  CHECK(enc.size() == 8 * (1 + 3 + 1 + 1));
  CHECK(*codec::decode_conf_state(enc) == cs);
  CHECK(*codec::decode_conf_state(codec::encode_conf_state({}))
        == raft::conf_state{});
  // A huge count must not allocate: rejected by the remaining size.
  CHECK_FALSE(codec::decode_conf_state(codec::index_key(~0ULL)));
  CHECK_FALSE(codec::decode_conf_state(enc.substr(0, enc.size() - 1)));

  codec::snapshot_record rec{{10, 4, cs}, 12345};
  auto r = codec::decode_snapshot_record(codec::encode_snapshot_record(rec));
  REQUIRE(r);
  CHECK(r->meta.last_included_index == 10);
  CHECK(r->meta.last_included_term == 4);
  CHECK(r->meta.conf == cs);
  CHECK(r->image_bytes == 12345);

  auto ls = codec::decode_log_start(codec::encode_log_start({5, 2}));
  REQUIRE(ls);
  CHECK(ls->index == 5);
  CHECK(ls->term == 2);
  CHECK(*codec::decode_format(codec::encode_format()) == codec::format_version);
  CHECK(codec::image_chunk_key(1) == std::string("img\0\0\0\0\0\0\0\x01", 11));
}
