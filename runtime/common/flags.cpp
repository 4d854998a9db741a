#include "runtime/common/flags.hpp"

namespace pact::config {

namespace po = boost::program_options;

void add_flags(po::options_description& desc, const schema& s) {
  for (auto& k : s.keys) {
    if (k.flag.empty())
      continue;
    std::string help = k.help;
    if (!k.env.empty())
      help += " [env " + k.env + "]";
    if (k.kind == value_kind::boolean) {
      desc.add_options()(k.flag.c_str(),
                         po::value<std::string>()->implicit_value("true"),
                         help.c_str());
    } else {
      help += " (default " + to_toml(k.default_value) + ")";
      desc.add_options()(k.flag.c_str(), po::value<std::string>(),
                         help.c_str());
    }
  }
}

std::map<std::string, std::string>
collect_flags(const po::variables_map& vm, const schema& s) {
  std::map<std::string, std::string> out;
  for (auto& k : s.keys)
    if (!k.flag.empty() && vm.count(k.flag))
      out[k.flag] = vm[k.flag].as<std::string>();
  return out;
}

} // namespace pact::config
