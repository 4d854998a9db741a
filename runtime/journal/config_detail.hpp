#pragma once

/// Internal helpers shared by the config_state_machine source files. Not a
/// public interface.

#include <string>

#include <pact/protocol/journal.pb.h>

namespace pact::journal::detail {

/// The status of a malformed command, which every handler refuses with.
inline constexpr auto invalid = protocol::STATUS_CODE_INVALID_ARGUMENT;

/// Which scope targets a command accepts.
enum scope_mask : unsigned {
  allow_global = 1,
  allow_vcluster = 2,
  allow_node = 4,
};

/// Empty when `scope` has a target allowed by `mask` with a valid name;
/// else a message naming what is wrong, for a command called `what`.
std::string check_scope(const protocol::Scope& scope, unsigned mask,
                        const char* what);

/// Empty when `ttl_seconds` fits `scope`: a node commit needs 900..864000,
/// anything else needs 0.
std::string check_ttl(const protocol::Scope& scope, uint32_t ttl_seconds);

/// Empty when the `expect_previous` conditions of `cmd` are well formed
/// (only on commits; each with a category and a 1..4096-byte key, no key
/// twice, no value when expecting unset); else a message naming the fault.
std::string check_expectations(const protocol::JournalCommand& cmd);

/// Empty when a NODE_ENROLL's enrollment fields are well formed (a token
/// hash of 32 bytes or none; a hardware id only with a token, valid);
/// else the refusal (config_enrollment.cpp).
std::string check_registration(const protocol::JournalCommand& cmd);

/// Empty unless enrollment fields ride on a command of another kind
/// (hardware id and token hash: enroll and activate; certificate fields:
/// activate).
std::string check_enrollment_fields(const protocol::JournalCommand& cmd);

/// The checks every command passes whatever its kind (kind, timestamp,
/// author, sizes) and check_expectations; empty when valid.
std::string check_command(const protocol::JournalCommand& cmd);

} // namespace pact::journal::detail
