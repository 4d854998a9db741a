#pragma once

/// A deliberately small HTTP/1.1 request parser and response writer for the
/// journal's metrics and health endpoint (GET /metrics, GET /health). Not a
/// general web server: one request per connection, GET/HEAD only, bounded
/// header size, no bodies.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pact::http {

/// Largest request head accepted (request line plus headers).
inline constexpr size_t max_head_bytes = 8192;

struct request {
  std::string method;
  /// Path without the query string.
  std::string path;
  std::string query;
};

enum class parse_status { incomplete, complete, bad };

struct parse_result {
  parse_status status = parse_status::incomplete;
  request req;
  /// For `bad`: why, for the 400 body.
  std::string error;
};

/// Parses the request head accumulated so far in `buffer`.
parse_result parse_request(std::string_view buffer);

/// Whether `token` may be sent as `Authorization: Bearer TOKEN`: only RFC
/// 6750 §2.1 b64token characters (letters, digits, - . _ ~ + / =). Anything
/// else (a trailing newline from a secrets file) would break or inject into
/// the header; gRPC aborts the process on such metadata.
bool bearer_token_ok(std::string_view token);

/// A complete HTTP/1.1 response with Content-Length and Connection: close.
std::string response(int status, std::string_view content_type,
                     std::string_view body, bool head_only = false);

} // namespace pact::http
