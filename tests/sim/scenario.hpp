#pragma once

/// Transcript-style scenario tests (etcd's testdata/*.txt, "datadriven"):
/// a file is a list of commands, each followed by `----` and the output it
/// must produce. The commands drive a `cluster` by hand: no randomness
/// except the seeded election jitter, no loss, no delay; messages move only
/// when a command delivers them. The invariant checker runs after every
/// step, as in the random simulation, and a violation is printed the first
/// time it appears.
///
/// Commands (arguments are key=value; ids are replica ids):
///   cluster n=5 [pre_vote=0] [check_quorum=0] [election=10] [heartbeat=1]
///           [max_entries=64]            new cluster, all voters, no leader
///   load id=1 terms=1,1,2 term=2 [vote=1] [commit=0]
///                                       replace a replica's durable state
///   campaign id=1 | tick [id=1] [n=1] | crash id=1 | restart id=1
///   disk id=1 fsync=K                   that replica's writes complete K
///                                       ticks later (only `run` moves time)
///   run n=10                            n rounds of: tick all, stabilize
///   propose id=1 value=x                the node's answer (ok, not_leader..)
///   transfer from=1 to=2
///   deliver [from=1] [to=2] [type=append_entries] [n=K] [drop]
///                                       deliver (or drop) packets in flight
///                                       now, in order; prints each one
///   stabilize [quiet]                   deliver until nothing is in flight
///   pending                             list packets in flight
///   partition 1,2 3,4,5 | isolate id=1 | cut from=1 to=2 | heal
///   write client=1 to=1 key=x value=a | read client=1 to=2 key=x
///                                       a client request (a packet)
///   history                             client operations and the
///                                       linearizability verdict
///   status [id=1]                       role, term, vote, commit, log
///   check                               invariant checker verdict
///   plant-bug name                      see planted_bug in replica.hpp

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/cluster.hpp"
#include "tests/sim/linearizability.hpp"

namespace pact::sim {

/// One command of a transcript and the output it must produce.
struct transcript_case {
  /// Comment and blank lines before the command, verbatim.
  std::string preamble;
  std::string command;
  std::string expected;
  /// 1-based line of the command in the file.
  std::size_t line = 0;
};

std::vector<transcript_case> parse_transcript(const std::string& text);

/// The file text with `outputs` as the expected outputs (for rewriting
/// golden files: PACT_SIM_REWRITE=1).
std::string render_transcript(const std::vector<transcript_case>& cases,
                              const std::vector<std::string>& outputs);

class scenario {
public:
  /// Runs one command; returns its output, one '\n'-terminated line each.
  std::string run(const std::string& command);

private:
  using args = std::map<std::string, std::string>;
  struct manual_client {
    std::uint64_t seq = 0;
    std::size_t op = 0;
    bool open = false;
  };

  std::string dispatch(const std::string& verb,
                       const std::vector<std::string>& words, const args& a);
  std::optional<std::string> node_command(const std::string& verb,
                                          const args& a);
  std::optional<std::string>
  network_command(const std::string& verb,
                  const std::vector<std::string>& words, const args& a);
  std::string make_cluster(const args& a);
  std::string load(const args& a);
  std::string deliver(const std::vector<std::string>& words, const args& a);
  std::string stabilize(bool quiet);
  std::string partition(const std::vector<std::string>& words);
  std::string send_client_op(lin::op_kind kind, const args& a);
  std::string history() const;
  std::string status(const args& a);
  std::string status_line(node_id id);
  std::string check();
  void on_reply(const client_reply& rp);
  cluster& c();

  std::unique_ptr<cluster> cluster_;
  std::map<std::uint64_t, manual_client> clients_;
  std::vector<lin::operation> history_;
  /// Per history_ entry: refused by a replica, so never executed.
  std::vector<bool> refused_;
  std::uint64_t proposals_ = 0;
  bool violation_reported_ = false;
};

} // namespace pact::sim
