// Configuration layering and error reporting (DESIGN.md §6: flags > env >
// file > default; unknown keys and bad values name file, line and key).

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unistd.h>

#include "runtime/common/config.hpp"
#include "runtime/common/flags.hpp"
#include "runtime/common/schemas.hpp"

using namespace pact::config;

namespace {

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char tmpl[] = "/tmp/pact-config-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~temp_file() {
    std::remove(path.c_str());
  }
};

env_lookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto i = vars.find(name);
    if (i == vars.end())
      return std::nullopt;
    return i->second;
  };
}

load_request journal_req(const std::string& file = {},
                         std::map<std::string, std::string> env = {},
                         std::map<std::string, std::string> flags = {}) {
  load_request r;
  r.keys = &journal_schema();
  r.file_path = file;
  r.file_required = !file.empty();
  r.env = fake_env(std::move(env));
  r.flags = std::move(flags);
  return r;
}

} // namespace

TEST_CASE("defaults apply when nothing is given") {
  auto v = load(journal_req());
  REQUIRE(v);
  CHECK(v->get_string("journal.listen") == "0.0.0.0:9443");
  CHECK(v->get_string("journal.raft.listen") == "0.0.0.0:9444");
  CHECK(v->get_string("journal.metrics_listen") == "0.0.0.0:9091");
  CHECK(v->get_int("journal.raft.snapshot_interval") == 10000);
  CHECK_FALSE(v->get_bool("journal.dev"));
  CHECK(v->origin_of("journal.listen").source == origin::kind::default_value);
}

TEST_CASE("precedence is flag > env > file > default") {
  temp_file f("[journal]\nlog_level = \"debug\"\ndata_dir = \"/srv/j\"\n"
              "[journal.raft]\nmembers = [\"1=a:9444\", \"2=b:9444\"]\n");
  auto v = load(journal_req(f.path, {{"PACT_LOG", "error"}}, {}));
  REQUIRE(v);
  CHECK(v->get_string("journal.log_level") == "error");
  CHECK(v->origin_of("journal.log_level").where == "PACT_LOG");
  CHECK(v->get_string("journal.data_dir") == "/srv/j");
  CHECK(v->origin_of("journal.data_dir").where == f.path + ":3");
  CHECK(v->get_list("journal.raft.members").size() == 2);

  auto w = load(journal_req(f.path, {{"PACT_LOG", "error"}},
                            {{"log-level", "trace"},
                             {"dev", "true"},
                             {"peers", "1=x:1, 2=y:2,3=z:3"}}));
  REQUIRE(w);
  CHECK(w->get_string("journal.log_level") == "trace");
  CHECK(w->get_bool("journal.dev"));
  CHECK(w->get_list("journal.raft.members")
        == std::vector<std::string>{"1=x:1", "2=y:2", "3=z:3"});
}

TEST_CASE("an unknown key names file, line and key") {
  temp_file f("[journal]\nnode_id = 2\n\n[journal.raft]\nmembrs = []\n");
  auto v = load(journal_req(f.path));
  REQUIRE_FALSE(v);
  CHECK(v.err().message
        == f.path
             + ":5: unknown key 'journal.raft.membrs' in journal "
               "configuration");
}

TEST_CASE("a value of the wrong type names file, line and key") {
  temp_file f("[journal]\nnode_id = \"two\"\n");
  auto v = load(journal_req(f.path));
  REQUIRE_FALSE(v);
  CHECK(v.err().message
        == f.path + ":2: key 'journal.node_id' must be an integer");
}

