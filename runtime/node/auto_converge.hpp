#pragma once

/// The vCluster policy's `auto_converge_categories` (DESIGN.md §9, docs/
/// spec.md "Policy"): drift in the listed dimensions converges at once,
/// without waiting for the commit window and whatever the enforcement
/// mode — dimensions an operator never wants changed by hand on a node.
/// Each drifted item converges once per episode, after the drift-detected
/// entry that names it (so `pact log` reads drift detected, auto-converge,
/// drift resolved); what cannot be restored stays drift for the window's
/// rules. Converging is converge.hpp's (restore_core.hpp underneath).

#include <string>

#include "runtime/node/drift_state.hpp"
#include "runtime/node/window_rules.hpp"

namespace pact::node {

/// At a poll, after the episode's record: converges the recorded drift in
/// `s.auto_converge()` not handed before, with one AUTO_CONVERGE command
/// ("converged at once (auto_converge_categories): restored N item(s):
/// …"). Nothing when there is none.
window_actions auto_converge(drift_state& s, const std::string& node,
                             backend_map& backends);

} // namespace pact::node
