#include "tests/sim/scenario.hpp"

#include <sstream>

#include "tests/sim/simulation.hpp"
#include "tests/sim/state_machine.hpp"

namespace pact::sim {

namespace {

/// Client id of `propose` commands (distinct from clients and loads).
constexpr std::uint64_t propose_client = 999;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in{s};
  while (std::getline(in, cur, sep))
    if (!cur.empty())
      out.push_back(cur);
  return out;
}

std::uint64_t num(const std::map<std::string, std::string>& a,
                  const std::string& key, std::uint64_t fallback) {
  auto i = a.find(key);
  return i == a.end() ? fallback : std::stoull(i->second);
}

std::string text(const std::map<std::string, std::string>& a,
                 const std::string& key) {
  auto i = a.find(key);
  return i == a.end() ? std::string{} : i->second;
}

/// The deterministic entry a `load` puts at (index, term).
raft::entry loaded_entry(raft::index_t index, raft::term_t term) {
  raft::entry e;
  e.index = index;
  e.term = term;
  e.data = encode(
    command{0, index, "f", std::to_string(index) + "@" + std::to_string(term)});
  return e;
}

bool matches(const packet& p, const std::map<std::string, std::string>& a) {
  if (a.count("from") != 0 && p.from != num(a, "from", 0))
    return false;
  if (a.count("to") != 0 && p.to != num(a, "to", 0))
    return false;
  if (a.count("type") != 0)
    return p.kind == packet_kind::raft
           && text(a, "type") == raft::to_string(p.raft.type);
  return true;
}

} // namespace

cluster& scenario::c() {
  if (!cluster_)
    make_cluster({});
  return *cluster_;
}

std::string scenario::run(const std::string& command) {
  auto words = split(command, ' ');
  args a;
  std::vector<std::string> bare;
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos)
      bare.push_back(w);
    else
      a[w.substr(0, eq)] = w.substr(eq + 1);
  }
  if (bare.empty())
    return "error: empty command\n";
  std::string out;
  try {
    out = dispatch(bare.front(), bare, a);
  } catch (const std::exception& e) {
    out = std::string{"error: "} + e.what() + "\n";
  }
  if (cluster_ && cluster_->checks().failed() && !violation_reported_) {
    violation_reported_ = true;
    out += "!! invariant violated: " + cluster_->checks().violation() + "\n";
  }
  return out;
}

std::optional<std::string> scenario::node_command(const std::string& verb,
                                                  const args& a) {
  auto id = num(a, "id", 0);
  if (verb == "campaign") {
    c().poke(id, "campaign",
             [](pact::replica::replica_driver& d) { d.campaign(); });
    return "";
  }
  if (verb == "tick") {
    for (std::uint64_t i = 0; i < num(a, "n", 1); ++i)
      for (auto r : c().ids())
        if (id == 0 || r == id)
          c().tick_replica(r);
    return "";
  }
  if (verb == "run") {
    // Rounds of: every replica ticks once, then everything is delivered.
    for (std::uint64_t i = 0; i < num(a, "n", 1); ++i) {
      for (auto r : c().ids())
        c().tick_replica(r);
      c().stabilize();
    }
    return "";
  }
  if (verb == "disk") {
    // A replica's fsync latency in ticks; scenario time stands still
    // unless `run` advances it, so a write can be held at will.
    auto& o = c().at(id).options();
    o.min_fsync_ticks = o.max_fsync_ticks = num(a, "fsync", 0);
    return "";
  }
  if (verb == "crash" || verb == "restart") {
    verb == "crash" ? c().crash(id) : c().restart(id);
    return "";
  }
  raft::status st = raft::status::ok;
  if (verb == "propose") {
    command cmd{propose_client, ++proposals_, "k", text(a, "value")};
    c().poke(id, "propose", [&](pact::replica::replica_driver& d) {
      st = d.propose(0, encode(cmd)); // Tag 0: no client waits for it.
    });
  } else if (verb == "transfer") {
    auto to = num(a, "to", 0);
    c().poke(num(a, "from", 0), "transfer",
             [&](pact::replica::replica_driver& d) {
               st = d.transfer_leadership(to);
             });
  } else {
    return std::nullopt;
  }
  return std::string{raft::to_string(st)} + "\n";
}