TEST_CASE("out-of-range and invalid choices are rejected") {
  temp_file f("[journal]\nnode_id = 0\n");
  auto v = load(journal_req(f.path));
  REQUIRE_FALSE(v);
  CHECK(v.err().message.find(":2: key 'journal.node_id': value 0 is out of "
                             "range (minimum 1")
        != std::string::npos);
  auto w = load(journal_req({}, {{"PACT_LOG", "loud"}}));
  REQUIRE_FALSE(w);
  CHECK(w.err().message.find("PACT_LOG: invalid value \"loud\"") == 0);
  auto x = load(journal_req({}, {}, {{"node-id", "x1"}}));
  REQUIRE_FALSE(x);
  CHECK(x.err().message == "--node-id: expected an integer, got \"x1\"");
  auto y = load(journal_req({}, {}, {{"dev", "maybe"}}));
  REQUIRE_FALSE(y);
  CHECK(y.err().message.find("--dev: expected true or false") == 0);
}

TEST_CASE("TOML syntax errors carry the line") {
  temp_file f("[journal]\nlisten = \"0.0.0.0:9443\"\nnode_id = = 3\n");
  auto v = load(journal_req(f.path));
  REQUIRE_FALSE(v);
  CHECK(v.err().message
        == f.path
             + ":3: not valid TOML (column 11): a value that is not a TOML "
               "value (strings need quotes): near `node_id = = 3`");
}

TEST_CASE("an explicit config file must exist; the default path may not") {
  auto v = load(journal_req("/nonexistent/journal.toml"));
  REQUIRE_FALSE(v);
  CHECK(v.err().message
        == "/nonexistent/journal.toml: cannot open configuration file");
  auto r = journal_req();
  r.file_path = "/nonexistent/journal.toml";
  r.file_required = false;
  CHECK(load(r));
}

TEST_CASE("agent and cli schemas carry the documented defaults") {
  load_request r;
  r.keys = &agent_schema();
  r.env = fake_env({});
  auto a = load(r);
  REQUIRE(a);
  CHECK(a->get_string("agent.listen") == "0.0.0.0:9445");
  CHECK(a->get_string("agent.root") == "/");
  CHECK(a->get_string("agent.whitelist_mode") == "strict");
  CHECK(a->get_int("agent.capability.gpu_poll_interval_seconds") == 30);
  r.keys = &cli_schema();
  r.env = fake_env({{"PACT_ENDPOINT", "http://j:1"}, {"PACT_OUTPUT", "json"}});
  auto c = load(r);
  REQUIRE(c);
  CHECK(c->get_list("endpoint") == std::vector<std::string>{"http://j:1"});
  CHECK(c->get_string("output") == "json");
  CHECK(c->get_string("agent_endpoint") == "http://localhost:9445");
}

