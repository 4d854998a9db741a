#pragma once

/// One TLS connection over a connected socket (issue 16; tls_context.hpp
/// for the policies). CAF-free: the transport in actors/net drives it from
/// CAF's multiplexer.
///
/// A client handshakes at once and blocking (with a deadline), so that a
/// refusal comes back to whoever asked for the connection with its reason
/// ("certificate verify failed: the certificate has expired"). A server
/// handshakes step by step from the multiplexer's read and write events,
/// since a listener must never block on one client.
///
/// OpenSSL keeps errors in a per-thread queue that the next call on the
/// same thread would read as its own; every call here empties it first and
/// after a failure (the fault behind issue 16 item 4).

#include <cstddef>
#include <memory>
#include <string>

#include "runtime/tls/tls_context.hpp"

typedef struct ssl_st SSL;

namespace pact::tls {

class session {
public:
  /// Outcome of one read or write.
  enum class io {
    /// Some bytes moved (`n` says how many; 0 only for a zero-length call).
    done,
    /// Nothing can move until the socket is readable or writable again.
    would_block,
    /// The peer closed the connection cleanly.
    closed,
    /// The connection failed; `failure()` says why.
    failed,
  };

  /// A session over `fd` (connected, non-blocking) with `ctx`'s policy.
  /// Null when OpenSSL cannot make one.
  static std::unique_ptr<session> make(std::shared_ptr<const context> ctx,
                                       int fd);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Client handshake, blocking up to `timeout_ms`. `expect_name` is the
  /// name the server's certificate must carry (RFC 6125: a DNS name is
  /// matched against its DNS subjectAltNames, an IP address against its IP
  /// ones); empty checks the chain only (replica links). Returns "" on
  /// success, else why it failed, in words.
  std::string connect(const std::string& expect_name, int timeout_ms);

  /// Server side: the next reads and writes run the handshake first.
  void start_accept();

  io read(void* buf, size_t len, size_t& n);
  io write(const void* buf, size_t len, size_t& n);

  /// Bytes decrypted and buffered inside OpenSSL, not yet read.
  size_t pending() const;

  /// Whether the handshake completed.
  bool established() const {
    return established_;
  }
  /// Why the last call failed.
  const std::string& failure() const {
    return failure_;
  }
  /// Subject CN of the verified peer certificate ("" when none).
  std::string peer_common_name() const;
  /// The peer's certificate, PEM ("" when none).
  std::string peer_certificate_pem() const;

private:
  session(std::shared_ptr<const context> ctx, SSL* ssl);
  io step(int ret);
  /// read/write: the pending server handshake, then `f(len)`.
  template <class Transfer>
  io transfer(size_t len, size_t& n, Transfer f);
  std::string explain(int ret, int err) const;
  std::shared_ptr<const context> ctx_;
  SSL* ssl_;
  bool accepting_ = false;
  bool established_ = false;
  std::string failure_;
};

} // namespace pact::tls
