#include "actors/net/tls_transport.hpp"

#include <signal.h>
#include <sys/socket.h>

#include <caf/detail/socket_guard.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/interfaces.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include "runtime/pki/pki.hpp"
#include "runtime/tls/tls_session.hpp"

namespace pact::net {

namespace {

using caf::io::network::native_socket;
using caf::io::network::rw_state;
using mpx_type = caf::io::network::default_multiplexer;

/// Shared by the multiplexer's stream (which owns the policy by value) and
/// the scribe (which reports the peer).
using session_ptr = std::shared_ptr<tls::session>;

std::string peer_of(native_socket fd) {
  auto addr = caf::io::network::remote_addr_of_fd(fd);
  auto port = caf::io::network::remote_port_of_fd(fd);
  return (addr ? *addr : std::string("?")) + ":"
         + (port ? std::to_string(*port) : std::string("?"));
}

/// What CAF's stream calls to move bytes: the session's reads and writes
/// in CAF's terms.
class tls_io {
public:
  /// `peer`: "address:port", taken when the connection was made (the
  /// socket may be gone by the time a failure is reported).
  tls_io(session_ptr s, std::string peer)
    : s_(std::move(s)), peer_(std::move(peer)) {
  }

  rw_state read_some(size_t& n, native_socket fd, void* buf, size_t len) {
    return map(s_->read(buf, len, n), fd);
  }

  rw_state write_some(size_t& n, native_socket fd, const void* buf,
                      size_t len) {
    return map(s_->write(buf, len, n), fd);
  }

  bool try_accept(native_socket&, native_socket) {
    return false; // streams never accept; the doorman does
  }

  bool must_read_more(native_socket, size_t threshold) {
    return s_->pending() >= threshold && threshold > 0;
  }

private:
  rw_state map(tls::session::io r, native_socket) {
    switch (r) {
      case tls::session::io::done:
      case tls::session::io::would_block:
        return rw_state::success;
      case tls::session::io::closed:
        return rw_state::failure;
      case tls::session::io::failed:
        // A server-side handshake failure is only visible here: tell the
        // operator who tried and why. A lost established connection is
        // BASP's to report.
        if (!reported_) {
          reported_ = true;
          // A probe that connects and closes (a load balancer's health
          // check) is not worth a warning.
          bool probe = s_->failure().rfind("the peer closed", 0) == 0;
          if (s_->established() || probe)
            spdlog::debug("tls: connection with {}: {}", peer_, s_->failure());
          else
            spdlog::warn("tls: handshake with {}: {}", peer_, s_->failure());
        }
        return rw_state::failure;
    }
    return rw_state::failure;
  }
  session_ptr s_;
  std::string peer_;
  bool reported_ = false;
};

/// A connection as the BASP broker sees it; bytes go through the session.
class tls_scribe : public caf::io::scribe {
public:
  tls_scribe(mpx_type& mpx, native_socket fd, session_ptr s)
    : caf::io::scribe(caf::io::network::conn_hdl_from_socket(fd)),
      stream_(mpx, fd, std::move(s), peer_of(fd)) {
  }

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_)
      launch();
  }
  void ack_writes(bool enable) override {
    stream_.ack_writes(enable);
  }
  std::vector<char>& wr_buf() override {
    return stream_.wr_buf();
  }
  std::vector<char>& rd_buf() override {
    return stream_.rd_buf();
  }
  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }
  void flush() override {
    stream_.flush(this);
  }
  std::string addr() const override {
    auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }
  uint16_t port() const override {
    auto x = caf::io::network::remote_port_of_fd(stream_.fd());
    return x ? *x : 0;
  }
  void add_to_loop() override {
    stream_.activate(this);
  }
  void remove_from_loop() override {
    stream_.passivate();
  }

private:
  void launch() {
    launched_ = true;
    stream_.start(this);
    // A write event drives a server's handshake even before BASP has
    // anything to send.
    stream_.force_empty_write(this);
  }
  bool launched_ = false;
  caf::io::network::stream_impl<tls_io> stream_;
};

/// Accepts TCP connections and wraps each in a server session.
class tls_doorman : public caf::io::network::doorman_impl {
public:
  tls_doorman(mpx_type& mpx, native_socket fd,
              std::shared_ptr<tls::context_slot> server)
    : caf::io::network::doorman_impl(mpx, fd), server_(std::move(server)) {
  }

