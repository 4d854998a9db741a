#include "runtime/tls/tls_session.hpp"

#include <arpa/inet.h>
#include <poll.h>

#include <chrono>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace pact::tls {

namespace {

bool is_ip_address(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1
         || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

/// Waits until `fd` is ready for what OpenSSL wants; false on timeout.
bool wait_for(int fd, int ssl_error, int timeout_ms) {
  pollfd p{};
  p.fd = fd;
  p.events = ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  int rc;
  do {
    rc = ::poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

} // namespace

std::unique_ptr<session> session::make(std::shared_ptr<const context> ctx,
                                       int fd) {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx->native());
  if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    ERR_clear_error();
    return nullptr;
  }
  return std::unique_ptr<session>{new session(std::move(ctx), ssl)};
}

session::session(std::shared_ptr<const context> ctx, SSL* ssl)
  : ctx_(std::move(ctx)), ssl_(ssl) {
}

session::~session() {
  SSL_free(ssl_);
}

std::string session::connect(const std::string& expect_name, int timeout_ms) {
  ERR_clear_error();
  SSL_set_connect_state(ssl_);
  if (!expect_name.empty()) {
    if (is_ip_address(expect_name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), expect_name.c_str());
    } else {
      // SNI, and the name the certificate must carry (RFC 6125 §6.4).
      // SSL_set_tlsext_host_name is a macro with a C cast.
      SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(expect_name.c_str()));
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl_, expect_name.c_str());
    }
  }
  auto deadline = std::chrono::steady_clock::now()
                  + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    ERR_clear_error();
    int ret = SSL_connect(ssl_);
    if (ret == 1) {
      established_ = true;
      return "";
    }
    int err = SSL_get_error(ssl_, ret);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      failure_ = explain(ret, err);
      ERR_clear_error();
      return failure_;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0 || !wait_for(SSL_get_fd(ssl_), err, static_cast<int>(left))) {
      failure_ = "no TLS handshake within "
                 + std::to_string(timeout_ms / 1000.0).substr(0, 4)
                 + " s (is the endpoint a pact TLS listener?)";
      return failure_;
    }
  }
}

void session::start_accept() {
  SSL_set_accept_state(ssl_);
  accepting_ = true;
}

session::io session::step(int ret) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return io::would_block;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return io::closed;
    default:
      failure_ = explain(ret, err);
      ERR_clear_error();
      return io::failed;
  }
}

template <class Transfer>
session::io session::transfer(size_t len, size_t& n, Transfer f) {
  n = 0;
  ERR_clear_error();
  // A server's handshake runs from whichever event comes first.
  if (accepting_) {
    int ret = SSL_accept(ssl_);
    if (ret != 1)
      return step(ret);
    accepting_ = false;
    established_ = true;
  }
  if (len == 0)
    return io::done;
  int ret = f(static_cast<int>(len));
  if (ret > 0) {
    n = static_cast<size_t>(ret);
    return io::done;
  }
  return step(ret);
}

session::io session::read(void* buf, size_t len, size_t& n) {
  return transfer(len, n, [&](int k) { return SSL_read(ssl_, buf, k); });
}

session::io session::write(const void* buf, size_t len, size_t& n) {
  return transfer(len, n, [&](int k) { return SSL_write(ssl_, buf, k); });
}

size_t session::pending() const {
  int p = SSL_pending(ssl_);
  return p > 0 ? static_cast<size_t>(p) : 0;
}

std::string session::peer_common_name() const {
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer == nullptr || SSL_get_verify_result(ssl_) != X509_V_OK)
    return "";
  char cn[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                sizeof(cn))
      <= 0) {
    ERR_clear_error();
    return "";
  }
  return cn;
}

std::string session::peer_certificate_pem() const {
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer == nullptr)
    return "";
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio != nullptr && PEM_write_bio_X509(bio, peer) == 1) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    if (n > 0)
      out.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  ERR_clear_error();
  return out;
}

std::string session::explain(int ret, int err) const {
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    auto text = "certificate verify failed: " + verify_error_text(verify);
    if (!ctx_->trust_source().empty()
        && (verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            || verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
            || verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
            || verify == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE))
      text += " (CA bundle " + ctx_->trust_source() + ")";
    return text;
  }
  if (err == SSL_ERROR_SYSCALL
      || (err == SSL_ERROR_SSL && ret == 0 && ERR_peek_error() == 0))
    return established_ ? "the connection was reset"
                        : "the peer closed the connection during the TLS "
                          "handshake";
  unsigned long e = ERR_peek_last_error();
  if (ERR_GET_LIB(e) != ERR_LIB_SSL)
    return "TLS failed";
  switch (ERR_GET_REASON(e)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_RECORD_LENGTH_MISMATCH:
      return "the peer does not speak TLS (plain http:// on one side, "
             "https:// on the other?)";
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return "no common TLS version (pact speaks TLS 1.2 and 1.3 only)";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return established_ ? "the connection was closed"
                          : "the peer closed the connection during the TLS "
                            "handshake";
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      return "no common TLS cipher suite (pact offers authenticated "
             "suites only)";
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return "a client certificate is required and none was presented";
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      return "the peer refused our certificate (expired, revoked, not "
             "naming the host it dialed, or signed by a CA it does not "
             "trust)";
    default:
      return established_ ? "the connection failed (TLS protocol error)"
                          : "the TLS handshake failed (protocol error)";
  }
}

} // namespace pact::tls
