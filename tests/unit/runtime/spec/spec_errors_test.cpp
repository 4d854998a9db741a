// parse_spec_text: every class of error names the file, the line and the
// full dotted key, in the format of runtime/common/config.cpp.

#include <doctest/doctest.h>

#include "tests/unit/runtime/spec/spec_test_util.hpp"

using namespace pact::spec;
using namespace pact::spec::test;

namespace {

struct error_case {
  const char* what;
  const char* text;
  const char* message;
};

void check_cases(std::initializer_list<error_case> cases) {
  for (const auto& c : cases) {
    std::string what = c.what;
    std::string text = c.text;
    CAPTURE(what);
    CAPTURE(text);
    CHECK(parse_error(text) == std::string(c.message));
  }
}

} // namespace

TEST_CASE("file-level errors") {
  check_cases({
    {"empty file", "",
     "t.toml:1: key 'vcluster': the spec declares no vCluster (expected "
     "[vcluster.NAME] tables)"},
    {"only comments", "# nothing\n\n",
     "t.toml:1: key 'vcluster': the spec declares no vCluster (expected "
     "[vcluster.NAME] tables)"},
    {"unknown top-level key", "\nfoo = 1\n[vcluster.a]\n",
     "t.toml:2: unknown key 'foo' (allowed: vcluster)"},
    {"unknown top-level table", "[vcluster.a]\n[global]\nx = 1\n",
     "t.toml:2: unknown key 'global' (allowed: vcluster)"},
    {"vcluster not a table", "vcluster = 3\n",
     "t.toml:1: key 'vcluster': must be a table of [vcluster.NAME] tables, "
     "not an integer"},
    {"bad vCluster name", "[vcluster.ok]\n[vcluster.\"bad name\"]\n",
     "t.toml:2: key 'vcluster.\"bad name\"': invalid vCluster name \"bad "
     "name\": a vCluster name is 1-63 bytes of [A-Za-z0-9._-], not starting "
     "with '.' or '-'"},
    {"vCluster name starting with '-'", "[vcluster.-x]\n",
     "t.toml:1: key 'vcluster.-x': invalid vCluster name \"-x\": a vCluster "
     "name is 1-63 bytes of [A-Za-z0-9._-], not starting with '.' or '-'"},
    {"vCluster not a table", "[vcluster]\nml = \"x\"\n",
     "t.toml:2: key 'vcluster.ml': must be a table, not a string"},
  });
}

TEST_CASE("a TOML syntax error reports file, line, column and the line, in "
          "pact's words") {
  auto msg = parse_error("[vcluster.a]\nbase_image = \n");
  CHECK(msg
        == "t.toml:2: not valid TOML (column 14): a key without a value: "
           "near `base_image =`");
  // A table defined twice, reported at the second one.
  msg = parse_error("[vcluster.a.services.w]\nbinary = \"/w\"\n"
                    "[vcluster.a.services.w]\nbinary = \"/x\"\n");
  CHECK(msg.rfind("t.toml:3: not valid TOML (column ", 0) == 0);
  CHECK(msg.find("a table or key defined twice: near "
                 "`[vcluster.a.services.w]`")
        != std::string::npos);
  // A string left open to the end of the file.
  msg = parse_error("[vcluster.a]\nbase_image = \"img\n");
  CHECK(msg.rfind("t.toml:2: not valid TOML (column ", 0) == 0);
  // Never toml++'s own words.
  for (const char* text :
       {"[vcluster.a]\nbase_image = \n", "a b c\n", "x = [1, 2\n",
        "x = \"\\q\"\n", "[a\n", "x = 1979-13-99\n", "x = 0x\n"}) {
    CAPTURE(text);
    auto m = parse_error(text);
    CHECK(m.find("not valid TOML") != std::string::npos);
    CHECK(m.find("Error while") == std::string::npos);
    CHECK(m.find("saw") == std::string::npos);
  }
}

TEST_CASE("vCluster keys and attributes") {
  check_cases({
    {"unknown vCluster key", "[vcluster.ml]\nbase_image = \"i\"\nimage = 1\n",
     "t.toml:3: unknown key 'vcluster.ml.image' (allowed: base_image, "
     "supervisor_backend, sysctl, mounts, files, packages, network, gpu, "
     "services, policy)"},
    {"bad backend", "[vcluster.ml]\nsupervisor_backend = \"runit\"\n",
     "t.toml:2: key 'vcluster.ml.supervisor_backend': invalid value "
     "\"runit\" (allowed: pact, systemd)"},
    {"base_image type", "[vcluster.ml]\nbase_image = 4\n",
     "t.toml:2: key 'vcluster.ml.base_image': must be a string, not an "
     "integer"},
    {"item table not a table", "[vcluster.ml]\nsysctl = \"x\"\n",
     "t.toml:2: key 'vcluster.ml.sysctl': must be a table, not a string"},
  });
}

