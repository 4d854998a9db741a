# pact-authz.rego: an example OPA policy for pact (docs/authorization.md,
# "OPA"). pact posts {"input": {principal, roles, action, scope,
# vcluster_policy}} to /v1/data/pact/authz/allow and asks only after its
# built-in rules allowed the action, so this policy allows by default and
# lists the exceptions a site adds on top.
#
#   opa run --server --addr :8181 deploy/examples/pact-authz.rego
#   # journal.toml:  [journal.policy]  opa_url = "http://localhost:8181"

package pact.authz

import rego.v1

default allow := false

allow if not deny

# No AI principal changes a vCluster named "prod", whatever that vCluster's
# ai_write_allowed says.
deny if {
	input.principal.type == "agent"
	input.scope.vcluster == "prod"
}

# Changes to a regulated vCluster come from holders of its regulated role:
# a platform admin alone does not change regulated data.
deny if {
	input.scope.regulated
	not concat("", ["pact-regulated-", input.scope.vcluster]) in input.roles
}
