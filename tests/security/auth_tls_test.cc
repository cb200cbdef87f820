// Authentication and TLS against the real server binary: tokens from a file
// and from the environment, roles, the open health service, the loopback
// rule without tokens, tokens kept out of the log, TLS and mutual TLS with
// certificates generated at run time, and the CLI's token and TLS flags.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "security/security_support.h"
#include "support/process.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers
using testing::RunCommand;

constexpr char kReader[] = "reader-7c1e0b8f4a2d49e3";
constexpr char kWriter[] = "writer-93f0d2a1c6b84e57";

grpc::StatusCode Kpis(v1::AnalyticsService::Stub& stub, const std::string& token) {
  v1::GetKpisResponse response;
  return stub.GetKpis(Context(token).get(), {}, &response).error_code();
}

grpc::StatusCode Seed(v1::AnalyticsService::Stub& stub, const std::string& token) {
  v1::SeedDemoDataRequest request;
  request.set_line_count(50);
  request.set_customer_count(10);
  request.set_end_date("2024-06-30");
  v1::SeedDemoDataResponse response;
  return stub.SeedDemoData(Context(token).get(), request, &response).error_code();
}

std::string HealthStatus(
    const std::string& address,
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials()) {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, creds));
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(Context().get(), {}, &response);
  if (!status.ok()) return "error " + std::to_string(status.error_code());
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

class TokenAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.File("tokens"),
              absl::StrCat("# role token\nreader ", kReader, "\nwriter ", kWriter, "\n"));
  }
  TempDir dir_;
};