TEST_CASE("item errors") {
  check_cases({
    {"sysctl float", "[vcluster.ml.sysctl]\n\"vm.x\" = 1.5\n",
     "t.toml:2: key 'vcluster.ml.sysctl.\"vm.x\"': sysctl values are strings "
     "(integers are converted), not a float"},
    {"sysctl bool", "[vcluster.ml.sysctl]\na = \"1\"\nb = true\n",
     "t.toml:3: key 'vcluster.ml.sysctl.b': sysctl values are strings "
     "(integers are converted), not a boolean"},
    {"empty sysctl key", "[vcluster.ml.sysctl]\n\"\" = \"1\"\n",
     "t.toml:2: key 'vcluster.ml.sysctl.\"\"': the key must not be empty"},
    {"mount without type",
     "[vcluster.ml.mounts]\n\"/scratch\" = { source = \"s:/x\" }\n",
     "t.toml:2: key 'vcluster.ml.mounts.\"/scratch\".type': required string "
     "is missing"},
    {"mount with empty source",
     "[vcluster.ml.mounts]\n\"/s\" = { type = \"nfs\", source = \"\" }\n",
     "t.toml:2: key 'vcluster.ml.mounts.\"/s\".source': must not be empty"},
    {"mount unknown field",
     "[vcluster.ml.mounts.\"/s\"]\ntype = \"nfs\"\nsource = \"x\"\n"
     "readonly = true\n",
     "t.toml:4: unknown key 'vcluster.ml.mounts.\"/s\".readonly' (allowed: "
     "type, source, read_only, options)"},
    {"mount read_only type",
     "[vcluster.ml.mounts.\"/s\"]\ntype = \"nfs\"\nsource = \"x\"\n"
     "read_only = \"yes\"\n",
     "t.toml:4: key 'vcluster.ml.mounts.\"/s\".read_only': must be a "
     "boolean, not a string"},
    {"relative mount point",
     "[vcluster.ml.mounts]\nscratch = { type = \"nfs\", source = \"x\" }\n",
     "t.toml:2: key 'vcluster.ml.mounts.scratch': must be an absolute path "
     "(starting with '/')"},
    // Declared paths and keys that would leave --root (tester, issue 11).
    {"file path with ..",
     "[vcluster.ml.files]\n\"/etc/../../x\" = { content = \"x\" }\n",
     "t.toml:2: key 'vcluster.ml.files.\"/etc/../../x\"': file path "
     "'/etc/../../x' has a '.' or '..' component (a declared path names "
     "one place under the node's root)"},
    {"file path /", "[vcluster.ml.files]\n\"/\" = { content = \"x\" }\n",
     "t.toml:2: key 'vcluster.ml.files.\"/\"': file path '/' names the root "
     "directory itself"},
    {"mount point with .",
     "[vcluster.ml.mounts]\n\"/a/./b\" = { type = \"nfs\", source = "
     "\"x\" }\n",
     "t.toml:2: key 'vcluster.ml.mounts.\"/a/./b\"': mount point '/a/./b' "
     "has a '.' or '..' component (a declared path names one place under "
     "the node's root)"},
    {"sysctl key with ..",
     "[vcluster.ml.sysctl]\n\"vm/../../etc/passwd\" = \"1\"\n",
     "t.toml:2: key 'vcluster.ml.sysctl.\"vm/../../etc/passwd\"': sysctl key "
     "'vm/../../etc/passwd' has an empty or '..' component"},
    {"sysctl key with a space",
     "[vcluster.ml.sysctl]\n\"vm swappiness\" = \"1\"\n",
     "t.toml:2: key 'vcluster.ml.sysctl.\"vm swappiness\"': sysctl key 'vm "
     "swappiness' has a character other than letters, digits and _-.:/"},
    {"mount not a table", "[vcluster.ml.mounts]\n\"/s\" = \"nfs\"\n",
     "t.toml:2: key 'vcluster.ml.mounts.\"/s\"': a mount is a table { type, "
     "source, read_only, options }, not a string"},
    {"file without content",
     "[vcluster.ml.files.\"/etc/motd\"]\nmode = \"0644\"\n",
     "t.toml:1: key 'vcluster.ml.files.\"/etc/motd\".content': required "
     "string is missing"},
    {"file bad mode",
     "[vcluster.ml.files.\"/etc/motd\"]\ncontent = \"x\"\nmode = \"0899\"\n",
     "t.toml:3: key 'vcluster.ml.files.\"/etc/motd\".mode': must be 3 or 4 "
     "octal digits such as \"0644\" (got \"0899\")"},
    {"file mode as integer",
     "[vcluster.ml.files.\"/etc/motd\"]\ncontent = \"x\"\nmode = 644\n",
     "t.toml:3: key 'vcluster.ml.files.\"/etc/motd\".mode': must be a "
     "string, not an integer"},
    {"packages date", "[vcluster.ml.packages]\nrelease = 2024-06-01\n",
     "t.toml:2: key 'vcluster.ml.packages.release': a date is not supported "
     "here"},
    {"gpu nan inside a table", "[vcluster.ml.gpu]\nclocks = { max = nan }\n",
     "t.toml:2: key 'vcluster.ml.gpu.clocks.max': NaN and infinities are not "
     "allowed"},
  });
}

