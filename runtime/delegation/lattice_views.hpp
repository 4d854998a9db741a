#pragma once

/// The lattice questions and operations pact's front ends share
/// (docs/delegation.md): each makes its lattice call(s) through
/// lattice_client and returns one JSON object of a documented shape, which
/// `pact --output json` prints as it is, `pact` renders as text, and
/// `pact-mcp` returns as a tool's structured content (mcp/lattice_specs
/// declares the same shapes). CAF-free and blocking (each call has the
/// settings' 5 s deadline).
///
/// Times are RFC 3339 strings as lattice sends them (empty when unset);
/// counts are numbers. Errors are lattice_call's (exit codes and sentences
/// naming the endpoint) and the argument checks named below (exit 1).

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/common/error.hpp"
#include "runtime/delegation/lattice_client.hpp"

namespace pact::delegation {

using nlohmann::json;

/// Non-terminal allocations (not completed, failed or cancelled), of
/// `vcluster` and on `node` when given (lattice filters the vCluster, pact
/// the node):
/// {"jobs": [{"id","name","user","tenant","vcluster","state","nodes":[…],
///            "created_at","started_at","entrypoint"}]}
expected<json> jobs_list(const lattice_settings& s, const std::string& node,
                         const std::string& vcluster);

/// One allocation: {"job": {the row above plus "completed_at",
/// "exit_code", "message", "project"}}. Unknown id: lattice's NOT_FOUND
/// (exit 1).
expected<json> job_inspect(const lattice_settings& s, const std::string& id);

/// Queue depth of `vcluster`, or of every vCluster lattice lists:
/// {"queues": [{"vcluster","pending","running","total"}]}
expected<json> queue_status(const lattice_settings& s,
                            const std::string& vcluster);

/// Nodes as the scheduler sees them, filtered by `state` (lattice) and
/// `vcluster` (pact: lattice's node list does not filter by vCluster):
/// {"nodes": [{"node","state","reason","vcluster","tenant","allocations":
///             […],"gpu_type","gpu_count","cpu_cores","memory_gb",
///             "last_heartbeat"}]}
expected<json> nodes_list(const lattice_settings& s, const std::string& state,
                          const std::string& vcluster);

/// One node: {"node": {the row above plus "group","features","claimed_by",
/// "borrowed","owner_allocation","conformance_fingerprint"}}.
expected<json> node_inspect(const lattice_settings& s, const std::string& node);

/// DAG workflows of `tenant` and in `state` when given:
/// {"dags": [{"id","state","steps","steps_done","created_at",
///            "completed_at"}]}
expected<json> dag_list(const lattice_settings& s, const std::string& tenant,
                        const std::string& state);

/// One DAG: {"dag": {"id","state","created_at","completed_at","steps":
///           [{"id","name","state","nodes","started_at","completed_at",
///             "exit_code"}]}}
expected<json> dag_inspect(const lattice_settings& s, const std::string& id);

/// Usage over the last `days` (1..3650): of `user` across tenants when
/// given (GetUserUsage), else of `tenant` or of all tenants
/// (GetAccountingUsage):
/// {"days": N, "usage": [{"tenant","user","cpu_hours","gpu_hours",
///                         "node_hours","allocations"}]}
/// (absent figures: null).
expected<json> accounting(const lattice_settings& s, const std::string& tenant,
                          const std::string& user, int days);

/// A tenant's or user's budget (`kind` "tenant" or "user", else exit 1)
/// over `days` (0: lattice's default):
/// {"budget": {"kind","id","period_start","period_end","period_days",
///             "gpu_hours_used","gpu_hours_budget","node_hours_used",
///             "node_hours_budget", "tenants": [...] (user)}}
/// (a budget lattice does not set: null).
expected<json> budget(const lattice_settings& s, const std::string& kind,
                      const std::string& id, int days);

/// {"path","ok","message","taken_at","snapshot_term","snapshot_index"}
expected<json> backup_verify(const lattice_settings& s,
                             const std::string& path);

/// lattice's quorum: {"leader_id","term","commit_index","last_applied",
/// "members": [{"id","address","role","match_index","last_contact"}]}
expected<json> lattice_raft(const lattice_settings& s);

/// lattice's liveness: {"status","version","uptime_seconds"}
expected<json> lattice_health(const lattice_settings& s);

// The state-changing calls. Each is the call only: the front ends record
// it in the journal first (actors/client/delegation.hpp).

/// DrainNode: {"node","state": "drained" or "draining",
/// "active_allocations"}
expected<json> drain_node(const lattice_settings& s, const std::string& node,
                          const std::string& reason);
/// UndrainNode: {"node","state":"ready"}
expected<json> undrain_node(const lattice_settings& s, const std::string& node);
/// DisableNode (cordon): {"node","state":"down"}
expected<json> cordon_node(const lattice_settings& s, const std::string& node,
                           const std::string& reason);
/// EnableNode (uncordon): {"node","state":"ready"}
expected<json> uncordon_node(const lattice_settings& s,
                             const std::string& node);
/// CreateBackup: {"path","ok","message","taken_at","nodes","allocations",
/// "tenants","audit_entries"}; a backup lattice could not write (its
/// success=false) is an error (exit 1) with lattice's message.
expected<json> backup_create(const lattice_settings& s,
                             const std::string& path);

/// A backup path pact sends: absolute (or s3://), at most 4096 bytes;
/// checked before the request is recorded (exit 1).
status check_backup_path(const std::string& path);

/// Whether `node` may be power cycled (`pact reboot`/`reimage`, issue 17
/// item 3): fine when `force`, or when lattice says it runs no allocation
/// or is drained (or does not know it). Errors: runs allocations (exit 4,
/// naming them and the way out: drain or --force); lattice not configured
/// or unreachable (its error, with "give --force to go ahead without the
/// scheduler's word").
status power_cycle_allowed(const expected<lattice_settings>& s,
                           const std::string& node, bool force);

} // namespace pact::delegation