TEST_CASE("docs/configuration.md documents every key with its default") {
  std::ifstream in(std::string(PACT_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  std::stringstream buf;
  buf << in.rdbuf();
  auto doc = buf.str();
  for (auto* s : {&journal_schema(), &agent_schema(), &cli_schema()}) {
    for (auto& k : s->keys) {
      INFO("key " << k.path);
      auto needle = "`" + k.path + "` | " + to_toml(k.default_value);
      CHECK(doc.find(needle) != std::string::npos);
    }
  }
}

TEST_CASE("the CLI endpoint is a string, comma-separated URLs or a list") {
  auto cli = [](const std::string& file,
                std::map<std::string, std::string> env = {}) {
    load_request r;
    r.keys = &cli_schema();
    r.file_path = file;
    r.file_required = true;
    r.env = fake_env(std::move(env));
    return load(r);
  };
  using strings = std::vector<std::string>;
  temp_file one("endpoint = \"http://j1:9443\"\n");
  auto a = cli(one.path);
  REQUIRE(a);
  CHECK(a->get_list("endpoint") == strings{"http://j1:9443"});
  temp_file csv("endpoint = \"http://j1:9443, http://j2:9443\"\n");
  auto b = cli(csv.path);
  REQUIRE(b);
  CHECK(b->get_list("endpoint") == strings{"http://j1:9443", "http://j2:9443"});
  temp_file list("endpoint = [\"http://j1:9443\", \"http://j3:9443\"]\n");
  auto c = cli(list.path, {{"PACT_ENDPOINT", "http://e1:1,http://e2:2"}});
  REQUIRE(c);
  CHECK(c->get_list("endpoint") == strings{"http://e1:1", "http://e2:2"});
  temp_file bad("endpoint = 9443\n");
  auto d = cli(bad.path);
  REQUIRE_FALSE(d);
  CHECK(d.err().message
        == bad.path
             + ":1: key 'endpoint' must be a string or an array of "
               "strings");
}

TEST_CASE("an empty element in any endpoint list is refused, naming the "
          "flag, variable or file line and the key") {
  // Tester, issue 11: `--journal 'URL,'` was accepted silently.
  auto load_with = [](const schema& keys, const std::string& file,
                      std::map<std::string, std::string> env,
                      std::map<std::string, std::string> flags) {
    load_request r;
    r.keys = &keys;
    r.file_path = file;
    r.env = fake_env(std::move(env));
    r.flags = std::move(flags);
    return load(r);
  };
  auto refused = [](const pact::expected<values>& v, const std::string& start) {
    REQUIRE_FALSE(v);
    INFO(v.err().message);
    CHECK(v.err().message.rfind(start, 0) == 0);
    CHECK(v.err().message.find("empty element") != std::string::npos);
    CHECK(v.err().code == pact::exit_code::general_error);
  };
  refused(load_with(agent_schema(), "", {}, {{"journal", "http://j1:9443,"}}),
          "--journal: key 'agent.journal.endpoints': empty element in "
          "\"http://j1:9443,\"");
  refused(load_with(cli_schema(), "", {}, {{"endpoint", ",http://j1:9443"}}),
          "--endpoint: key 'endpoint'");
  refused(load_with(cli_schema(), "",
                    {{"PACT_ENDPOINT", "http://j1:9443,,http://j2:9443"}}, {}),
          "PACT_ENDPOINT: key 'endpoint'");
  temp_file csv("[agent.journal]\nendpoints = \"http://j1:9443, \"\n");
  refused(load_with(agent_schema(), csv.path, {}, {}),
          csv.path + ":2: key 'agent.journal.endpoints'");
  temp_file arr("[agent.journal]\nendpoints = [\"http://j1:9443\", \"\"]\n");
  refused(load_with(agent_schema(), arr.path, {}, {}),
          arr.path + ":2: key 'agent.journal.endpoints' has an empty element");
  temp_file members("[journal.raft]\nmembers = \"1=http://a:1,\"\n");
  refused(load_with(journal_schema(), members.path, {}, {}),
          members.path + ":2: key 'journal.raft.members'");
  // Without stray commas, as before.
  auto ok = load_with(agent_schema(), "", {},
                      {{"journal", "http://j1:9443, http://j2:9443"}});
  REQUIRE(ok);
  CHECK(ok->get_list("agent.journal.endpoints").size() == 2);
}

TEST_CASE("command-line errors are in pact's words, naming what was typed") {
  namespace po = boost::program_options;
  po::options_description desc;
  desc.add_options()("message,m", po::value<std::string>()->required(), "")(
    "minutes", po::value<uint32_t>(), "")("node", po::value<std::string>(), "");
  po::positional_options_description pos;
  pos.add("minutes", 1);
  auto error_of = [&](std::vector<std::string> args) {
    po::variables_map vm;
    try {
      po::store(
        po::command_line_parser(args).options(desc).positional(pos).run(), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      return flag_error_text(e, positional_names(pos));
    }
    return std::string("(no error)");
  };
  CHECK(error_of({"-m", "x", "abc"}) == "MINUTES: 'abc' is not a valid value");
  CHECK(error_of({"-m", "x", "1", "2"}) == "too many arguments");
  CHECK(error_of({"-m", "x", "-5"}) == "unknown option '-5'");
  CHECK(error_of({"5"}) == "--message is required");
  CHECK(error_of({"-m", "x", "--node", "a", "--node", "b"})
        == "--node is given more than once");
  CHECK(error_of({"-m", "x", "--node"}) == "--node needs a value");
  CHECK(error_of({"-m", "x", "--minutes", "x1"})
        == "MINUTES: 'x1' is not a valid value");
}
