#include <doctest/doctest.h>

#include "runtime/replica/raft_wire.hpp"

using namespace pact;

TEST_CASE("raft messages survive the wire unchanged") {
  raft::message m;
  m.type = raft::message_type::install_snapshot;
  m.from = 1;
  m.to = 3;
  m.term = 7;
  m.log_index = 41;
  m.log_term = 6;
  m.entries = {{42, 7, raft::entry_kind::normal, "cmd"},
               {43, 7, raft::entry_kind::noop, ""}};
  m.commit = 40;
  m.reject = true;
  m.hint_index = 12;
  m.hint_term = 5;
  m.snapshot.last_included_index = 30;
  m.snapshot.last_included_term = 4;
  m.snapshot.conf = {{1, 2, 3}, {4}};
  m.chunk_offset = 1024;
  m.chunk = std::string("\0\1\2", 3);
  m.chunk_done = true;
  m.context = "ctx";
  auto back = replica::decode_raft_message(replica::encode_raft_message(m));
  REQUIRE(back);
  CHECK(back->type == m.type);
  CHECK(back->from == 1);
  CHECK(back->to == 3);
  CHECK(back->term == 7);
  CHECK(back->log_index == 41);
  CHECK(back->log_term == 6);
  CHECK(back->entries == m.entries);
  CHECK(back->commit == 40);
  CHECK(back->reject);
  CHECK(back->hint_index == 12);
  CHECK(back->hint_term == 5);
  CHECK(back->snapshot.last_included_index == 30);
  CHECK(back->snapshot.conf == m.snapshot.conf);
  CHECK(back->chunk_offset == 1024);
  CHECK(back->chunk == m.chunk);
  CHECK(back->chunk_done);
  CHECK(back->context == "ctx");
}

TEST_CASE("malformed wire bytes are rejected, not trusted") {
  CHECK_FALSE(replica::decode_raft_message("\xff\xff\xff"));
  raft::message m;
  auto bytes = replica::encode_raft_message(m);
  CHECK(replica::decode_raft_message(bytes)); // heartbeat default is valid
  CHECK_FALSE(replica::decode_raft_message(std::string()));
}
