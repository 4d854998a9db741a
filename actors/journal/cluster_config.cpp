#include "actors/journal/cluster_config.hpp"

#include <algorithm>
#include <cstdlib>

namespace pact::journal {

bool forgot_acknowledged(uint64_t holder_term, uint64_t holder_last,
                         uint64_t leader_term, uint64_t acknowledged) {
  return holder_last < acknowledged && holder_term <= leader_term;
}

expected<membership_plan>
plan_membership(uint64_t self, const std::vector<std::string>& members,
                bool dev) {
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
    plan.members[id] = *ep;
    if (id == self)
      self_listed = true;
    else
      plan.peers[id] = *ep;
  }
  if (!self_listed)
    return make_error("--peers: this replica (--node-id " + std::to_string(self)
                      + ") is not among the members");
  std::sort(plan.bootstrap.voters.begin(), plan.bootstrap.voters.end());
  return plan;
}

std::string members_text(const std::map<uint64_t, endpoint>& members) {
  std::string out;
  for (auto& [id, ep] : members) {
    if (!out.empty())
      out += ",";
    out += std::to_string(id) + "=" + ep.url();
  }
  return out;
}

std::string members_mismatch(const std::map<uint64_t, endpoint>& mine,
                             uint64_t peer, const std::string& theirs) {
  // Their text is ours to parse only as far as comparing goes: a peer that
  // sends garbage is itself a mismatch.
  std::map<uint64_t, std::string> other;
  size_t pos = 0;
  while (pos < theirs.size()) {
    auto comma = theirs.find(',', pos);
    auto item = theirs.substr(
      pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    char* end = nullptr;
    auto id = eq == std::string::npos
                ? 0
                : std::strtoull(item.substr(0, eq).c_str(), &end, 10);
    if (id == 0)
      return "peer " + std::to_string(peer)
             + " sent an unreadable member list '" + theirs.substr(0, 200)
             + "'";
    other[id] = item.substr(eq + 1);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  auto at = " at peer " + std::to_string(peer);
  for (auto& [id, ep] : mine) {
    auto i = other.find(id);
    if (i == other.end())
      return "member " + std::to_string(id) + " (" + ep.url()
             + ") is listed here but not" + at;
    if (i->second != ep.url())
      return "member " + std::to_string(id) + " is " + ep.url() + " here but "
             + i->second + at;
  }
  for (auto& [id, url] : other)
    if (mine.count(id) == 0)
      return "member " + std::to_string(id) + " (" + url + ") is listed" + at
             + " but not here";
  return {};
}

} // namespace pact::journal
