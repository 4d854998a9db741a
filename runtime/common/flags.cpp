#include "runtime/common/flags.hpp"

#include <iostream>
#include <sstream>

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

std::map<std::string, std::string> collect_flags(const po::variables_map& vm,
                                                 const schema& s) {
  std::map<std::string, std::string> out;
  for (auto& k : s.keys)
    if (!k.flag.empty() && vm.count(k.flag))
      out[k.flag] = vm[k.flag].as<std::string>();
  return out;
}

expected<daemon_command_line> parse_daemon_args(int argc, char** argv,
                                                const schema& s,
                                                const std::string& usage) {
  po::options_description desc(usage);
  desc.add_options()("help,h", "Show this help and exit")(
    "version", "Show the version and exit")("config", po::value<std::string>(),
                                            "Configuration file (TOML)");
  add_flags(desc, s);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return make_error(std::string(e.what()) + " (see --help)");
  }
  daemon_command_line cl;
  cl.help = vm.count("help") > 0;
  cl.version = vm.count("version") > 0;
  if (vm.count("config"))
    cl.config_file = vm["config"].as<std::string>();
  cl.flags = collect_flags(vm, s);
  std::ostringstream os;
  os << desc;
  cl.help_text = os.str();
  return cl;
}

std::variant<daemon_command_line, int>
start_daemon(int argc, char** argv, const schema& s, const std::string& binary,
             const std::string& summary) {
  auto cl = parse_daemon_args(argc, argv, s,
                              "Usage: " + binary + " [options]\n\n" + summary
                                + "\n\nOptions");
  if (!cl) {
    std::cerr << binary << ": " << cl.err().message << "\n";
    return to_int(cl.err().code);
  }
  if (cl->help) {
    std::cout << cl->help_text;
    return 0;
  }
  if (cl->version) {
    std::cout << binary << " " << PACT_VERSION << "\n";
    return 0;
  }
  return std::move(*cl);
}

expected<values> load_daemon_config(const daemon_command_line& cl,
                                    const schema& s,
                                    const std::string& default_path) {
  load_request req;
  req.keys = &s;
  req.env = process_env();
  req.file_path = cl.config_file.empty() ? default_path : cl.config_file;
  req.file_required = !cl.config_file.empty();
  req.flags = cl.flags;
  return load(req);
}

} // namespace pact::config
