#include "runtime/replica/state_machine.hpp"

#include <openssl/sha.h>

namespace pact::replica {

namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_u64(const std::string& in, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

} // namespace

std::string digest_machine::apply(uint64_t index, const std::string& command) {
  std::string input = chain_;
  put_u64(input, index);
  input += command;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         md);
  chain_.assign(reinterpret_cast<const char*>(md), sizeof(md));
  applied_ = index;
  ++commands_;
  return {};
}

void digest_machine::skip(uint64_t index) {
  applied_ = index;
}

std::string digest_machine::snapshot() const {
  std::string out;
  put_u64(out, applied_);
  put_u64(out, commands_);
  return out + chain_;
}

status digest_machine::restore(const std::string& image) {
  if (image.empty()) {
    *this = digest_machine{};
    return {};
  }
  if (image.size() != 16 + 32)
    return make_error("state machine snapshot has "
                      + std::to_string(image.size()) + " bytes, expected 48");
  applied_ = get_u64(image, 0);
  commands_ = get_u64(image, 8);
  chain_ = image.substr(16);
  return {};
}

std::string digest_machine::digest() const {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : chain_) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 0xf]);
  }
  return out;
}

} // namespace pact::replica
