#include "runtime/replica/raft_wire.hpp"

#include <pact/protocol/raft.pb.h>

namespace pact::replica {

namespace {

using protocol::RaftMessage;

void put_conf(const raft::conf_state& c, protocol::RaftConfState* out) {
  for (auto v : c.voters)
    out->add_voters(v);
  for (auto l : c.learners)
    out->add_learners(l);
}

raft::conf_state get_conf(const protocol::RaftConfState& c) {
  raft::conf_state out;
  out.voters.assign(c.voters().begin(), c.voters().end());
  out.learners.assign(c.learners().begin(), c.learners().end());
  return out;
}

} // namespace

std::string encode_raft_message(const raft::message& m) {
  RaftMessage pb;
  pb.set_type(static_cast<protocol::RaftMessageType>(m.type));
  pb.set_from(m.from);
  pb.set_to(m.to);
  pb.set_term(m.term);
  pb.set_log_index(m.log_index);
  pb.set_log_term(m.log_term);
  for (auto& e : m.entries) {
    auto* pe = pb.add_entries();
    pe->set_index(e.index);
    pe->set_term(e.term);
    pe->set_kind(static_cast<protocol::RaftEntryKind>(e.kind));
    pe->set_data(e.data);
  }
  pb.set_commit(m.commit);
  pb.set_reject(m.reject);
  pb.set_hint_index(m.hint_index);
  pb.set_hint_term(m.hint_term);
  if (m.snapshot.last_included_index != 0 || !m.snapshot.conf.voters.empty()) {
    auto* s = pb.mutable_snapshot();
    s->set_last_included_index(m.snapshot.last_included_index);
    s->set_last_included_term(m.snapshot.last_included_term);
    put_conf(m.snapshot.conf, s->mutable_conf_state());
  }
  pb.set_chunk_offset(m.chunk_offset);
  pb.set_chunk(m.chunk);
  pb.set_chunk_done(m.chunk_done);
  pb.set_context(m.context);
  return pb.SerializeAsString();
}

std::optional<raft::message> decode_raft_message(const std::string& bytes) {
  RaftMessage pb;
  if (!pb.ParseFromString(bytes))
    return std::nullopt;
  if (pb.type() < protocol::RAFT_MESSAGE_TYPE_PRE_VOTE
      || pb.type() > protocol::RAFT_MESSAGE_TYPE_HEARTBEAT_RESPONSE)
    return std::nullopt;
  raft::message m;
  m.type = static_cast<raft::message_type>(pb.type());
  m.from = pb.from();
  m.to = pb.to();
  m.term = pb.term();
  m.log_index = pb.log_index();
  m.log_term = pb.log_term();
  m.entries.reserve(static_cast<size_t>(pb.entries_size()));
  for (auto& pe : pb.entries()) {
    if (pe.kind() < protocol::RAFT_ENTRY_KIND_NORMAL
        || pe.kind() > protocol::RAFT_ENTRY_KIND_NOOP)
      return std::nullopt;
    m.entries.push_back(raft::entry{pe.index(), pe.term(),
                                    static_cast<raft::entry_kind>(pe.kind()),
                                    pe.data()});
  }
  m.commit = pb.commit();
  m.reject = pb.reject();
  m.hint_index = pb.hint_index();
  m.hint_term = pb.hint_term();
  if (pb.has_snapshot()) {
    m.snapshot.last_included_index = pb.snapshot().last_included_index();
    m.snapshot.last_included_term = pb.snapshot().last_included_term();
    m.snapshot.conf = get_conf(pb.snapshot().conf_state());
  }
  m.chunk_offset = pb.chunk_offset();
  m.chunk = pb.chunk();
  m.chunk_done = pb.chunk_done();
  m.context = pb.context();
  return m;
}

} // namespace pact::replica
