#include "actors/daemon/http_broker.hpp"

#include <map>
#include <memory>

#include <caf/io/system_messages.hpp>

namespace pact::daemon {

using caf::io::connection_handle;

void http_send(caf::io::broker* self, connection_handle hdl,
               const std::string& bytes) {
  self->write(hdl, bytes.size(), bytes.data());
  self->flush(hdl);
  self->close(hdl);
}

caf::behavior http_request_handlers(caf::io::broker* self,
                                    http_handler on_request) {
  // A request may arrive in several reads: kept per connection until it
  // parses (or is refused).
  auto buffers = std::make_shared<std::map<connection_handle, std::string>>();
  return {
    [self](const caf::io::new_connection_msg& msg) {
      self->configure_read(msg.handle, caf::io::receive_policy::at_most(4096));
    },
    [self, buffers, on_request](const caf::io::new_data_msg& msg) {
      auto& buf = (*buffers)[msg.handle];
      buf.append(msg.buf.begin(), msg.buf.end());
      auto parsed = http::parse_request(buf);
      if (parsed.status == http::parse_status::incomplete)
        return;
      auto hdl = msg.handle;
      buffers->erase(hdl);
      if (parsed.status == http::parse_status::bad)
        http_send(self, hdl,
                  http::response(400, "text/plain", parsed.error + "\n"));
      else
        on_request(hdl, parsed.req);
    },
    [buffers](const caf::io::connection_closed_msg& msg) {
      buffers->erase(msg.handle);
    },
    [](const caf::io::acceptor_closed_msg&) {},
  };
}

} // namespace pact::daemon