  bool new_connection() override {
    if (detached())
      return false;
    auto& mpx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    caf::detail::socket_guard guard{fd};
    caf::io::network::nonblocking(fd, true);
    auto ctx = server_->get();
    std::shared_ptr<tls::session> s
      = ctx ? tls::session::make(ctx, static_cast<int>(fd)) : nullptr;
    if (!s) {
      spdlog::warn("tls: cannot serve {}: no TLS context", peer_of(fd));
      return false;
    }
    s->start_accept();
    auto scribe = caf::make_counted<tls_scribe>(mpx, fd, std::move(s));
    guard.release();
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
    return doorman::new_connection(&mpx, hdl);
  }

private:
  std::shared_ptr<tls::context_slot> server_;
};

class tls_middleman : public caf::io::middleman_actor_impl {
public:
  tls_middleman(caf::actor_config& cfg, caf::actor broker, tls_policy p)
    : caf::io::middleman_actor_impl(cfg, std::move(broker)),
      policy_(std::move(p)) {
  }

  const char* name() const override {
    return "pact.tls_middleman";
  }

protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto ctx = policy_.client ? policy_.client->get() : nullptr;
    if (!ctx)
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "no TLS client settings");
    auto fd = caf::io::network::new_tcp_connection(host, port);
    if (!fd) // CAF's socket wording stays out of operators' messages
      return caf::make_error(caf::sec::cannot_connect_to_node);
    caf::detail::socket_guard guard{*fd};
    caf::io::network::nonblocking(*fd, true);
    std::shared_ptr<tls::session> s = tls::session::make(ctx,
                                                         static_cast<int>(*fd));
    if (!s)
      return caf::make_error(caf::sec::cannot_connect_to_node,
                             "cannot create a TLS session");
    auto name = policy_.chain_only            ? std::string{}
                : policy_.expect_name.empty() ? host
                                              : policy_.expect_name;
    auto why = s->connect(name,
                          static_cast<int>(policy_.handshake_timeout.count()));
    if (!why.empty())
      return caf::make_error(caf::sec::cannot_connect_to_node, why);
    if (!policy_.expect_serial.empty()) {
      auto info = pki::parse_cert(s->peer_certificate_pem());
      if (!info || info->serial_hex != policy_.expect_serial)
        return caf::make_error(
          caf::sec::cannot_connect_to_node,
          "certificate verify failed: the certificate "
            + (info ? info->serial_hex : std::string("presented")) + " is not "
            + name
            + "'s current one (renewed, revoked or enrolled again: pact "
              "enroll status "
            + name + ")");
    }
    guard.release();
    return caf::make_counted<tls_scribe>(mpx(), *fd, std::move(s));
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    if (!policy_.server || !policy_.server->get())
      return caf::make_error(caf::sec::cannot_open_port,
                             "no TLS server settings");
    auto fd = caf::io::network::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd)
      return std::move(fd.error());
    return caf::make_counted<tls_doorman>(mpx(), *fd, policy_.server);
  }

private:
  mpx_type& mpx() {
    return static_cast<mpx_type&>(system().middleman().backend());
  }
  tls_policy policy_;
};

} // namespace

caf::io::middleman_actor spawn_tls_middleman(caf::actor_system& sys,
                                             tls_policy policy) {
  // A write to a connection the peer closed raises SIGPIPE inside OpenSSL;
  // the failed write is handled as a lost connection instead.
  ::signal(SIGPIPE, SIG_IGN);
  auto broker
    = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  // Detached: a connect blocks this actor for the TLS handshake.
  auto mm = sys.spawn<tls_middleman, caf::detached + caf::hidden>(
    std::move(broker), std::move(policy));
  // A detached actor's thread keeps the actor system's destructor waiting
  // until the actor ends. The system kills its own middleman actor when it
  // stops its network layer; this one goes with it.
  // A weak reference: the thread also waits until nothing holds the actor.
  auto plain = sys.middleman().actor_handle();
  caf::actor_cast<caf::abstract_actor*>(plain)->attach_functor(
    [weak = caf::actor_cast<caf::actor_addr>(mm)](const caf::error&) {
      if (auto strong = caf::actor_cast<caf::actor>(weak))
        caf::anon_send_exit(strong, caf::exit_reason::kill);
    });
  return mm;
}

} // namespace pact::net