TEST_CASE("service errors") {
  check_cases({
    {"bad restart",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\nrestart = \"sometimes\"\n",
     "t.toml:3: key 'vcluster.ml.services.web.restart': invalid value "
     "\"sometimes\" (allowed: always, on-failure, never)"},
    {"missing binary", "[vcluster.ml.services.web]\nargs = []\n",
     "t.toml:1: key 'vcluster.ml.services.web.binary': required string is "
     "missing"},
    {"negative delay",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\n"
     "restart_delay_seconds = -1\n",
     "t.toml:3: key 'vcluster.ml.services.web.restart_delay_seconds': must "
     "not be negative (got -1)"},
    {"args not strings",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\nargs = [\"a\", 2]\n",
     "t.toml:3: key 'vcluster.ml.services.web.args[1]': must be a string, "
     "not an integer"},
    {"unknown service field",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\nuser = \"nobody\"\n",
     "t.toml:3: unknown key 'vcluster.ml.services.web.user' (allowed: name, "
     "binary, args, restart, restart_delay_seconds, depends_on, order, "
     "health_check, cgroup_slice, cgroup_memory_max)"},
    {"depends on itself",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\ndepends_on = [\"web\"]\n",
     "t.toml:3: key 'vcluster.ml.services.web.depends_on[0]': a service "
     "cannot depend on itself"},
    {"http check without url",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\n"
     "health_check = { type = \"http\" }\n",
     "t.toml:3: key 'vcluster.ml.services.web.health_check.url': an http "
     "health check needs a url"},
    {"tcp port out of range",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\n"
     "health_check = { type = \"tcp\", port = 70000 }\n",
     "t.toml:3: key 'vcluster.ml.services.web.health_check.port': must be <= "
     "65535 (got 70000)"},
    {"bad health check type",
     "[vcluster.ml.services.web]\nbinary = \"/w\"\n"
     "health_check = { type = \"icmp\" }\n",
     "t.toml:3: key 'vcluster.ml.services.web.health_check.type': invalid "
     "value \"icmp\" (allowed: process, http, tcp)"},
    {"array entry without name", "[[vcluster.ml.services]]\nbinary = \"/w\"\n",
     "t.toml:1: key 'vcluster.ml.services[0].name': required string is "
     "missing"},
    {"table form name differs",
     "[vcluster.ml.services.web]\nname = \"www\"\nbinary = \"/w\"\n",
     "t.toml:2: key 'vcluster.ml.services.web.name': must equal the table "
     "key \"web\" when given"},
    {"bad service name", "[vcluster.ml.services.\"a b\"]\nbinary = \"/w\"\n",
     "t.toml:1: key 'vcluster.ml.services.\"a b\"': invalid service name "
     "\"a b\": a service name is 1-255 bytes of [A-Za-z0-9._@:+-], not "
     "starting with '.' or '-'"},
  });
}

TEST_CASE("a service defined twice names both lines, in either form") {
  check_cases({
    {"array form twice",
     "[[vcluster.ml.services]]\nname = \"web\"\nbinary = \"/w\"\n\n"
     "[[vcluster.ml.services]]\nname = \"web\"\nbinary = \"/x\"\n",
     "t.toml:5: key 'vcluster.ml.services.web': service \"web\" is defined "
     "twice (line 1 and line 5)"},
    {"array form, then table form",
     "[[vcluster.ml.services]]\nname = \"web\"\nbinary = \"/w\"\n"
     "[vcluster.ml.services.web]\nbinary = \"/x\"\n",
     "t.toml:4: key 'vcluster.ml.services.web': service \"web\" is defined "
     "twice (line 1 and line 4)"},
    {"array form, then another table",
     "[[vcluster.ml.services]]\nname = \"web\"\nbinary = \"/w\"\n"
     "[vcluster.ml.services.db]\nbinary = \"/x\"\n",
     "t.toml:4: key 'vcluster.ml.services.db': a [vcluster.ml.services.db] "
     "table after [[vcluster.ml.services]] is read by TOML as part of the "
     "entry at line 1; use one services form per vCluster"},
  });
  // Table form, then array form: TOML itself refuses, at the second form.
  auto msg = parse_error("[vcluster.ml.services.web]\nbinary = \"/w\"\n"
                         "[[vcluster.ml.services]]\nname = \"web\"\n");
  CHECK(msg.rfind("t.toml:3: ", 0) == 0);
  CHECK(msg.find("vcluster.ml.services") != std::string::npos);
}

TEST_CASE("policy errors") {
  check_cases({
    {"bad enforcement_mode",
     "[vcluster.ml.policy]\nenforcement_mode = \"strict\"\n",
     "t.toml:2: key 'vcluster.ml.policy.enforcement_mode': invalid value "
     "\"strict\" (allowed: observe, warn, enforce)"},
    {"window below the floor (resolve_policy)",
     "[vcluster.ml.policy]\nregulated = true\n"
     "base_commit_window_seconds = 30\n",
     "t.toml:3: key 'vcluster.ml.policy.base_commit_window_seconds': must be "
     ">= 60"},
    {"zero retention (resolve_policy)",
     "[vcluster.ml.policy]\naudit_retention_days = 0\n",
     "t.toml:2: key 'vcluster.ml.policy.audit_retention_days': must be > 0"},
    {"empty whitelist entry (resolve_policy)",
     "[vcluster.ml.policy]\nexec_whitelist = [\"ls\", \"\"]\n",
     "t.toml:2: key 'vcluster.ml.policy.exec_whitelist': contains an empty "
     "entry"},
    {"negative value", "[vcluster.ml.policy]\nemergency_window_seconds = -5\n",
     "t.toml:2: key 'vcluster.ml.policy.emergency_window_seconds': must not "
     "be negative (got -5)"},
    {"too large for uint32",
     "[vcluster.ml.policy]\napproval_timeout_seconds = 5000000000\n",
     "t.toml:2: key 'vcluster.ml.policy.approval_timeout_seconds': must be "
     "<= 4294967295 (got 5000000000)"},
    {"negative sensitivity", "[vcluster.ml.policy]\ndrift_sensitivity = -1.5\n",
     "t.toml:2: key 'vcluster.ml.policy.drift_sensitivity': must not be "
     "negative (got -1.5)"},
    {"wrong type", "[vcluster.ml.policy]\nregulated = \"yes\"\n",
     "t.toml:2: key 'vcluster.ml.policy.regulated': must be a boolean, not a "
     "string"},
    {"unknown category",
     "[vcluster.ml.policy]\nauto_converge_categories = [\"sysctl\"]\n",
     "t.toml:2: key 'vcluster.ml.policy.auto_converge_categories[0]': "
     "unknown category \"sysctl\" (allowed: mounts, files, network, "
     "services, kernel, packages, gpu)"},
    {"unknown policy key", "[vcluster.ml.policy]\ncommit_window = 900\n",
     "t.toml:2: unknown key 'vcluster.ml.policy.commit_window' (allowed: "
     "drift_sensitivity, base_commit_window_seconds, "
     "emergency_window_seconds, enforcement_mode, auto_converge_categories, "
     "require_ack_categories, regulated, two_person_approval, "
     "approval_timeout_seconds, emergency_allowed, ai_exec_allowed, "
     "ai_write_allowed, "
     "audit_retention_days, exec_whitelist, shell_whitelist, blacklist, "
     "read_only_commands)"},
  });
}

TEST_CASE("the first error in the file is the one reported") {
  CHECK(parse_error("[vcluster.b.sysctl]\nx = true\n"
                    "[vcluster.a.sysctl]\ny = false\n")
        == "t.toml:2: key 'vcluster.b.sysctl.x': sysctl values are strings "
           "(integers are converted), not a boolean");
}

TEST_CASE("parse_spec_file names a file it cannot open") {
  auto r = parse_spec_file("/nonexistent/overlays.toml");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.err().message.rfind("/nonexistent/overlays.toml: cannot open", 0)
        == 0);
}
