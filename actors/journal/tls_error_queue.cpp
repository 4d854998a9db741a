/// Keeps one failed TLS connection from closing the healthy ones between
/// replicas (https raft endpoints, caf::openssl).
///
/// OpenSSL keeps a per-thread error queue, and SSL_get_error() reports
/// SSL_ERROR_SSL (or SSL_ERROR_SYSCALL) whenever that queue is not empty,
/// whatever the session it is asked about (SSL_get_error(3): "the current
/// thread's error queue must be empty before the TLS/SSL I/O operation is
/// attempted"). caf::openssl 0.17.6 drains the queue after a failure only
/// inside its log statements (session.cpp: `CAF_LOG_INFO(... <<
/// get_ssl_error())`), and Debian's libcaf is built with CAF_LOG_LEVEL_QUIET,
/// so the drain is compiled out. The errors of one failed session (a replica
/// whose certificate comes from another CA, a peer that closed without
/// close_notify, a port scanner) stay on the multiplexer thread, and the next
/// read of any other session that merely has to wait for more bytes
/// (SSL_ERROR_WANT_READ) is taken for a fatal error: CAF closes a healthy
/// replica link. Measured in e2e_cluster_tls: 49 links dropped in 4 s while a
/// foreign replica dialled, a leader after 10 s instead of 1 s.
///
/// pact-journal therefore defines SSL_get_error itself. The dynamic linker
/// binds libcaf_openssl's calls to the executable's definition first
/// (symbol interposition); it answers what OpenSSL's own answers and, after
/// a fatal answer to a caller in libcaf_openssl, empties the thread's queue:
/// what CAF itself does when its logging is compiled in. Other callers
/// (libcurl) keep the queue, which they read for their own messages.

#include <dlfcn.h>

#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

using get_error_fn = int (*)(const SSL*, int);

get_error_fn openssl_get_error() {
  // The next definition after this executable's: libssl's.
  static auto fn
    = reinterpret_cast<get_error_fn>(dlsym(RTLD_NEXT, "SSL_get_error"));
  return fn;
}

/// Whether the code at `return_address` lies in libcaf_openssl.
bool called_from_caf_openssl(void* return_address) {
  Dl_info info{};
  return dladdr(return_address, &info) != 0 && info.dli_fname != nullptr
         && std::strstr(info.dli_fname, "libcaf_openssl") != nullptr;
}

} // namespace

extern "C" __attribute__((visibility("default"))) int
SSL_get_error(const SSL* ssl, int ret) {
  auto result = openssl_get_error()(ssl, ret);
  bool fatal = result == SSL_ERROR_SSL || result == SSL_ERROR_SYSCALL
               || result == SSL_ERROR_ZERO_RETURN;
  if (fatal && called_from_caf_openssl(__builtin_return_address(0)))
    ERR_clear_error();
  return result;
}
