#pragma once

/// vCluster policies (DESIGN.md §9): defaults, validation and the canonical
/// resolved form the state machine stores. Pure functions.

#include <string>

#include <pact/protocol/journal.pb.h>

namespace pact::journal {

/// Defaults of DESIGN.md §9.
inline constexpr double default_drift_sensitivity = 2.0;
inline constexpr uint32_t default_base_commit_window_seconds = 900;
inline constexpr uint32_t default_emergency_window_seconds = 14400;
inline constexpr uint32_t default_approval_timeout_seconds = 1800;
inline constexpr uint32_t default_audit_retention_days = 2555;
/// The commit window formula never goes below this (DESIGN.md §9), so a
/// base window below it would be meaningless.
inline constexpr uint32_t min_window_seconds = 60;
/// Bounds on list sizes in a policy.
inline constexpr int max_policy_list = 1024;

/// The policy of a vCluster nobody configured: every field set to its
/// default, enforcement mode observe, empty lists.
protocol::VClusterPolicy default_policy();

/// Validates `in` and writes its resolved form to `out`: absent fields take
/// their defaults, UNSPECIFIED enforcement becomes observe, lists are
/// sorted and deduplicated. Returns an empty string when valid, else a
/// message naming the key and its bound; `out` is untouched then.
std::string resolve_policy(const protocol::VClusterPolicy& in,
                           protocol::VClusterPolicy* out);

/// Sorts and deduplicates a string list in place.
void canonicalize(google::protobuf::RepeatedPtrField<std::string>* list);

} // namespace pact::journal
