// Remote text through the renderers: whatever a commit message, author,
// key, value, node name or actor detail holds, the text renderings carry
// no control byte and keep one row per record; the JSON renderings keep
// the text exact (docs/cli.md "Output").

#include <doctest/doctest.h>

#include "runtime/render/journal_render.hpp"
#include "runtime/render/status_render.hpp"

using namespace pact;

namespace {

const std::string attack = "\x1b[2K\r\x1b[32mall clear";

bool has_control_byte(const std::string& s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f)
      return true;
  return false;
}

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s)
    n += c == '\n';
  return n;
}

protocol::ConfigEntry entry(const std::string& message) {
  protocol::ConfigEntry e;
  e.set_sequence(7);
  e.set_timestamp_unix_ms(1'700'000'000'000);
  e.set_entry_type(protocol::ENTRY_TYPE_COMMIT);
  e.mutable_scope()->set_node("n1");
  e.mutable_author()->set_principal("alice");
  e.set_message(message);
  return e;
}

} // namespace

TEST_CASE("pact log text neutralises an escape sequence in a message") {
  auto text = render::render_entries_text({entry(attack)});
  CHECK_FALSE(has_control_byte(text));
  CHECK(text.find("\\x1b[2K\\r\\x1b[32mall clear") != std::string::npos);
  CHECK(lines(text) == 2); // header and one row
  // JSON stays exact.
  CHECK(render::entry_json(entry(attack))["message"] == attack);
  CHECK(render::entry_json(entry(attack)).dump().find('\x1b')
        == std::string::npos);
}

TEST_CASE("newlines, C1 and bidi controls in any field stay inside the row") {
  auto e = entry("fix\n  8  2026-01-01T00:00:00Z  commit  fake\xc2\x9b"
                 "2K");
  e.mutable_author()->set_principal("mallory\xe2\x80\xae"
                                    "nimda");
  auto text = render::render_entries_text({e});
  CHECK_FALSE(has_control_byte(text));
  CHECK(lines(text) == 2);
  CHECK(text.find("\\u009b2K") != std::string::npos);
  CHECK(text.find("mallory\\u202enimda") != std::string::npos);
}

TEST_CASE("item text neutralises key, value and previous value") {
  protocol::DeltaItem i;
  i.set_category(protocol::DELTA_CATEGORY_FILES);
  i.set_action(protocol::DELTA_ACTION_MODIFY);
  i.set_key("/etc/motd\x1b]0;pwned\x07");
  i.set_value("line one\nline two");
  i.set_previous("\x9b"
                 "31m");
  auto text = render::item_text(i);
  CHECK_FALSE(has_control_byte(text));
  CHECK(lines(text) == 0);
  CHECK(text
        == "files /etc/motd\\x1b]0;pwned\\x07 = line one\\nline two (was "
           "\\x9b31m)");
  CHECK(render::item_json(i)["value"] == "line one\nline two");
}

TEST_CASE("a removal says it once, with what it removed") {
  protocol::DeltaItem i;
  i.set_category(protocol::DELTA_CATEGORY_KERNEL);
  i.set_action(protocol::DELTA_ACTION_REMOVE);
  i.set_key("vm.swappiness");
  CHECK(render::item_text(i) == "kernel vm.swappiness (removed)");
  i.set_previous("20");
  CHECK(render::item_text(i) == "kernel vm.swappiness (removed, was 20)");
}

TEST_CASE("status text neutralises node, agent and actor fields") {
  protocol::StatusReply reply;
  auto* self = reply.mutable_self();
  self->set_component("journal");
  self->set_node_id("1\x1b[H");
  auto* a = self->add_actors();
  a->set_name("journal");
  a->set_kind("supervisor");
  a->set_detail(attack);
  auto* n = reply.add_nodes();
  n->mutable_report()->set_node_id("n\r1");
  n->mutable_report()->set_vcluster("ml\nfake");
  n->mutable_report()->set_agent_endpoint("http://x\x1b[31m");
  n->mutable_report()->mutable_health()->set_version("0.1\x07");
  reply.mutable_raft()->set_failure("full\x1b[0m");
  auto text = render::render_status_text(reply, 0);
  CHECK_FALSE(has_control_byte(text));
  CHECK(text.find("\\x1b[2K\\r\\x1b[32mall clear") != std::string::npos);
  CHECK(text.find("node n\\r1 (vcluster ml\\nfake") != std::string::npos);
  CHECK(render::render_status_json(reply)["journal"]["actors"][0]["detail"]
        == attack);
}
