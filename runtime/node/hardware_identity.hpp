#pragma once

/// The node's hardware identity, which enrollment binds a node to (issue 16
/// item 1; operator guide, "enrollment: hardware mismatch"): the SMBIOS
/// system UUID the firmware reports (/sys/class/dmi/id/product_uuid), else
/// the MAC address of the first physical network interface (by name). A
/// hardware id is not a secret — anyone on the node can read it — so it
/// only binds an enrollment to a machine; the one-time enrollment token is
/// what authenticates the first certificate request. TPM attestation is out
/// of scope (docs/security.md).
///
/// Read under --root like every agent probe ("/" is the host), so tests
/// and `--root` deployments give their own /sys.

#include <string>

#include "runtime/common/error.hpp"

namespace pact::node {

/// "uuid:" + the SMBIOS UUID in lower case (36 characters, 8-4-4-4-12 hex),
/// or "mac:" + the MAC (lower case, colon-separated). Placeholder UUIDs
/// that vendors ship unset (all zeros, all F, 03000200-0400-0500-0006-
/// 000700080009) and all-zero MACs do not count. Physical interfaces are
/// those with a `device` link in /sys/class/net (loopback, bridges, bonds,
/// veth, tun and VLANs have none). Error (exit 1) when neither exists,
/// naming both places looked at.
expected<std::string> hardware_identity(const std::string& root);

/// Whether `text` is an SMBIOS UUID a vendor actually set (see above).
bool usable_uuid(const std::string& text);

} // namespace pact::node
