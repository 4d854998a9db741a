// The drift watcher's configuration (actors/agent/drift_setup.hpp): the
// always-excluded directories, and bad settings refused before anything
// starts, naming the key and where it was set.

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "actors/agent/drift_setup.hpp"
#include "runtime/common/schemas.hpp"
#include "tests/unit/runtime/node/node_fixtures.hpp"

using namespace pact;

namespace {

config::values agent_config(const std::string& file = {}) {
  config::load_request r;
  r.keys = &config::agent_schema();
  r.file_path = file;
  r.file_required = !file.empty();
  r.env = [](const char*) { return std::optional<std::string>(); };
  auto v = config::load(r);
  REQUIRE(v.has_value());
  return *v;
}

std::string refusal(const pact::test::temp_root& t, const std::string& toml) {
  t.write("/agent.toml", toml);
  auto c = agent::drift_config(agent_config(t.host("/agent.toml")), "n1",
                               t.host("/root"), t.host("/state"));
  REQUIRE_FALSE(c.has_value());
  return c.err().message;
}

} // namespace

TEST_CASE("the state directory is excluded when it lies under the root") {
  pact::test::temp_root t;
  t.mkdir("/root/var/lib/pact");
  t.mkdir("/elsewhere");
  // Named through a symlink: still recognised under the root.
  std::filesystem::create_directory_symlink(t.host("/root/var"),
                                            t.host("/link"));
  auto inside = agent::drift_config(agent_config(), "n1", t.host("/root"),
                                    t.host("/link/lib/pact"));
  REQUIRE(inside.has_value());
  CHECK(inside->always_excluded
        == std::vector<std::string>{"/run/pact", "/var/lib/pact"});
  CHECK(inside->shared->state.settings().root
        == std::filesystem::canonical(t.host("/root")).string());
  auto outside = agent::drift_config(agent_config(), "n1", t.host("/root"),
                                     t.host("/elsewhere"));
  REQUIRE(outside.has_value());
  CHECK(outside->always_excluded == std::vector<std::string>{"/run/pact"});
  CHECK(outside->watch_roots == std::vector<std::string>{"/"});
  CHECK(outside->poll_interval == std::chrono::milliseconds(50));
}

TEST_CASE("bad drift settings name the key and where they were set") {
  pact::test::temp_root t;
  t.mkdir("/root");
  t.mkdir("/state");
  auto file = t.host("/agent.toml");
  CHECK(refusal(t, "[agent.blacklist]\npatterns = [\"/tmp/**\", "
                   "\"/var/**log\"]\n")
        == file
             + ":2: agent.blacklist.patterns: blacklist pattern '/var/**log' "
               "uses '**' inside a segment ('**log'); '**' must be a whole "
               "segment, as in /var/log/**");
  CHECK(refusal(t, "[agent.drift]\nwatch_roots = [\"etc\"]\n")
        == file
             + ":2: agent.drift.watch_roots: 'etc' is not an absolute "
               "node path");
  CHECK(refusal(t, "[agent.drift]\nwatch_roots = []\n")
        == file
             + ":2: agent.drift.watch_roots: the list is empty, so no file "
               "would be watched; leave the key out to watch the whole "
               "root, or name the subtrees to watch");
  CHECK(refusal(t, "[agent.drift]\nsysctl_keys = [\"../../shadow\"]\n")
        == file
             + ":2: agent.drift.sysctl_keys: sysctl key '../../shadow' "
               "has an empty or '..' component");
  auto missing = agent::drift_config(agent_config(), "n1", t.host("/none"),
                                     t.host("/state"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.err().message.find("--root: cannot resolve") == 0);
}