std::optional<std::string>
scenario::network_command(const std::string& verb,
                          const std::vector<std::string>& words,
                          const args& a) {
  if (verb == "deliver")
    return deliver(words, a);
  if (verb == "stabilize")
    return stabilize(words.size() > 1 && words[1] == "quiet");
  if (verb == "partition")
    return partition(words);
  if (verb == "pending") {
    std::string out;
    for (const auto& p : c().net().pending())
      out += describe(p) + "\n";
    return out;
  }
  if (verb == "isolate")
    c().net().isolate(num(a, "id", 0), c().ids());
  else if (verb == "cut")
    c().net().cut(num(a, "from", 0), num(a, "to", 0));
  else if (verb == "heal")
    c().net().heal();
  else
    return std::nullopt;
  return "";
}

std::string scenario::dispatch(const std::string& verb,
                               const std::vector<std::string>& words,
                               const args& a) {
  if (verb == "cluster")
    return make_cluster(a);
  if (verb == "load")
    return load(a);
  if (auto out = node_command(verb, a))
    return *out;
  if (auto out = network_command(verb, words, a))
    return *out;
  if (verb == "write")
    return send_client_op(lin::op_kind::write, a);
  if (verb == "read")
    return send_client_op(lin::op_kind::read, a);
  if (verb == "history")
    return history();
  if (verb == "status")
    return status(a);
  if (verb == "check")
    return check();
  if (verb == "plant-bug") {
    auto b = parse_bug(words.size() > 1 ? words[1] : "");
    if (!b)
      return "error: unknown bug\n";
    for (auto r : c().ids())
      c().at(r).options().bug = *b;
    return "";
  }
  return "error: unknown command " + verb + "\n";
}

std::string scenario::make_cluster(const args& a) {
  replica_options ro;
  ro.pre_vote = num(a, "pre_vote", 1) != 0;
  ro.check_quorum = num(a, "check_quorum", 1) != 0;
  ro.election_timeout_ticks = static_cast<int>(num(a, "election", 10));
  ro.heartbeat_interval_ticks = static_cast<int>(num(a, "heartbeat", 1));
  ro.max_entries_per_msg = num(a, "max_entries", 64);
  cluster_ = std::make_unique<cluster>(num(a, "n", 3), ro, num(a, "seed", 1));
  cluster_->on_reply([this](const client_reply& rp) { on_reply(rp); });
  clients_.clear();
  history_.clear();
  refused_.clear();
  proposals_ = 0;
  violation_reported_ = false;
  return "";
}

std::string scenario::load(const args& a) {
  auto id = num(a, "id", 0);
  std::vector<raft::entry> ents;
  raft::index_t index = 0;
  for (const auto& t : split(text(a, "terms"), ','))
    ents.push_back(loaded_entry(++index, std::stoull(t)));
  raft::hard_state hs;
  hs.current_term = num(a, "term", ents.empty() ? 0 : ents.back().term);
  hs.voted_for = num(a, "vote", 0);
  hs.commit_index = num(a, "commit", 0);
  auto& r = c().at(id);
  r.load(ents, hs);
  c().checks().check_whole_log(r);
  c().checks().adopt_commits(r);
  c().poke(id, "load", [](pact::replica::replica_driver&) {});
  return status_line(id);
}

std::string scenario::deliver(const std::vector<std::string>& words,
                              const args& a) {
  bool drop = words.size() > 1 && words[1] == "drop";
  auto limit = num(a, "n", static_cast<std::uint64_t>(-1));
  auto all = c().net().take_all();
  std::vector<packet> chosen;
  for (auto& p : all) {
    if (chosen.size() < limit && matches(p, a))
      chosen.push_back(std::move(p));
    else
      c().net().requeue(std::move(p), c().now());
  }
  std::ostringstream out;
  c().set_trace(&out, false);
  for (const auto& p : chosen) {
    if (drop)
      out << "dropped " << describe(p) << '\n';
    else if (!c().net().connected(p.from, p.to))
      out << "cut " << describe(p) << '\n';
    else
      c().deliver_packet(p);
  }
  c().set_trace(nullptr);
  return out.str();
}

std::string scenario::stabilize(bool quiet) {
  std::ostringstream out;
  c().set_trace(quiet ? nullptr : &out, false);
  c().stabilize();
  c().set_trace(nullptr);
  return out.str();
}

std::string scenario::partition(const std::vector<std::string>& words) {
  // partition 1,2 3,4,5: the first group against everybody else.
  if (words.size() < 2)
    return "error: partition needs a group\n";
  std::set<node_id> side;
  for (const auto& id : split(words[1], ','))
    side.insert(std::stoull(id));
  c().net().partition(side, c().ids());
  return "";
}

