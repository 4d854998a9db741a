#include "runtime/journal/journal_policy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/common/path_glob.hpp"

namespace pact::journal {

using protocol::VClusterPolicy;

VClusterPolicy default_policy() {
  VClusterPolicy p;
  p.set_drift_sensitivity(default_drift_sensitivity);
  p.set_base_commit_window_seconds(default_base_commit_window_seconds);
  p.set_emergency_window_seconds(default_emergency_window_seconds);
  p.set_enforcement_mode(protocol::ENFORCEMENT_MODE_OBSERVE);
  p.set_regulated(false);
  p.set_two_person_approval(false);
  p.set_approval_timeout_seconds(default_approval_timeout_seconds);
  p.set_emergency_allowed(true);
  p.set_ai_exec_allowed(false);
  p.set_ai_write_allowed(false);
  p.set_audit_retention_days(default_audit_retention_days);
  return p;
}

void canonicalize(google::protobuf::RepeatedPtrField<std::string>* list) {
  std::vector<std::string> v(list->begin(), list->end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  list->Clear();
  for (auto& s : v)
    *list->Add() = std::move(s);
}

namespace {

void canonicalize(google::protobuf::RepeatedField<int>* list) {
  std::vector<int> v(list->begin(), list->end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  list->Clear();
  for (int c : v)
    list->Add(c);
}

std::string check_categories(const google::protobuf::RepeatedField<int>& list,
                             const char* name) {
  if (list.size() > max_policy_list)
    return std::string(name) + " has more than "
           + std::to_string(max_policy_list) + " entries";
  for (int c : list)
    if (c == protocol::DELTA_CATEGORY_UNSPECIFIED
        || !protocol::DeltaCategory_IsValid(c))
      return std::string(name) + " names an unknown category ("
             + std::to_string(c) + ")";
  return {};
}

std::string
check_strings(const google::protobuf::RepeatedPtrField<std::string>& list,
              const char* name) {
  if (list.size() > max_policy_list)
    return std::string(name) + " has more than "
           + std::to_string(max_policy_list) + " entries";
  for (const auto& s : list)
    if (s.empty())
      return std::string(name) + " contains an empty entry";
  return {};
}

std::string check_numbers(const VClusterPolicy& in) {
  if (in.has_drift_sensitivity()
      && (!std::isfinite(in.drift_sensitivity())
          || in.drift_sensitivity() < 0.0))
    return "drift_sensitivity must be a finite number >= 0";
  if (in.has_base_commit_window_seconds()
      && in.base_commit_window_seconds() < min_window_seconds)
    return "base_commit_window_seconds must be >= "
           + std::to_string(min_window_seconds);
  if (in.has_emergency_window_seconds()
      && in.emergency_window_seconds() < min_window_seconds)
    return "emergency_window_seconds must be >= "
           + std::to_string(min_window_seconds);
  if (in.has_approval_timeout_seconds() && in.approval_timeout_seconds() == 0)
    return "approval_timeout_seconds must be > 0";
  if (in.has_audit_retention_days() && in.audit_retention_days() == 0)
    return "audit_retention_days must be > 0";
  if (!protocol::EnforcementMode_IsValid(in.enforcement_mode()))
    return "enforcement_mode must be observe, warn or enforce";
  return {};
}

} // namespace

std::string resolve_policy(const VClusterPolicy& in, VClusterPolicy* out) {
  if (auto err = check_numbers(in); !err.empty())
    return err;
  for (auto [list, name] :
       {std::pair{&in.auto_converge_categories(), "auto_converge_categories"},
        std::pair{&in.require_ack_categories(), "require_ack_categories"}})
    if (auto err = check_categories(*list, name); !err.empty())
      return err;
  for (auto [list, name] :
       {std::pair{&in.exec_whitelist(), "exec_whitelist"},
        std::pair{&in.shell_whitelist(), "shell_whitelist"},
        std::pair{&in.blacklist(), "blacklist"},
        std::pair{&in.read_only_commands(), "read_only_commands"}})
    if (auto err = check_strings(*list, name); !err.empty())
      return err;
  // Blacklist patterns are the agents' path globs: one an agent could not
  // use is refused here, not found later in every agent's log.
  for (const auto& pattern : in.blacklist())
    if (auto g = path_glob::compile(pattern); !g)
      return g.err().message;
  // Merging onto the defaults fills exactly the absent optional fields.
  VClusterPolicy resolved = default_policy();
  resolved.MergeFrom(in);
  if (resolved.enforcement_mode() == protocol::ENFORCEMENT_MODE_UNSPECIFIED)
    resolved.set_enforcement_mode(protocol::ENFORCEMENT_MODE_OBSERVE);
  canonicalize(resolved.mutable_auto_converge_categories());
  canonicalize(resolved.mutable_require_ack_categories());
  canonicalize(resolved.mutable_exec_whitelist());
  canonicalize(resolved.mutable_shell_whitelist());
  canonicalize(resolved.mutable_blacklist());
  canonicalize(resolved.mutable_read_only_commands());
  *out = std::move(resolved);
  return {};
}

} // namespace pact::journal
