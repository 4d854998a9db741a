#pragma once

// Builders shared by the config_state_machine tests: commands stamped the
// way the leader stamps them, and a harness that drives apply() with
// consecutive Raft indices and decodes the results.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_items.hpp"

namespace pact::journal::test {

using namespace pact::protocol;

inline constexpr int64_t t0_ms = 1'700'000'000'000;

inline Identity human(const std::string& who = "alice@site") {
  Identity id;
  id.set_principal(who);
  id.set_principal_type(PRINCIPAL_TYPE_HUMAN);
  id.set_role("pact-ops-ml");
  return id;
}

inline Identity agent() {
  Identity id;
  id.set_principal("claude@mcp");
  id.set_principal_type(PRINCIPAL_TYPE_AGENT);
  id.set_role("pact-service-ai");
  return id;
}

inline JournalCommand make_cmd(CommandKind kind, const Scope& scope,
                               int64_t ts = t0_ms) {
  JournalCommand c;
  c.set_kind(kind);
  c.set_timestamp_unix_ms(ts);
  *c.mutable_author() = human();
  *c.mutable_scope() = scope;
  c.set_message("test");
  return c;
}

inline DeltaItem make_item(DeltaCategory cat, DeltaAction action,
                           const std::string& key,
                           const std::string& value = {}) {
  DeltaItem i;
  i.set_category(cat);
  i.set_action(action);
  i.set_key(key);
  i.set_value(value);
  return i;
}

/// A node commit of one sysctl with a valid TTL.
inline JournalCommand
node_commit(const std::string& node, const std::string& key,
            const std::string& value, uint32_t ttl = 3600) {
  auto c = make_cmd(COMMAND_KIND_COMMIT, node_scope(node));
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, key, value);
  c.set_ttl_seconds(ttl);
  return c;
}

/// An overlay apply of one vCluster with the given sysctl items.
inline JournalCommand
overlay_apply(const std::string& vc,
              std::initializer_list<std::pair<std::string, std::string>> kv,
              const std::string& image = "img-1") {
  auto c = make_cmd(COMMAND_KIND_OVERLAY_APPLY, global_scope());
  auto* spec = c.add_overlays();
  spec->set_vcluster(vc);
  spec->mutable_attributes()->set_base_image(image);
  spec->mutable_attributes()->set_supervisor_backend("pact");
  for (const auto& [k, v] : kv)
    *spec->add_items() = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, k,
                                   v);
  return c;
}

/// `pact enroll NODE --vcluster VC [--hardware-id HW]` as the gateway
/// proposes it: with the SHA-256 of the token it drew.
inline JournalCommand
enroll_with_token(const std::string& node, const std::string& vc,
                  const std::string& token, const std::string& hw = {}) {
  auto c = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope(node));
  c.set_vcluster(vc);
  c.set_enroll_token_sha256(sha256(token));
  c.set_hardware_id(hw);
  return c;
}

/// The gateway's NODE_ACTIVATE after signing the CSR named `csr` (its
/// digest is the SHA-256 of that text) for `node` on hardware `hw`,
/// presenting `token` (empty: a renewal). The author is the node (a raw
/// command: no stamped roles).
inline JournalCommand activate_cmd(const std::string& node,
                                   const std::string& hw,
                                   const std::string& token,
                                   const std::string& csr, int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_NODE_ACTIVATE, node_scope(node), ts);
  c.mutable_author()->set_principal(node);
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_SERVICE);
  c.mutable_author()->set_role("pact-node");
  c.set_message("");
  c.set_hardware_id(hw);
  if (!token.empty())
    c.set_enroll_token_sha256(sha256(token));
  c.set_csr_sha256(to_hex(sha256(csr)));
  c.set_cert_serial(to_hex(sha256("serial " + csr)).substr(0, 32));
  c.set_cert_not_after_unix_ms(ts + 86'400'000);
  c.set_ca_sha256(to_hex(sha256("ca")));
  return c;
}

/// Drives a machine through apply() with consecutive indices.
struct harness {
  config_state_machine sm;
  uint64_t index = 0;

  CommandResult run(const JournalCommand& c) {
    std::string bytes;
    REQUIRE(c.SerializeToString(&bytes));
    CommandResult r;
    REQUIRE(r.ParseFromString(sm.apply(++index, bytes)));
    return r;
  }

  /// Runs a command that must succeed; returns its first sequence.
  uint64_t ok(const JournalCommand& c) {
    auto r = run(c);
    INFO(r.status().message());
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    REQUIRE(r.sequences_size() >= 1);
    return r.sequences(0);
  }

  /// Runs a command that must be refused with `code` and a message
  /// containing `text`, and checks it changed nothing: execute() leaves
  /// the snapshot byte-identical, and apply() returns the same result
  /// bytes and moves only applied().
  void refused(const JournalCommand& c, StatusCode code,
               const std::string& text) {
    auto before = sm.snapshot();
    auto sequence_before = sm.last_sequence();
    auto r = sm.execute(c);
    INFO("message: " << r.status().message());
    CHECK(r.status().code() == code);
    CHECK(r.sequences_size() == 0);
    CHECK(r.status().message().find(text) != std::string::npos);
    CHECK(sm.snapshot() == before);
    std::string bytes;
    REQUIRE(c.SerializeToString(&bytes));
    CHECK(sm.apply(++index, bytes) == deterministic_bytes(r));
    CHECK(sm.last_sequence() == sequence_before);
    CHECK(sm.applied() == index);
  }
};

/// The entry with `seq`, which must exist.
inline ConfigEntry entry_at(const config_state_machine& sm, uint64_t seq) {
  auto e = sm.entry(seq);
  REQUIRE(e.has_value());
  REQUIRE(e->has_value());
  return **e;
}

/// The newest entry, which must exist.
inline const ConfigEntry& last_of(const config_state_machine& sm) {
  REQUIRE(sm.last_entry() != nullptr);
  return *sm.last_entry();
}

/// Every entry, ascending, read back through the entry store.
inline std::vector<ConfigEntry> all_entries(const config_state_machine& sm) {
  std::vector<ConfigEntry> out;
  REQUIRE(sm.entries().scan(0, [&](const ConfigEntry& e) {
    out.push_back(e);
    return true;
  }));
  return out;
}

/// Every audit record, ascending.
inline std::vector<AuditRecord> audit_of(const config_state_machine& sm) {
  auto a = sm.audit(0, SIZE_MAX);
  REQUIRE(a.has_value());
  return *a;
}

/// The newest `n` entries (of `scope`), newest first.
inline std::vector<ConfigEntry>
newest_of(const config_state_machine& sm, size_t n,
          const std::optional<Scope>& scope = {}) {
  auto l = sm.log(n, scope);
  REQUIRE(l.has_value());
  return *l;
}

/// A harness with vCluster ml declaring the sysctl `key` = `value` and
/// node n1 enrolled in it.
inline harness enrolled_in_ml(const std::string& key,
                              const std::string& value) {
  harness h;
  h.ok(overlay_apply("ml", {{key, value}}));
  auto en = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  en.set_vcluster("ml");
  h.ok(en);
  return h;
}

} // namespace pact::journal::test
