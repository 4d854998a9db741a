#pragma once

/// `pact enroll status NODE` (issue 16; docs/cli.md): the node's
/// enrollment record as the journal holds it, read through the state
/// request (whoever may read the node's vCluster may read it).

#include <string>

#include "cli/options.hpp"

namespace pact::cli {

/// Prints the enrollment of `node` (text or JSON) and returns the exit
/// code: 1 when the journal does not know the node.
int run_enroll_status(context& ctx, const std::string& node);

} // namespace pact::cli
