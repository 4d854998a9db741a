// render_overlay_toml: parsing the rendered text gives back the overlay's
// attributes, byte-identical items and its resolved policy.

#include <doctest/doctest.h>

#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "runtime/spec/overlay_render.hpp"
#include "runtime/spec/toml_text.hpp"
#include "tests/unit/runtime/spec/spec_test_util.hpp"

using namespace pact::spec;
using namespace pact::spec::test;
using pact::journal::deterministic_bytes;

namespace {

/// The overlay the journal would hold after applying `spec`.
VClusterOverlay overlay_of(const OverlaySpec& spec) {
  VClusterOverlay o;
  o.set_vcluster(spec.vcluster());
  *o.mutable_attributes() = spec.attributes();
  *o.mutable_items() = spec.items();
  *o.mutable_policy() = spec.has_policy() ? spec.policy()
                                          : pact::journal::default_policy();
  o.set_version(7);
  o.set_checksum("abc");
  return o;
}

/// Renders `o`, parses the text back, and checks it is `o` again.
void check_round_trip(const VClusterOverlay& o) {
  auto text = render_overlay_toml(o, "exported by test\nversion 7");
  CAPTURE(text);
  auto back = parse_spec_text(text, "rendered.toml");
  if (!back)
    FAIL_CHECK(back.err().message);
  REQUIRE(back.has_value());
  REQUIRE(back->size() == 1);
  const auto& s = (*back)[0];
  CHECK(s.vcluster() == o.vcluster());
  CHECK(deterministic_bytes(s.attributes())
        == deterministic_bytes(o.attributes()));
  REQUIRE(s.items_size() == o.items_size());
  for (int i = 0; i < s.items_size(); ++i) {
    CAPTURE(o.items(i).key());
    CHECK(s.items(i).category() == o.items(i).category());
    CHECK(s.items(i).key() == o.items(i).key());
    CHECK(s.items(i).value() == o.items(i).value());
  }
  CHECK(deterministic_bytes(s.policy()) == deterministic_bytes(o.policy()));
}

DeltaItem item(DeltaCategory c, const std::string& key,
               const std::string& value) {
  DeltaItem i;
  i.set_category(c);
  i.set_action(DELTA_ACTION_ADD);
  i.set_key(key);
  i.set_value(value);
  return i;
}

} // namespace

TEST_CASE("every example renders and parses back identically") {
  for (const char* name : {"ml-training.toml", "regulated.toml",
                           "multi-vcluster.toml", "node-baseline.toml"}) {
    CAPTURE(name);
    auto specs = parse_spec_file(std::string(PACT_EXAMPLES_DIR "/") + name);
    REQUIRE(specs.has_value());
    std::vector<VClusterOverlay> overlays;
    for (const auto& s : *specs) {
      check_round_trip(overlay_of(s));
      overlays.push_back(overlay_of(s));
    }
    // Several overlays in one file give the same specs again.
    auto all = parse_spec_text(render_overlays_toml(overlays), "all.toml");
    REQUIRE(all.has_value());
    REQUIRE(all->size() == specs->size());
    for (size_t i = 0; i < all->size(); ++i)
      CHECK(deterministic_bytes((*all)[i]) == deterministic_bytes((*specs)[i]));
  }
}