TEST_F(TokenAuthTest, RolesDecideAndHealthStaysOpen) {
  ServerProcess server(LogFile{dir_.File("log")},
                       {"--auth-tokens-file", dir_.File("tokens"), "--log-level", "debug"});
  auto stub = Stub(server.address());
  EXPECT_EQ(Kpis(*stub, ""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Kpis(*stub, "not-a-configured-token-42"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Kpis(*stub, kReader), grpc::StatusCode::OK);
  EXPECT_EQ(Kpis(*stub, kWriter), grpc::StatusCode::OK);
  EXPECT_EQ(HealthStatus(server.address()), "SERVING");

  // A reader may not write, through any of the three write RPCs.
  EXPECT_EQ(Seed(*stub, kReader), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Seed(*stub, ""), grpc::StatusCode::UNAUTHENTICATED);
  const CsvFixture csv = CsvFixture::Make(10, "A");
  EXPECT_EQ(ImportCsv(*stub, csv.csv, kReader).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ImportCsv(*stub, csv.csv, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Ingest(*stub, {SimpleLine("x", "East", 1)}, kReader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(stub->GetKpis(Context(kReader).get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().orders(), 0) << "a refused write wrote something";

  // A writer may.
  EXPECT_EQ(Seed(*stub, kWriter), grpc::StatusCode::OK);
  v1::ImportCsvResponse imported;
  ASSERT_TRUE(ImportCsv(*stub, csv.csv, kWriter, &imported).ok());
  EXPECT_TRUE(imported.committed());
  EXPECT_EQ(Ingest(*stub, {SimpleLine("x", "East", 1)}, kWriter).error_code(),
            grpc::StatusCode::OK);

  server.StopWith(SIGTERM);
  const std::string log = ReadFile(dir_.File("log"));
  EXPECT_NE(log.find("UNAUTHENTICATED"), std::string::npos) << "refusals are logged";
  EXPECT_EQ(log.find(kReader), std::string::npos) << "a token leaked into the log";
  EXPECT_EQ(log.find(kWriter), std::string::npos) << "a token leaked into the log";
  EXPECT_EQ(log.find("not-a-configured-token-42"), std::string::npos);
}

TEST_F(TokenAuthTest, TokensFromTheEnvironment) {
  ServerProcess server(
      LogFile{dir_.File("log")}, {},
      {absl::StrCat("ANALYTICS_AUTH_TOKENS=reader:", kReader, ",writer:", kWriter)});
  auto stub = Stub(server.address());
  EXPECT_EQ(Kpis(*stub, ""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Kpis(*stub, kReader), grpc::StatusCode::OK);
  EXPECT_EQ(Seed(*stub, kReader), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Seed(*stub, kWriter), grpc::StatusCode::OK);
}

TEST_F(TokenAuthTest, BadTokenConfigurationStopsTheServer) {
  WriteFile(dir_.File("bad"), "reader short\n");
  WriteFile(dir_.File("empty"), "# nothing\n");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--auth-tokens-file", dir_.File("bad")},
                                             {"--auth-tokens-file", dir_.File("empty")},
                                             {"--auth-tokens-file", dir_.File("missing")}}) {
    std::vector<std::string> argv = {
        testing::ServerBinary(), "--listen", "127.0.0.1:0", "--db", ":memory:",
        "--metrics-listen",      ""};
    argv.insert(argv.end(), args.begin(), args.end());
    const testing::CommandResult result = RunCommand(argv);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(result.out.find("listening"), std::string::npos);
    EXPECT_NE(result.err.find("auth"), std::string::npos) << result.err;
  }
}

// A non-loopback IPv4 address of this machine, if it has one.
std::optional<std::string> ExternalAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* it = list; it != nullptr && !found; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    if (std::string_view(text).rfind("127.", 0) != 0) found = text;
  }
  freeifaddrs(list);
  return found;
}

TEST(NoTokensTest, WarnsAndAcceptsWritesOnlyFromLoopback) {
  const std::optional<std::string> external = ExternalAddress();
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--listen", "0.0.0.0:0"});
  const std::string port = server.address().substr(server.address().rfind(':') + 1);
  auto local = Stub("127.0.0.1:" + port);
  EXPECT_EQ(Kpis(*local, ""), grpc::StatusCode::OK);
  EXPECT_EQ(Seed(*local, ""), grpc::StatusCode::OK);
  EXPECT_NE(ReadFile(dir.File("log")).find("no auth tokens configured"), std::string::npos);
  if (!external) GTEST_SKIP() << "no non-loopback address to call from";
  auto remote = Stub(*external + ":" + port);
  EXPECT_EQ(Kpis(*remote, ""), grpc::StatusCode::OK);
  EXPECT_EQ(Seed(*remote, ""), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ImportCsv(*remote, CsvFixture::Make(3, "R").csv).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  ServerProcess open(LogFile{dir.File("log2")},
                     {"--listen", "0.0.0.0:0", "--allow-unauthenticated-writes"});
  const std::string open_port = open.address().substr(open.address().rfind(':') + 1);
  EXPECT_EQ(Seed(*Stub(*external + ":" + open_port), ""), grpc::StatusCode::OK);
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    pki_ = new TestPki(TestPki::Create(dir_->path().string()));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete dir_;
  }
  static TempDir* dir_;
  static TestPki* pki_;
};
TempDir* TlsTest::dir_ = nullptr;
TestPki* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, ServerTlsRefusesPlaintextAndWrongCa) {
  ServerProcess server(LogFile{dir_->File("tls.log")},
                       {"--tls-cert", pki_->server_cert, "--tls-key", pki_->server_key});
  EXPECT_EQ(Kpis(*Stub(server.address(), TlsCreds(pki_->ca_cert)), ""), grpc::StatusCode::OK);
  EXPECT_EQ(HealthStatus(server.address(), TlsCreds(pki_->ca_cert)), "SERVING");
  EXPECT_EQ(Kpis(*Stub(server.address()), ""), grpc::StatusCode::UNAVAILABLE) << "plaintext";
  EXPECT_EQ(Kpis(*Stub(server.address(), TlsCreds(pki_->other_ca_cert)), ""),
            grpc::StatusCode::UNAVAILABLE)
      << "a server certificate from an untrusted CA was accepted";
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheClientCa) {
  ServerProcess server(LogFile{dir_->File("mtls.log")},
                       {"--tls-cert", pki_->server_cert, "--tls-key", pki_->server_key,
                        "--tls-client-ca", pki_->ca_cert});
  EXPECT_EQ(
      Kpis(*Stub(server.address(), TlsCreds(pki_->ca_cert, pki_->client_cert, pki_->client_key)),
           ""),
      grpc::StatusCode::OK);
  EXPECT_EQ(Kpis(*Stub(server.address(), TlsCreds(pki_->ca_cert)), ""),
            grpc::StatusCode::UNAVAILABLE)
      << "no client certificate";
  EXPECT_EQ(Kpis(*Stub(server.address(),
                       TlsCreds(pki_->ca_cert, pki_->other_client_cert, pki_->other_client_key)),
                 ""),
            grpc::StatusCode::UNAVAILABLE)
      << "a client certificate from another CA";
  EXPECT_EQ(Kpis(*Stub(server.address()), ""), grpc::StatusCode::UNAVAILABLE) << "plaintext";
}

TEST_F(TlsTest, UnreadableCertificateStopsTheServer) {
  const testing::CommandResult result = RunCommand(
      {testing::ServerBinary(), "--listen", "127.0.0.1:0", "--db", ":memory:", "--metrics-listen",
       "", "--tls-cert", dir_->File("nope.pem"), "--tls-key", pki_->server_key});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("nope.pem"), std::string::npos) << result.err;
}

// A key that is not the certificate's: said so, naming both files (the old
// server only said it could not listen).
TEST_F(TlsTest, AKeyThatDoesNotMatchTheCertificateStopsTheServer) {
  const testing::CommandResult result = RunCommand(
      {testing::ServerBinary(), "--listen", "127.0.0.1:0", "--db", ":memory:", "--metrics-listen",
       "", "--tls-cert", pki_->server_cert, "--tls-key", pki_->client_key});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out.find("listening"), std::string::npos);
  EXPECT_NE(result.err.find("TLS key does not match certificate"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(pki_->client_key), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(pki_->server_cert), std::string::npos) << result.err;
}

TEST_F(TlsTest, CliTakesTokenAndTlsOptions) {
  WriteFile(dir_->File("tokens"), absl::StrCat("reader ", kReader, "\nwriter ", kWriter, "\n"));
  WriteFile(dir_->File("reader.token"), absl::StrCat(kReader, "\n"));
  WriteFile(dir_->File("writer.token"), kWriter);
  ServerProcess server(
      LogFile{dir_->File("cli.log")},
      {"--tls-cert", pki_->server_cert, "--tls-key", pki_->server_key, "--tls-client-ca",
       pki_->ca_cert, "--auth-tokens-file", dir_->File("tokens")});
  const std::vector<std::string> tls = {"--server",     server.address(), "--ca",
                                        pki_->ca_cert,  "--client-cert",  pki_->client_cert,
                                        "--client-key", pki_->client_key};
  const auto cli = [&](std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {testing::CliBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), tls.begin(), tls.end());
    return RunCommand(argv, env);
  };
  testing::CommandResult result = cli({"kpis"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("UNAUTHENTICATED"), std::string::npos) << result.err;

  result = cli({"kpis", "--token-file", dir_->File("reader.token")});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  result = cli({"kpis"}, {absl::StrCat("ANALYTICS_TOKEN=", kReader)});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  result = cli({"seed", "--lines", "20", "--customers", "5", "--token", kReader});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("PERMISSION_DENIED"), std::string::npos) << result.err;
  result = cli(
      {"seed", "--lines", "20", "--customers", "5", "--token-file", dir_->File("writer.token")});
  EXPECT_EQ(result.exit_code, 0) << result.err;

  // Without the client certificate the TLS handshake fails: no call gets through.
  result = RunCommand({testing::CliBinary(), "kpis", "--server", server.address(), "--ca",
                       pki_->ca_cert, "--token", kReader});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("UNAVAILABLE"), std::string::npos) << result.err;
  // Half a client certificate is a usage error.
  result = RunCommand({testing::CliBinary(), "kpis", "--server", server.address(), "--tls",
                       "--client-cert", pki_->client_cert});
  EXPECT_EQ(result.exit_code, 2) << result.err;
}

}  // namespace
}  // namespace analytics
