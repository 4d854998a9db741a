#pragma once

/// Linearizability checking (Herlihy & Wing 1990) of a client history
/// against a sequential model. The search is Wing & Gong's, as improved by
/// Lowe ("Testing for linearizability", 2017) and used by Porcupine: a
/// depth-first walk over the time-ordered list of call and return events
/// that tries to linearize each call before the first pending return,
/// memoizing every (set of linearized operations, model state) pair it has
/// explored so that no configuration is expanded twice. Histories split into
/// independent partitions first (P-compositionality: a key-value history is
/// linearizable iff the history of every key is).
///
/// Pending operations (no response: lost reply, client gave up, unknown
/// outcome) are treated as returning at +infinity: they may take effect at
/// any point after their invocation, or never (linearized after everything
/// else). This header is independent of Raft and reusable for any model.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pact::sim::lin {

enum class op_kind : std::uint8_t {
  read,
  write,
};

/// One client operation as its client observed it.
struct operation {
  /// Who issued it (for reports only; the check uses real time alone).
  std::uint64_t client = 0;
  op_kind kind = op_kind::read;
  /// Partition key (the register's name for a key-value model).
  std::string key;
  /// write: the value written. read: the value returned (ignored while
  /// pending).
  std::string value;
  /// Time the client sent the request.
  std::uint64_t invoke = 0;
  /// Time the client received the response; nullopt when the outcome is
  /// unknown (the operation stays pending forever).
  std::optional<std::uint64_t> response;

  bool pending() const {
    return !response.has_value();
  }
};

/// A sequential specification. The state is an opaque string so that the
/// checker can memoize it without knowing the model.
struct model {
  /// State every partition starts from.
  std::string init;
  /// Applies `op` to `state`: the next state, or nullopt when the model
  /// forbids `op` in `state` (e.g. a read returned another value). Must
  /// accept any output for a pending op.
  std::function<std::optional<std::string>(const std::string& state,
                                           const operation& op)>
    step;
  /// Splits a history into independent sub-histories; may also drop
  /// operations that cannot constrain the result. Empty: one partition.
  std::function<std::vector<std::vector<operation>>(
    const std::vector<operation>&)>
    partition;
};

/// A map of read/write registers, one per key; a read returns the last
/// value written to its key, or "" if none. Partitions by key and drops
/// pending reads. It also drops pending writes whose value no read
/// returned, which is sound only if every write value is unique (a
/// linearization can always place such a write after everything else).
model kv_register_model();

enum class verdict : std::uint8_t {
  /// Linearizable.
  ok,
  /// Not linearizable; `explanation` says where.
  illegal,
  /// The search exceeded check_options::max_states; nothing is known.
  unknown,
};

const char* to_string(verdict v);

struct check_options {
  /// Bound on memoized configurations per partition ("put a limit on
  /// everything"); beyond it the verdict is `unknown`.
  std::uint64_t max_states = 4'000'000;
};

struct check_result {
  verdict outcome = verdict::ok;
  /// For `illegal`: the partition, how far the search got and the
  /// operations it could not place.
  std::string explanation;
  /// Configurations explored over all partitions.
  std::uint64_t states = 0;
  /// Partitions checked.
  std::size_t partitions = 0;
};

/// Checks `history` against `m`. Operations may be given in any order.
/// Precondition: response >= invoke for every completed operation.
check_result check(const std::vector<operation>& history, const model& m,
                   const check_options& opts = {});

/// One line describing `op`, e.g. `c3 write x="v3.7" [12, 40]`.
std::string describe(const operation& op);

} // namespace pact::sim::lin
