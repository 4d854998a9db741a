// pact-enroll-probe: sends one certificate signing request to a journal
// gateway, as an agent would, with a CSR the test made (so that the same
// CSR can be sent twice: a replay). Test-only: built beside the binaries,
// never installed.
//
//   pact-enroll-probe URL CA_BUNDLE NODE HARDWARE_ID CSR_FILE [TOKEN_FILE]
//
// With TOKEN_FILE the one-time enrollment token is read from it (a first
// enrollment); without, PACT_TOKEN is the node's credential (a renewal).
// Prints the certificate; exits 0 when one was issued, else with the
// failure's exit code and message on stderr.

#include <iostream>

#include "actors/client/enroll_client.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/common/files.hpp"

using namespace pact;

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::cerr << "usage: pact-enroll-probe URL CA_BUNDLE NODE HARDWARE_ID "
                 "CSR_FILE [TOKEN_FILE]\n";
    return 1;
  }
  auto target = parse_endpoint(argv[1], "URL");
  auto csr = files::read_all(argv[5]);
  if (!target || !csr) {
    std::cerr << "pact-enroll-probe: bad URL or unreadable CSR\n";
    return 1;
  }
  protocol::EnrollRequest req;
  req.set_node(argv[3]);
  req.set_hardware_id(argv[4]);
  req.set_csr_pem(*csr);
  std::string token;
  if (argc == 7) {
    auto t = files::read_all(argv[6]);
    if (!t) {
      std::cerr << "pact-enroll-probe: unreadable token file\n";
      return 1;
    }
    auto text = *t;
    while (!text.empty()
           && std::isspace(static_cast<unsigned char>(text.back())))
      text.pop_back();
    req.set_enroll_token(text);
  } else if (const char* t = std::getenv("PACT_TOKEN")) {
    token = t;
  }
  client::options opts{
    {*target}, "journal", token, std::chrono::milliseconds(10000)};
  opts.ca_bundle = argv[2];
  auto reply = client::request_certificate(std::move(opts), std::move(req));
  if (!reply) {
    std::cerr << "pact-enroll-probe: " << reply.err().message << "\n";
    return to_int(reply.err().code);
  }
  std::cout << reply->cert_pem();
  return 0;
}
