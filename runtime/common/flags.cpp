#include "runtime/common/flags.hpp"

#include <algorithm>
#include <cctype>

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

namespace {

std::string bare(std::string name) {
  while (!name.empty() && name[0] == '-')
    name.erase(0, 1);
  return name;
}

/// The value in "the argument ('V') for option ...", if there is one.
std::string quoted_value(const std::string& what) {
  auto a = what.find("('");
  auto b = what.find("')", a == std::string::npos ? 0 : a);
  if (a == std::string::npos || b == std::string::npos)
    return {};
  return what.substr(a + 2, b - a - 2);
}

} // namespace

std::map<std::string, std::string>
positional_names(const po::positional_options_description& pos) {
  std::map<std::string, std::string> out;
  auto n = std::min<unsigned>(pos.max_total_count(), 16);
  for (unsigned i = 0; i < n; ++i) {
    auto name = pos.name_for_position(i);
    std::string upper;
    for (char c : name)
      upper += c == '-' ? '_'
                        : static_cast<char>(
                          std::toupper(static_cast<unsigned char>(c)));
    out.emplace(name, upper);
  }
  return out;
}

std::string flag_error_text(const po::error& e,
                            const std::map<std::string, std::string>& pos) {
  auto shown = [&](const std::string& option) {
    auto name = bare(option);
    auto p = pos.find(name);
    return p != pos.end() ? p->second : "--" + name;
  };
  if (dynamic_cast<const po::too_many_positional_options_error*>(&e))
    return "too many arguments";
  if (auto* u = dynamic_cast<const po::unknown_option*>(&e))
    return "unknown option '" + u->get_option_name() + "'";
  if (auto* r = dynamic_cast<const po::required_option*>(&e))
    return shown(r->get_option_name()) + " is required";
  if (auto* m = dynamic_cast<const po::multiple_occurrences*>(&e))
    return shown(m->get_option_name()) + " is given more than once";
  if (auto* s = dynamic_cast<const po::invalid_command_line_syntax*>(&e)) {
    if (s->kind() == po::invalid_syntax::missing_parameter)
      return shown(s->get_option_name()) + " needs a value";
    return "malformed option '" + s->get_option_name() + "'";
  }
  if (auto* v = dynamic_cast<const po::validation_error*>(&e)) {
    auto typed = quoted_value(e.what());
    return shown(v->get_option_name()) + ": "
           + (typed.empty() ? std::string("not a valid value")
                            : "'" + typed + "' is not a valid value");
  }
  if (auto* a = dynamic_cast<const po::ambiguous_option*>(&e))
    return "ambiguous option '" + a->get_option_name() + "'";
  return "the command line could not be read";
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
    return make_error(flag_error_text(e) + " (see --help)");
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
