#pragma once

/// Approval ids (issue 14 item 1): "ap-" and 8 characters of [a-z2-9]
/// (34 symbols, about 40.7 bits), drawn from OpenSSL's CSPRNG. Short enough
/// to read out and type (`pact approve accept ap-k7qz2m4x`), and not
/// guessable: redeeming an agent action's grant also requires being its
/// requester, so the id is never the only secret.

#include <string>

namespace pact::policy {

/// A fresh approval id. Never fails: RAND_bytes failing (no entropy
/// source at all) stops the process, since nothing secure could follow.
std::string new_approval_id();

/// Whether `id` has the shape new_approval_id() draws.
bool is_approval_id(const std::string& id);

} // namespace pact::policy
