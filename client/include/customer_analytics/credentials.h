// How a client proves who it is and checks whom it talks to.
//
// The service takes a bearer token per call (ClientOptions::bearer_token) and
// may serve TLS, optionally requiring a client certificate (mutual TLS).
// These helpers build the matching grpc::ChannelCredentials from PEM files
// and read a token file, so the CLI, the example consumer and other services
// configure security the same way. Files are read once, here; errors name
// the file, never a token.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace customer_analytics {

struct TlsFiles {
  // PEM CA bundle that signed the server's certificate; empty: the system's
  // default roots.
  std::string ca_file;
  // PEM client certificate chain and key, for servers that require mutual
  // TLS; both or neither.
  std::string client_cert_file;
  std::string client_key_file;
};

// TLS channel credentials from `files`. InvalidArgument when only one of the
// client certificate and key is given; FailedPrecondition when a file cannot
// be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(const TlsFiles& files);

// The token in `path`: its content with surrounding whitespace removed (a
// Kubernetes Secret mounted as a file often ends in a newline).
// FailedPrecondition when unreadable, InvalidArgument when empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace customer_analytics
