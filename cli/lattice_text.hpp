#pragma once

/// Text rendering of the lattice views (runtime/delegation/lattice_views.hpp)
/// for `pact` (docs/cli.md "Delegated to lattice"): aligned tables, one row
/// per item, or "label  value" lines for one object. Each function takes
/// the view's JSON exactly as lattice_views returns it and tolerates a
/// missing or null field (shown as "-"), since lattice leaves many unset.
/// Every cell passes through render::render_table, which escapes control
/// characters (runtime/common/terminal_text.hpp): lattice's strings are
/// other people's text.

#include <string>

#include <nlohmann/json.hpp>

namespace pact::cli {

using nlohmann::json;

/// One JSON value as a cell: strings as they are ("" → "-"), null → "-",
/// booleans "yes"/"no", integers in full, other numbers with at most two
/// decimals, arrays joined with ",", objects as compact JSON.
std::string cell_text(const json& v);

/// jobs_list: ID NAME USER TENANT VCLUSTER STATE NODES STARTED.
std::string jobs_text(const json& view);
/// job_inspect: one "label  value" line per field.
std::string job_text(const json& view);
/// queue_status: VCLUSTER PENDING RUNNING TOTAL.
std::string queues_text(const json& view);
/// nodes_list: NODE STATE REASON VCLUSTER TENANT ALLOCATIONS GPUS CPUS
/// MEMORY_GB HEARTBEAT.
std::string nodes_text(const json& view);
/// node_inspect: one line per field.
std::string node_text(const json& view);
/// dag_list: ID STATE STEPS (done/total) CREATED COMPLETED.
std::string dags_text(const json& view);
/// dag_inspect: the DAG's fields, then STEP NAME STATE NODES STARTED
/// COMPLETED EXIT.
std::string dag_text(const json& view);
/// accounting: "usage over the last N days", then TENANT USER CPU_HOURS
/// GPU_HOURS NODE_HOURS ALLOCATIONS (TENANT "(all)" for the sum over every
/// tenant).
std::string accounting_text(const json& view);
/// budget: the budget's fields, then (a user's) TENANT GPU_HOURS_USED
/// GPU_HOURS_BUDGET NODE_HOURS_USED NODE_HOURS_BUDGET.
std::string budget_text(const json& view);
/// backup_verify: the backup's fields.
std::string backup_verify_text(const json& view);
/// lattice_raft: "leader L, term T, commit C, applied A", then ID ADDRESS
/// ROLE MATCH_INDEX LAST_CONTACT.
std::string lattice_raft_text(const json& view);
/// {"components": [...]} of `pact health`: COMPONENT STATUS DETAIL.
std::string components_text(const json& view);

} // namespace pact::cli