std::string scenario::send_client_op(lin::op_kind kind, const args& a) {
  auto id = num(a, "client", 1);
  auto& mc = clients_[id];
  client_request rq;
  rq.kind = kind;
  rq.client = id;
  rq.seq = ++mc.seq;
  rq.attempt = 1;
  rq.key = text(a, "key");
  rq.value = text(a, "value");
  lin::operation op;
  op.client = id;
  op.kind = kind;
  op.key = rq.key;
  op.value = rq.value;
  op.invoke = c().clock();
  mc.op = history_.size();
  mc.open = true;
  history_.push_back(op);
  refused_.push_back(false);
  c().send_request(id, num(a, "to", 1), rq);
  return "";
}

void scenario::on_reply(const client_reply& rp) {
  auto i = clients_.find(rp.client);
  if (i == clients_.end() || !i->second.open || rp.seq != i->second.seq)
    return;
  auto& op = history_[i->second.op];
  i->second.open = false;
  if (rp.status != reply_status::ok) {
    refused_[i->second.op] = true; // Not executed: excluded from checks.
    return;
  }
  op.response = c().clock();
  if (op.kind == lin::op_kind::read)
    op.value = rp.value;
}

std::string scenario::history() const {
  std::ostringstream out;
  std::vector<lin::operation> checked;
  for (std::size_t i = 0; i < history_.size(); ++i) {
    out << lin::describe(history_[i]) << (refused_[i] ? " refused" : "")
        << '\n';
    if (!refused_[i])
      checked.push_back(history_[i]);
  }
  auto res = lin::check(checked, lin::kv_register_model());
  out << lin::to_string(res.outcome) << '\n';
  if (res.outcome == lin::verdict::illegal)
    out << res.explanation << '\n';
  return out.str();
}

std::string scenario::status(const args& a) {
  std::string out;
  auto id = num(a, "id", 0);
  for (auto r : c().ids())
    if (id == 0 || r == id)
      out += status_line(r);
  return out;
}

std::string scenario::status_line(node_id id) {
  auto& r = c().at(id);
  std::ostringstream out;
  out << id << ": ";
  if (!r.up()) {
    auto hs = r.store().durable().load_initial_state().hard;
    out << "down (durable term=" << hs.current_term << " vote=" << hs.voted_for
        << " commit=" << hs.commit_index << ")\n";
    return out.str();
  }
  const auto& core = r.node().core();
  const auto& log = core.log();
  out << raft::to_string(core.role()) << " term=" << core.current_term()
      << " vote=" << core.voted_for() << " lead=" << core.leader_id()
      << " commit=" << log.committed() << " applied=" << r.state().applied()
      << " log=";
  if (log.first_index() > 1)
    out << '[' << log.first_index() - 1 << "]";
  for (auto i = log.first_index(); i <= log.last_index(); ++i)
    out << (i == log.first_index() ? "" : ",") << log.term_or_zero(i);
  out << '\n';
  return out.str();
}

std::string scenario::check() {
  if (!c().checks().failed())
    return "invariants: ok\n";
  violation_reported_ = true;
  return "invariants: VIOLATED: " + c().checks().violation() + "\n";
}

std::vector<transcript_case> parse_transcript(const std::string& text) {
  std::vector<transcript_case> out;
  std::istringstream in{text};
  std::string line;
  std::size_t no = 0;
  transcript_case cur;
  enum { before, after_command, in_output } state = before;
  while (std::getline(in, line)) {
    ++no;
    if (state == before) {
      if (line.empty() || line[0] == '#') {
        cur.preamble += line + "\n";
      } else {
        cur.command = line;
        cur.line = no;
        state = after_command;
      }
    } else if (state == after_command) {
      state = in_output; // The "----" separator.
    } else if (line.empty()) {
      out.push_back(cur);
      cur = transcript_case{};
      state = before;
    } else {
      cur.expected += line + "\n";
    }
  }
  if (state != before)
    out.push_back(cur);
  return out;
}

std::string render_transcript(const std::vector<transcript_case>& cases,
                              const std::vector<std::string>& outputs) {
  std::string out;
  for (std::size_t i = 0; i < cases.size(); ++i)
    out += cases[i].preamble + cases[i].command + "\n----\n" + outputs[i]
           + "\n";
  return out;
}

} // namespace pact::sim
