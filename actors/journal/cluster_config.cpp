#include "actors/journal/cluster_config.hpp"

#include <algorithm>
#include <cstdlib>

namespace pact::journal {

expected<membership_plan> plan_membership(
  uint64_t self, const std::vector<std::string>& members, bool dev) {
  membership_plan plan;
  if (members.empty()) {
    if (!dev)
      return make_error("--peers: no cluster members given (use "
                        "--peers 1=host:9444,2=host:9444,... or --dev for "
                        "a single local replica)");
    plan.bootstrap.voters = {self};
    return plan;
  }
  bool self_listed = false;
  for (auto& m : members) {
    auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("--peers: member '" + m
                        + "' must be written id=host:port");
    char* end = nullptr;
    auto id = std::strtoull(m.c_str(), &end, 10);
    if (end != m.c_str() + eq || id == 0)
      return make_error("--peers: member '" + m
                        + "' has an invalid id (a positive integer)");
    auto ep = parse_endpoint(m.substr(eq + 1), "--peers");
    if (!ep)
      return ep.err();
    auto& v = plan.bootstrap.voters;
    if (std::find(v.begin(), v.end(), id) != v.end())
      return make_error("--peers: member id " + std::to_string(id)
                        + " is listed twice");
    v.push_back(id);
    if (id == self)
      self_listed = true;
    else
      plan.peers[id] = *ep;
  }
  if (!self_listed)
    return make_error("--peers: this replica (--node-id "
                      + std::to_string(self) + ") is not among the members");
  std::sort(plan.bootstrap.voters.begin(), plan.bootstrap.voters.end());
  return plan;
}

} // namespace pact::journal
