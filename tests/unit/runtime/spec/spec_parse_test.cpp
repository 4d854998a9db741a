// parse_spec_text: the canonical item encoding, defaults, both services
// forms, several vClusters, and every example of deploy/examples.

#include <doctest/doctest.h>

#include <dirent.h>

#include <algorithm>

#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "tests/unit/runtime/spec/spec_test_util.hpp"

using namespace pact::spec;
using namespace pact::spec::test;

namespace {

std::vector<std::string> example_files() {
  std::vector<std::string> out;
  if (DIR* d = opendir(PACT_EXAMPLES_DIR)) {
    while (auto* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".toml")
        out.push_back(std::string(PACT_EXAMPLES_DIR) + "/" + name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("every example in deploy/examples parses") {
  auto files = example_files();
  REQUIRE(files.size() >= 3);
  for (const auto& f : files) {
    CAPTURE(f);
    auto specs = parse_spec_file(f);
    if (!specs)
      FAIL_CHECK(specs.err().message);
    REQUIRE(specs.has_value());
    CHECK_FALSE(specs->empty());
    for (const auto& s : *specs) {
      CHECK_FALSE(s.items().empty());
      StateDelta d;
      *d.mutable_items() = s.items();
      CHECK(pact::journal::validate_delta(d).empty());
    }
  }
}

TEST_CASE("the examples declare what their comments say") {
  auto ml = parse_spec_file(PACT_EXAMPLES_DIR "/ml-training.toml");
  REQUIRE(ml.has_value());
  REQUIRE(ml->size() == 1);
  const auto& s = (*ml)[0];
  CHECK(s.vcluster() == "ml-training");
  CHECK(s.attributes().supervisor_backend() == "pact");
  CHECK(value_of(s, DELTA_CATEGORY_KERNEL, "vm.swappiness") == "10");
  CHECK(s.policy().enforcement_mode() == ENFORCEMENT_MODE_ENFORCE);
  auto multi = parse_spec_file(PACT_EXAMPLES_DIR "/multi-vcluster.toml");
  REQUIRE(multi.has_value());
  REQUIRE(multi->size() == 2);
  CHECK((*multi)[0].vcluster() == "batch");
  CHECK((*multi)[1].vcluster() == "interactive");
  CHECK(value_of((*multi)[1], DELTA_CATEGORY_SERVICES, "jupyterhub")
        == R"({"args":["-f","/etc/jupyterhub/config.py"],"binary":)"
           R"("/opt/jupyterhub/bin/jupyterhub","cgroup_memory_max":"8G",)"
           R"("depends_on":["sssd"],"health_check":{"interval_seconds":15,)"
           R"("type":"http","url":"http://localhost:8000/hub/health"},)"
           R"("order":2,"restart":"always","restart_delay_seconds":5})");
  auto reg = parse_spec_file(PACT_EXAMPLES_DIR "/regulated.toml");
  REQUIRE(reg.has_value());
  CHECK((*reg)[0].policy().two_person_approval());
  CHECK_FALSE((*reg)[0].policy().emergency_allowed());
}

TEST_CASE("item encoding: sysctl, mounts, files") {
  auto s = parse_one(R"(
[vcluster.ml]
base_image = "img:1"
supervisor_backend = "systemd"
[vcluster.ml.sysctl]
"vm.nr_hugepages" = "2048"
"vm.swappiness" = 10
"kernel.x" = -3
[vcluster.ml.mounts]
"/scratch" = { type = "nfs", source = "s:/x", options = "vers=4" }
"/ro" = { source = "s:/y", type = "nfs", read_only = true }
[vcluster.ml.files."/etc/motd"]
content = "hi\n"
[vcluster.ml.files."/etc/x"]
content = ""
mode = "600"
owner = "daemon"
group = "adm"
)");
  CHECK(s.vcluster() == "ml");
  CHECK(s.attributes().base_image() == "img:1");
  CHECK(s.attributes().supervisor_backend() == "systemd");
  CHECK_FALSE(s.has_policy());
  CHECK(value_of(s, DELTA_CATEGORY_KERNEL, "vm.nr_hugepages") == "2048");
  CHECK(value_of(s, DELTA_CATEGORY_KERNEL, "vm.swappiness") == "10");
  CHECK(value_of(s, DELTA_CATEGORY_KERNEL, "kernel.x") == "-3");
  CHECK(value_of(s, DELTA_CATEGORY_MOUNTS, "/scratch")
        == R"({"options":"vers=4","read_only":false,"source":"s:/x",)"
           R"("type":"nfs"})");
  CHECK(value_of(s, DELTA_CATEGORY_MOUNTS, "/ro")
        == R"({"read_only":true,"source":"s:/y","type":"nfs"})");
  CHECK(value_of(s, DELTA_CATEGORY_FILES, "/etc/motd")
        == R"({"content":"hi\n","group":"root","mode":"0644",)"
           R"("owner":"root"})");
  CHECK(value_of(s, DELTA_CATEGORY_FILES, "/etc/x")
        == R"({"content":"","group":"adm","mode":"0600","owner":"daemon"})");
  // Canonical order: category number, then key; every item an ADD.
  REQUIRE(s.items_size() == 7);
  CHECK(s.items(0).key() == "/ro");
  CHECK(s.items(1).key() == "/scratch");
  CHECK(s.items(2).key() == "/etc/motd");
  CHECK(s.items(4).key() == "kernel.x");
  for (const auto& item : s.items()) {
    CHECK(item.action() == DELTA_ACTION_ADD);
    CHECK(item.previous().empty());
  }
}

TEST_CASE("item encoding: packages, network, gpu are canonical JSON") {
  auto s = parse_one(R"(
[vcluster.ml.packages]
cuda = "12.4"
"py.torch" = { version = "2.3", extras = ["cu124"] }
[vcluster.ml.network]
mtu = 9000
jumbo = true
ratio = 0.5
search = ["a", "b"]
empty = {}
[vcluster.ml.gpu.mig]
enabled = false
profile = "1g.10gb"
)");
  CHECK(value_of(s, DELTA_CATEGORY_PACKAGES, "cuda") == R"("12.4")");
  CHECK(value_of(s, DELTA_CATEGORY_PACKAGES, "py.torch")
        == R"({"extras":["cu124"],"version":"2.3"})");
  CHECK(value_of(s, DELTA_CATEGORY_NETWORK, "mtu") == "9000");
  CHECK(value_of(s, DELTA_CATEGORY_NETWORK, "jumbo") == "true");
  CHECK(value_of(s, DELTA_CATEGORY_NETWORK, "ratio") == "0.5");
  CHECK(value_of(s, DELTA_CATEGORY_NETWORK, "search") == R"(["a","b"])");
  CHECK(value_of(s, DELTA_CATEGORY_NETWORK, "empty") == "{}");
  CHECK(value_of(s, DELTA_CATEGORY_GPU, "mig")
        == R"({"enabled":false,"profile":"1g.10gb"})");
}

TEST_CASE("services: both forms give identical items with defaults filled") {
  auto tables = parse_one(R"(
[vcluster.ml.services.web]
binary = "/usr/bin/web"
health_check = { type = "http", url = "http://localhost/" }
[vcluster.ml.services.db]
binary = "/usr/bin/db"
args = ["-x"]
restart = "never"
restart_delay_seconds = 0
depends_on = ["web"]
order = -2
cgroup_slice = "db.slice"
cgroup_memory_max = "1G"
)");
  auto array = parse_one(R"(
[[vcluster.ml.services]]
cgroup_memory_max = "1G"
name = "db"
order = -2
binary = "/usr/bin/db"
args = ["-x"]
restart = "never"
restart_delay_seconds = 0
depends_on = ["web"]
cgroup_slice = "db.slice"
[[vcluster.ml.services]]
name = "web"
binary = "/usr/bin/web"
[vcluster.ml.services.health_check]
type = "http"
url = "http://localhost/"
)");
  REQUIRE(tables.items_size() == 2);
  CHECK(pact::journal::deterministic_bytes(tables)
        == pact::journal::deterministic_bytes(array));
  CHECK(value_of(tables, DELTA_CATEGORY_SERVICES, "web")
        == R"({"args":[],"binary":"/usr/bin/web","depends_on":[],)"
           R"("health_check":{"interval_seconds":10,"type":"http",)"
           R"("url":"http://localhost/"},"order":0,"restart":"always",)"
           R"("restart_delay_seconds":5})");
  CHECK(value_of(tables, DELTA_CATEGORY_SERVICES, "db")
        == R"({"args":["-x"],"binary":"/usr/bin/db","cgroup_memory_max":)"
           R"("1G","cgroup_slice":"db.slice","depends_on":["web"],)"
           R"("order":-2,"restart":"never","restart_delay_seconds":0})");
}

TEST_CASE("services: tcp and process health checks; name in table form") {
  auto s = parse_one(R"(
[vcluster.ml.services.a]
name = "a"
binary = "/a"
health_check = { type = "tcp", port = 22, interval_seconds = 3 }
[vcluster.ml.services.b]
binary = "/b"
health_check = { type = "process" }
)");
  CHECK(
    value_of(s, DELTA_CATEGORY_SERVICES, "a")
      .find(R"("health_check":{"interval_seconds":3,"port":22,"type":"tcp"})")
    != std::string::npos);
  CHECK(value_of(s, DELTA_CATEGORY_SERVICES, "b")
          .find(R"("health_check":{"interval_seconds":10,"type":"process"})")
        != std::string::npos);
}

TEST_CASE("several vClusters come back ordered by name") {
  auto specs = parse_ok(R"(
[vcluster.zeta]
base_image = "z"
[vcluster.alpha.sysctl]
"a" = "1"
[vcluster."b.c-d_9"]
)");
  REQUIRE(specs.size() == 3);
  CHECK(specs[0].vcluster() == "alpha");
  CHECK(specs[1].vcluster() == "b.c-d_9");
  CHECK(specs[2].vcluster() == "zeta");
  CHECK(specs[1].items().empty());
  CHECK(specs[2].attributes().base_image() == "z");
}

TEST_CASE("policy: given keys, defaults for the rest, lists canonical") {
  auto s = parse_one(R"(
[vcluster.ml.policy]
drift_sensitivity = 3
base_commit_window_seconds = 600
enforcement_mode = "warn"
auto_converge_categories = ["kernel", "mounts", "kernel"]
require_ack_categories = ["gpu"]
regulated = true
two_person_approval = true
exec_whitelist = ["nvidia-smi", "cat"]
read_only_commands = ["nvidia-smi", "cat", "cat"]
blacklist = ["/etc/shadow"]
)");
  REQUIRE(s.has_policy());
  const auto& p = s.policy();
  CHECK(p.drift_sensitivity() == 3.0);
  CHECK(p.base_commit_window_seconds() == 600);
  CHECK(p.emergency_window_seconds() == 14400);
  CHECK(p.enforcement_mode() == ENFORCEMENT_MODE_WARN);
  REQUIRE(p.auto_converge_categories_size() == 2);
  CHECK(p.auto_converge_categories(0) == DELTA_CATEGORY_MOUNTS);
  CHECK(p.auto_converge_categories(1) == DELTA_CATEGORY_KERNEL);
  CHECK(p.require_ack_categories(0) == DELTA_CATEGORY_GPU);
  CHECK(p.regulated());
  CHECK(p.two_person_approval());
  CHECK(p.approval_timeout_seconds() == 1800);
  CHECK(p.emergency_allowed());
  CHECK_FALSE(p.ai_exec_allowed());
  CHECK(p.audit_retention_days() == 2555);
  REQUIRE(p.exec_whitelist_size() == 2);
  CHECK(p.exec_whitelist(0) == "cat");
  // Resolved like the other lists: sorted, duplicates dropped.
  REQUIRE(p.read_only_commands_size() == 2);
  CHECK(p.read_only_commands(0) == "cat");
  CHECK(p.read_only_commands(1) == "nvidia-smi");
  CHECK(p.blacklist(0) == "/etc/shadow");

  auto empty = parse_one("[vcluster.ml.policy]\n");
  REQUIRE(empty.has_policy());
  CHECK(pact::journal::deterministic_bytes(empty.policy())
        == pact::journal::deterministic_bytes(pact::journal::default_policy()));
}

TEST_CASE("category names round-trip") {
  for (int c = DELTA_CATEGORY_MOUNTS; c <= DELTA_CATEGORY_GPU; ++c) {
    auto cat = static_cast<DeltaCategory>(c);
    auto back = category_from_name(category_name(cat));
    REQUIRE(back.has_value());
    CHECK(*back == cat);
  }
  CHECK(category_name(DELTA_CATEGORY_KERNEL) == "kernel");
  CHECK_FALSE(category_from_name("sysctl").has_value());
  CHECK_FALSE(category_from_name("").has_value());
}
