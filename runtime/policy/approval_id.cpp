#include "runtime/policy/approval_id.hpp"

#include <algorithm>

#include <openssl/rand.h>

#include "runtime/common/assert.hpp"

namespace pact::policy {

namespace {

/// Lower-case letters and digits without 0 and 1 (read as o and l).
constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz23456789";
constexpr unsigned symbols = sizeof(alphabet) - 1;
constexpr size_t id_chars = 8;

} // namespace

std::string new_approval_id() {
  std::string out = "ap-";
  while (out.size() < 3 + id_chars) {
    unsigned char buf[16];
    PACT_ASSERT(RAND_bytes(buf, sizeof buf) == 1,
                "the system's random source is available");
    // Rejection sampling: bytes at or above the largest multiple of 34
    // would favour the first symbols.
    for (unsigned char b : buf)
      if (b < (256 / symbols) * symbols && out.size() < 3 + id_chars)
        out.push_back(alphabet[b % symbols]);
  }
  return out;
}

bool is_approval_id(const std::string& id) {
  if (id.size() != 3 + id_chars || id.compare(0, 3, "ap-") != 0)
    return false;
  return std::all_of(id.begin() + 3, id.end(), [](char c) {
    return std::find(alphabet, alphabet + symbols, c) != alphabet + symbols;
  });
}

} // namespace pact::policy