TEST_CASE("round trip of tricky strings and keys") {
  VClusterOverlay o;
  o.set_vcluster("ml.v2_x-y");
  o.mutable_attributes()->set_base_image("reg/img:\"q\" \\ back");
  o.mutable_attributes()->set_supervisor_backend("systemd");
  auto add = [&](DeltaCategory c, const std::string& k, const std::string& v) {
    *o.add_items() = item(c, k, v);
  };
  // Built through the parser, so the values are canonical.
  auto spec = parse_one(R"(
[vcluster.x.mounts]
"/mnt/a b/c.d" = { type = "nfs", source = "h:/x\\y", options = "a=\"1\"" }
[vcluster.x.files."/etc/a.conf"]
content = "line 1\nline \"2\" with \"\"\" triple\n\tindented \\ back\r\nend\\"
[vcluster.x.files."/etc/ünï"]
content = "ünïcødé ✓ 日本語 \u0000 nul"
mode = "0755"
[vcluster.x.files."/etc/q"]
content = "ends with a quote\n\""
[vcluster.x.files."/etc/r"]
content = "\n"
[vcluster.x.packages]
"lib.so/1" = { "a.b" = [1, -2.5, 1e300, 0.1, "x\ny"], "" = true }
"ver" = "1.0"
[vcluster.x.network]
"eth0.mtu" = 9000
[vcluster.x.gpu]
"[weird]" = { "=" = {}, list = [] }
[vcluster.x.services."svc@1:x"]
binary = "/bin/sh"
args = ["-c", "echo \"hi\" \\n; exit 0", "ünï"]
depends_on = ["a.b"]
health_check = { type = "http", url = "http://h/p?q=\"1\"" }
)");
  for (const auto& i : spec.items())
    *o.add_items() = i;
  add(DELTA_CATEGORY_KERNEL, "net.ipv4.conf.all.rp_filter", "2");
  // A tricky key where keys have no shape rule (journal::key_shape_error),
  // a tricky value where values are kept as written.
  add(DELTA_CATEGORY_PACKAGES, "weird key = \"x\"", "1.0");
  add(DELTA_CATEGORY_KERNEL, "kernel.weird",
      std::string("tab\there\x01\x7f nul") + '\0' + "x");
  add(DELTA_CATEGORY_KERNEL, "kernel.core_pattern", "|/usr/bin/x %e\\n");
  // Canonical order, as the journal keeps it.
  auto m = pact::journal::to_map(o.items());
  pact::journal::to_list(m, o.mutable_items());
  auto p = pact::journal::default_policy();
  p.set_drift_sensitivity(0.1);
  p.set_enforcement_mode(ENFORCEMENT_MODE_ENFORCE);
  p.add_auto_converge_categories(DELTA_CATEGORY_KERNEL);
  p.add_require_ack_categories(DELTA_CATEGORY_FILES);
  p.add_require_ack_categories(DELTA_CATEGORY_GPU);
  p.add_exec_whitelist("nvidia-smi \"-q\"");
  p.add_shell_whitelist("bash");
  p.add_blacklist("/etc/sh*dow");
  p.set_ai_exec_allowed(true);
  p.set_emergency_allowed(false);
  *o.mutable_policy() = p;
  check_round_trip(o);
}

TEST_CASE("an overlay with no items renders its vCluster and policy") {
  VClusterOverlay o;
  o.set_vcluster("empty");
  *o.mutable_policy() = pact::journal::default_policy();
  check_round_trip(o);
  auto text = render_overlay_toml(o);
  CHECK(text.rfind("[vcluster.empty]\n", 0) == 0);
  CHECK(text.find("[vcluster.empty.policy]") != std::string::npos);
  CHECK(text.find("blacklist = []") != std::string::npos);
}

TEST_CASE("the comment is written first, one '# ' line per line") {
  VClusterOverlay o;
  o.set_vcluster("a");
  auto text = render_overlay_toml(o, "from pact\n\nversion 3\x01");
  CHECK(text.rfind("# from pact\n#\n# version 3?\n\n[vcluster.a]\n", 0) == 0);
}

TEST_CASE("services render as [vcluster.X.services.NAME] tables") {
  auto spec = parse_one("[[vcluster.x.services]]\nname = \"web\"\n"
                        "binary = \"/w\"\n");
  auto text = render_overlay_toml(overlay_of(spec));
  CHECK(text.find("\n[vcluster.x.services.web]\nargs = []\nbinary = \"/w\"\n")
        != std::string::npos);
}

TEST_CASE("values the spec cannot express are noted, not silently lost") {
  VClusterOverlay o;
  o.set_vcluster("x");
  *o.add_items() = item(DELTA_CATEGORY_MOUNTS, "/m", "not json");
  *o.add_items() = item(DELTA_CATEGORY_PACKAGES, "p", "1.2.3");
  *o.add_items() = item(DELTA_CATEGORY_SERVICES, "s", "[1]");
  auto text = render_overlay_toml(o);
  CHECK(text.find("# pact: mounts item \"/m\" is not a JSON object and was "
                  "left out: \"not json\"")
        != std::string::npos);
  CHECK(text.find("# pact: packages item \"p\" is not canonical JSON; "
                  "written as a string: \"1.2.3\"\np = \"1.2.3\"\n")
        != std::string::npos);
  CHECK(text.find("# pact: services item \"s\" is not a JSON object")
        != std::string::npos);
  auto back = parse_spec_text(text, "r.toml");
  REQUIRE(back.has_value());
  REQUIRE((*back)[0].items_size() == 1);
  CHECK((*back)[0].items(0).value() == "\"1.2.3\"");
}

TEST_CASE("toml_text spelling") {
  CHECK(toml_key("abc_D-9") == "abc_D-9");
  CHECK(toml_key("vm.x") == "\"vm.x\"");
  CHECK(toml_key("") == "\"\"");
  CHECK(toml_string("a\"b\\c\n\x1f") == "\"a\\\"b\\\\c\\n\\u001F\"");
  CHECK(toml_multiline_string("a\n\"\"\"\r")
        == "\"\"\"\na\n\\\"\\\"\\\"\\r\"\"\"");
  CHECK(toml_float(2.0) == "2.0");
  CHECK(toml_float(0.1) == "0.1");
  CHECK(toml_float(1e300) == "1e+300");
  CHECK(toml_float(-0.5) == "-0.5");
}
