#include "tests/contract/contract_server.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

namespace pact::contract {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in)
    return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

} // namespace

std::string contract_server::start(const server_options& options) {
  auto colon = options.listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return "--listen wants HOST:PORT, not " + options.listen;
  auto err = gate_.open(options.gate);
  if (!err.empty())
    return err;
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls_cert.empty() != options.tls_key.empty())
    return "--tls-cert and --tls-key go together";
  if (options.tls_cert.empty()) {
    creds = grpc::InsecureServerCredentials();
  } else {
    grpc::SslServerCredentialsOptions ssl;
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    if (!read_file(options.tls_cert, pair.cert_chain))
      return "cannot read " + options.tls_cert;
    if (!read_file(options.tls_key, pair.private_key))
      return "cannot read " + options.tls_key;
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, creds, &port_);
  builder.RegisterService(&nodes_);
  builder.RegisterService(&allocations_);
  builder.RegisterService(&admin_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0)
    return "cannot listen on " + options.listen;
  address_ = options.listen.substr(0, colon) + ":" + std::to_string(port_);
  return "";
}

void contract_server::shutdown(int grace_ms) {
  if (server_)
    server_->Shutdown(std::chrono::system_clock::now()
                      + std::chrono::milliseconds(grace_ms));
}

void contract_server::wait() {
  if (server_)
    server_->Wait();
}

} // namespace pact::contract
