// The stdio transport's bounded line reader: a line over the bound is
// dropped up to its newline and the next line is read normally.

#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "mcp/line_reader.hpp"
#include "mcp/server.hpp"

using namespace pact::mcp;
using st = line_reader::status;

TEST_CASE("lines are split at newlines; CR LF and a last partial line") {
  std::istringstream in{"a\r\n\nbc\nlast"};
  line_reader r{in, 10};
  std::string l;
  CHECK(r.next(l) == st::line);
  CHECK(l == "a");
  CHECK(r.next(l) == st::line);
  CHECK(l.empty());
  CHECK(r.next(l) == st::line);
  CHECK(l == "bc");
  CHECK(r.next(l) == st::line);
  CHECK(l == "last");
  CHECK(r.next(l) == st::end);
  CHECK(r.next(l) == st::end);
}

TEST_CASE("a line over the bound is discarded and reading goes on") {
  std::string exact(8, 'x');
  std::istringstream in{exact + "\n" + exact + "\r\n" + exact + "y\n"
                        + std::string(100000, 'z') + "\nnext\n" + exact + "yy"};
  line_reader r{in, 8};
  std::string l;
  CHECK(r.next(l) == st::line);
  CHECK(l == exact);
  CHECK(r.next(l) == st::line);
  CHECK(l == exact);
  CHECK(r.next(l) == st::too_long);
  CHECK(l.empty());
  CHECK(r.next(l) == st::too_long);
  CHECK(r.next(l) == st::line);
  CHECK(l == "next");
  CHECK(r.next(l) == st::too_long);
  CHECK(r.next(l) == st::end);
}

TEST_CASE("the bridge's bound is the gateway's 4 MiB") {
  CHECK(max_message_bytes == 4u * 1024 * 1024);
  auto reply = pact::mcp::json::parse(server::oversized_reply());
  CHECK(reply["error"]["code"] == invalid_request);
  CHECK(reply["id"].is_null());
}
