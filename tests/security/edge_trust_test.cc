// Trust at the edges (issue 17), against the real server: a seed is bounded
// by --max-seed-lines and the memory budget, stops at its deadline and on
// SIGTERM without writing anything; a damaged database file stops the
// server at start; page tokens are sealed (an edited offset is refused) yet
// shared by equal requests however a client spells them, and by replicas
// that share --page-token-key; the default demo seed is one value, so
// seeding at start-up and seeding again later does not double the data.
// The checkpointer keeps the write-ahead log short.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "security/security_support.h"
#include "store/checkpointer.h"
#include "store/order_store.h"
#include "support/process.h"

extern char** environ;

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers

v1::SeedDemoDataRequest SeedRequest(std::int64_t lines, std::int64_t customers, int seed = 0) {
  v1::SeedDemoDataRequest request;
  request.set_line_count(lines);
  request.set_customer_count(customers);
  request.set_seed(seed);
  request.set_end_date("2024-06-30");
  return request;
}

// --- Seed size ------------------------------------------------------------

TEST(SeedLimitsTest, ASeedOverTheConfiguredMaximumIsRefused) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {"--max-seed-lines", "100"});
  auto stub = Stub(server.address());
  v1::SeedDemoDataResponse response;
  grpc::Status status = stub->SeedDemoData(Context().get(), SeedRequest(101, 10), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("line_count: at most 100 lines", 0), 0)
      << status.error_message();
  status = stub->SeedDemoData(Context().get(), SeedRequest(100, 10), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.total_lines(), 100);
}

TEST(SeedLimitsTest, TheMemoryBudgetCapsASeed) {
  TempDir dir;
  // 1 MiB holds a few thousand staged lines, far fewer than the flag's cap.
  ServerProcess server(LogFile{dir.File("log")}, {"--memory-budget-mb", "1"});
  auto stub = Stub(server.address());
  v1::SeedDemoDataResponse response;
  const grpc::Status status =
      stub->SeedDemoData(Context().get(), SeedRequest(100'000, 1000), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("line_count: at most ", 0), 0) << status.error_message();
}

// --- Seed cancellation ----------------------------------------------------

// A seed that cannot finish before its deadline: the client sees
// DEADLINE_EXCEEDED, and the server stops generating, rolls back and frees
// the write gate (the old server went on for seconds, holding the gate, and
// committed the whole seed nobody was waiting for).
TEST(SeedCancellationTest, ASeedPastItsDeadlineWritesNothing) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")}, {});
  auto stub = Stub(server.address());
  {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    v1::SeedDemoDataResponse response;
    const grpc::Status status =
        stub->SeedDemoData(context.get(), SeedRequest(1'000'000, 100'000), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // The next write is admitted (it would wait for a seed still running) and
  // finds only its own lines.
  v1::SeedDemoDataResponse response;
  const grpc::Status status =
      stub->SeedDemoData(Context("", 120).get(), SeedRequest(10, 5, 9), &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(response.total_lines(), 10) << "the expired seed wrote lines";
}

// SIGTERM while a large seed runs: the seed stops and rolls back at once,
// its client gets UNAVAILABLE, the process exits 0 (the old server waited
// for the seed, past the grace period, and committed it).
TEST(SeedCancellationTest, SigtermStopsAWriteInFlightAndRollsItBack) {
  TempDir dir;
  const std::string db = dir.File("seed.db");
  ServerProcess server(LogFile{dir.File("log")}, {"--db", db});
  auto stub = Stub(server.address());
  std::promise<grpc::Status> big_done;
  std::thread big([&] {
    v1::SeedDemoDataResponse response;
    big_done.set_value(
        stub->SeedDemoData(Context("", 600).get(), SeedRequest(1'000'000, 100'000), &response));
  });
  // A one-line probe seed with a short deadline fails (ABORTED or
  // DEADLINE_EXCEEDED: the gate never waits past a call's deadline) once
  // the large seed holds the write gate; before that it upserts its line.
  std::future<grpc::Status> big_status = big_done.get_future();
  bool gate_held = false;
  while (!gate_held && big_status.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    v1::SeedDemoDataResponse probe;
    const grpc::StatusCode code =
        stub->SeedDemoData(context.get(), SeedRequest(1, 1, 77), &probe).error_code();
    gate_held = code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::DEADLINE_EXCEEDED;
  }
  EXPECT_TRUE(gate_held) << "the large seed finished before it could be interrupted";
  const int wait_status = server.StopWith(SIGTERM);
  big.join();
  const grpc::Status status = big_status.get();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;

  absl::StatusOr<std::unique_ptr<OrderStore>> store = OrderStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::int64_t> lines = (*store)->CountLines();
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_LE(*lines, 1) << "only the probe's line may be stored";
}

// --- Disk -------------------------------------------------------------------

// The store's connection runs with automatic checkpoints off and relies on
// the Checkpointer; a Checkpointer whose connection never learnt that the
// file is in WAL mode checkpoints nothing and the log grows without bound.
// With a writer still open (so SQLite's own checkpoint on the last close
// cannot hide it), stopping the Checkpointer must leave an empty log and
// the data in the database file.
TEST(DiskBoundsTest, TheCheckpointerEmptiesTheLog) {
  TempDir dir;
  const std::string db = dir.File("wal.db");
  absl::StatusOr<sqlite::Connection> writer = sqlite::Connection::Open(db);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer
                  ->Execute("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; "
                            "CREATE TABLE t (x BLOB)")
                  .ok());
  absl::StatusOr<std::unique_ptr<Checkpointer>> checkpointer = Checkpointer::Start(db);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  ASSERT_TRUE(writer
                  ->Execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 2000) INSERT INTO t SELECT randomblob(2000) FROM n")
                  .ok());
  ASSERT_GT(std::filesystem::file_size(db + "-wal"), 2'000'000u);
  (*checkpointer)->Notify();
  checkpointer->reset();  // joins its thread after a final TRUNCATE checkpoint
  EXPECT_EQ(std::filesystem::file_size(db + "-wal"), 0u);
  EXPECT_GT(std::filesystem::file_size(db), 2'000'000u);
}

// --- Start-up integrity ----------------------------------------------------

struct StartOutcome {
  bool served = false;  // printed "listening on" (then stopped by the test)
  int exit_code = -1;
  std::string log;
};

// Starts the server with `args` (and `env` added to the environment) and
// reports whether it came up; never hangs on a server that does (the old
// one served a damaged file, and ignored settings it did not know).
StartOutcome TryStart(const TempDir& dir, const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {testing::ServerBinary(), "--listen", "127.0.0.1:0",
                                   "--metrics-listen", ""};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env;
  for (char** e = environ; *e != nullptr; ++e) full_env.emplace_back(*e);
  full_env.insert(full_env.end(), env.begin(), env.end());
  std::vector<char*> c_env;
  for (std::string& e : full_env) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  const std::string log_path = dir.File("start.log");
  int out_pipe[2];
  EXPECT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(log_fd);
  StartOutcome outcome;
  if (rc != 0) {
    close(out_pipe[0]);
    ADD_FAILURE() << "cannot start the server";
    return outcome;
  }
  std::string line;
  char c = 0;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out_pipe[0]);
  outcome.served = line.rfind("listening on ", 0) == 0;
  if (outcome.served) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.log = ReadFile(log_path);
  return outcome;
}

class StartupIntegrityTest : public ::testing::Test {
 protected:
  // A real database file of a few hundred pages: lines written row by row
  // (the SQL engine), so its pages are table and index B-tree pages; the
  // clean stop checkpoints everything into the file.
  void SetUp() override {
    db_ = dir_.File("damaged.db");
    ServerProcess server(LogFile{dir_.File("seed.log")}, {"--db", db_, "--engine", "sql"});
    auto stub = Stub(server.address());
    v1::SeedDemoDataResponse response;
    ASSERT_TRUE(
        stub->SeedDemoData(Context("", 120).get(), SeedRequest(20'000, 2000), &response).ok());
    ASSERT_EQ(server.StopWith(SIGTERM), 0);
    page_size_ = 16384;
    pages_ = static_cast<std::int64_t>(std::filesystem::file_size(db_)) / page_size_;
    ASSERT_GT(pages_, 20) << "the database is too small to damage a page in its middle";
    StartOutcome clean = TryStart(dir_, {"--db", db_});
    ASSERT_TRUE(clean.served) << "an intact file must start: " << clean.log;
  }

  // Rewrites `count` bytes at `offset` of the file with `edit(old byte)`.
  void Edit(std::int64_t offset, int count, const std::function<char(char)>& edit) {
    std::fstream file(db_, std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes(count, '\0');
    file.seekg(offset);
    file.read(bytes.data(), count);
    for (char& b : bytes) b = edit(b);
    file.seekp(offset);
    file.write(bytes.data(), count);
    ASSERT_TRUE(file.good());
  }

  void ExpectRefusedToStart() {
    const StartOutcome outcome = TryStart(dir_, {"--db", db_});
    EXPECT_FALSE(outcome.served) << "a damaged database was served";
    EXPECT_NE(outcome.exit_code, 0);
    EXPECT_NE(outcome.log.find(db_), std::string::npos) << outcome.log;
    EXPECT_NE(outcome.log.find("damaged"), std::string::npos) << outcome.log;
    EXPECT_NE(outcome.log.find("refusing to start"), std::string::npos) << outcome.log;
  }

  TempDir dir_;
  std::string db_;
  std::int64_t page_size_ = 0;
  std::int64_t pages_ = 0;
};

TEST_F(StartupIntegrityTest, SixtyFourFlippedBytesInATablePageStopTheServer) {
  // The page header and cell pointers of a page in the middle of the file.
  Edit((pages_ / 2) * page_size_, 64, [](char b) { return static_cast<char>(b ^ 0xff); });
  ExpectRefusedToStart();
}

TEST_F(StartupIntegrityTest, AZeroedPageStopsTheServer) {
  Edit((pages_ / 2 + 1) * page_size_, static_cast<int>(page_size_), [](char) { return '\0'; });
  ExpectRefusedToStart();
}

// The store sums its lines' magnitudes beside the engine's load
// (OrderStoreOptions::bound_in_background); a database already past the
// bound must still stop the server before it serves, naming the file.
TEST(StartupBoundTest, ADatabasePastTheMagnitudeBoundStopsTheServer) {
  TempDir dir;
  const std::string db = dir.File("past-bound.db");
  {
    std::unique_ptr<OrderStore> store = *OrderStore::Open(db);
    // Ten lines of 10^12 units each, as a version without the bound
    // accepted them: |sales| totals 10^19 micro-units, past INT64_MAX.
    ASSERT_TRUE(store
                    ->WithConnection([](sqlite::Connection& c) {
                      for (int i = 0; i < 10; ++i) {
                        if (absl::Status s = c.Execute(absl::StrCat(
                                "INSERT INTO order_lines (line_key, order_id, order_date, "
                                "customer_id, sales) VALUES ('k",
                                i, "', 'O', 19000, 'C', 1000000000000000000)"));
                            !s.ok()) {
                          return s;
                        }
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }
  const StartOutcome outcome = TryStart(dir, {"--db", db});
  EXPECT_FALSE(outcome.served) << "a database past the bound was served";
  EXPECT_EQ(outcome.exit_code, 1) << outcome.log;
  EXPECT_NE(outcome.log.find(db), std::string::npos) << outcome.log;
  EXPECT_NE(outcome.log.find("|sales|"), std::string::npos) << outcome.log;
}

// --- Page tokens ------------------------------------------------------------

class PageTokenTest : public ::testing::Test {
 protected:
  static v1::ListCustomersResponse List(v1::AnalyticsService::Stub& stub,
                                        v1::ListCustomersRequest request, grpc::Status* status) {
    v1::ListCustomersResponse response;
    *status = stub.ListCustomers(Context().get(), request, &response);
    return response;
  }
  static void Seed(v1::AnalyticsService::Stub& stub) {
    v1::SeedDemoDataResponse response;
    ASSERT_TRUE(stub.SeedDemoData(Context().get(), SeedRequest(1500, 100), &response).ok());
  }
  TempDir dir_;
};

TEST_F(PageTokenTest, AnEditedOffsetIsRefused) {
  ServerProcess server(LogFile{dir_.File("log")}, {});
  auto stub = Stub(server.address());
  Seed(*stub);
  v1::ListCustomersRequest request;
  request.set_page_size(5);
  grpc::Status status;
  const v1::ListCustomersResponse first = List(*stub, request, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(first.next_page_token().empty());

  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(first.next_page_token(), &raw));
  ASSERT_GT(raw.size(), 2u);
  for (const int delta : {1, 2, 50}) {
    std::string edited = raw;
    edited[1] = static_cast<char>(edited[1] + delta);  // the offset's low byte
    request.set_page_token(absl::WebSafeBase64Escape(edited));
    List(*stub, request, &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "offset + " << delta;
    EXPECT_EQ(status.error_message().rfind("page_token: ", 0), 0) << status.error_message();
  }
  request.set_page_token(first.next_page_token());
  const v1::ListCustomersResponse second = List(*stub, request, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(second.customers_size(), 5);
  EXPECT_NE(second.customers(0).customer_id(), first.customers(0).customer_id());
}

// The CLI sends empty filter and rfm messages; a JSON client omits them, may
// spell order_by in capitals or leave it empty, and may state a default
// threshold: the same query, so the same tokens.
TEST_F(PageTokenTest, EqualRequestsFromDifferentClientsShareTokens) {
  ServerProcess server(LogFile{dir_.File("log")}, {});
  auto stub = Stub(server.address());
  Seed(*stub);
  v1::ListCustomersRequest cli_style;
  cli_style.mutable_filter();
  cli_style.mutable_rfm();
  cli_style.set_tier(v1::TIER_GOLD);
  cli_style.set_order_by("monetary desc");
  cli_style.set_page_size(2);
  v1::ListCustomersRequest json_style;
  json_style.set_tier(v1::TIER_GOLD);
  json_style.set_order_by("MONETARY  DESC");
  json_style.mutable_rfm()->mutable_thresholds()->set_gold_min_frequency(5);  // the default
  json_style.set_page_size(3);
  v1::ListCustomersRequest bare;
  bare.set_tier(v1::TIER_GOLD);
  bare.set_page_size(4);

  grpc::Status status;
  v1::ListCustomersRequest everyone = bare;
  everyone.set_page_size(20);
  const v1::ListCustomersResponse all = List(*stub, everyone, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(all.customers_size(), 3);
  const v1::ListCustomersResponse from_cli = List(*stub, cli_style, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(from_cli.next_page_token().empty());
  for (v1::ListCustomersRequest* other : {&json_style, &bare}) {
    other->set_page_token(from_cli.next_page_token());
    const v1::ListCustomersResponse page = List(*stub, *other, &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_GT(page.customers_size(), 0);
    // The page starts where the first one ended.
    EXPECT_EQ(page.customers(0).customer_id(), all.customers(2).customer_id());
  }
  json_style.clear_page_token();
  const v1::ListCustomersResponse from_json = List(*stub, json_style, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  cli_style.set_page_token(from_json.next_page_token());
  List(*stub, cli_style, &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // A different query is still told apart.
  cli_style.set_order_by("frequency desc");
  List(*stub, cli_style, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Replicas behind one address share ANALYTICS_PAGE_TOKEN_KEY: a token from
// one is good on the other; a server with another key refuses it.
TEST_F(PageTokenTest, ReplicasSharingTheKeyShareTokens) {
  const std::string key = "ANALYTICS_PAGE_TOKEN_KEY=replica-secret-7f3a9c1e5b";
  ServerProcess first(LogFile{dir_.File("first.log")}, {}, {key});
  ServerProcess second(LogFile{dir_.File("second.log")}, {}, {key});
  ServerProcess stranger(LogFile{dir_.File("stranger.log")}, {},
                         {"ANALYTICS_PAGE_TOKEN_KEY=another-secret-0123456789"});
  auto first_stub = Stub(first.address());
  auto second_stub = Stub(second.address());
  auto stranger_stub = Stub(stranger.address());
  for (auto* stub : {first_stub.get(), second_stub.get(), stranger_stub.get()}) Seed(*stub);
  v1::ListCustomersRequest request;
  request.set_page_size(5);
  grpc::Status status;
  const v1::ListCustomersResponse page = List(*first_stub, request, &status);
  ASSERT_TRUE(status.ok());
  request.set_page_token(page.next_page_token());
  List(*second_stub, request, &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  List(*stranger_stub, request, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("page_token: ", 0), 0) << status.error_message();
}

TEST_F(PageTokenTest, AShortKeyStopsTheServer) {
  const StartOutcome outcome =
      TryStart(dir_, {"--db", ":memory:"}, {"ANALYTICS_PAGE_TOKEN_KEY=short"});
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.log;
  EXPECT_NE(outcome.log.find("ANALYTICS_PAGE_TOKEN_KEY"), std::string::npos) << outcome.log;
}

// --- Tokens ------------------------------------------------------------------

// One token listed as reader and as writer: which role was meant cannot be
// guessed (the old server let the writer role win silently), so the server
// refuses to start and names the lines; the same across file and environment.
TEST(TokenRolesTest, ATokenWithTwoRolesStopsTheServer) {
  TempDir dir;
  const std::string reader = "reader-7c1e0b8f4a2d49e3";
  const std::string writer = "writer-93f0d2a1c6b84e57";
  WriteFile(dir.File("both"), absl::StrCat("# tokens\nreader ", reader, "\nwriter ", writer,
                                           "\nwriter ", reader, "\n"));
  StartOutcome outcome =
      TryStart(dir, {"--db", ":memory:", "--auth-tokens-file", dir.File("both")});
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.exit_code, 1) << outcome.log;
  EXPECT_NE(outcome.log.find(dir.File("both")), std::string::npos) << outcome.log;
  EXPECT_NE(outcome.log.find("line 4"), std::string::npos) << outcome.log;
  EXPECT_NE(outcome.log.find("line 2"), std::string::npos) << outcome.log;
  EXPECT_NE(outcome.log.find("another role"), std::string::npos) << outcome.log;
  EXPECT_EQ(outcome.log.find(reader), std::string::npos) << "the token itself is never logged";

  WriteFile(dir.File("reader"), absl::StrCat("reader ", reader, "\n"));
  outcome = TryStart(dir, {"--db", ":memory:", "--auth-tokens-file", dir.File("reader")},
                     {absl::StrCat("ANALYTICS_AUTH_TOKENS=writer:", writer, ",writer:", reader)});
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.exit_code, 1) << outcome.log;
  EXPECT_NE(outcome.log.find("ANALYTICS_AUTH_TOKENS: token entry 2"), std::string::npos)
      << outcome.log;
  EXPECT_EQ(outcome.log.find(reader), std::string::npos) << "the token itself is never logged";
}

// --- One default demo seed --------------------------------------------------

// `make run` seeds an empty store at start; `analytics-cli seed` and
// SeedDemoData {} afterwards must update those lines, not add 1,500 more
// (the start-up seed used 42 and the others 0).
TEST(DemoSeedDefaultTest, SeedingAgainWithDefaultsDoesNotDoubleTheData) {
  TempDir dir;
  ServerProcess server(LogFile{dir.File("log")},
                       {"--db", dir.File("demo.db"), "--seed-demo-if-empty"});
  auto stub = Stub(server.address());
  v1::SeedDemoDataResponse response;
  const grpc::Status status = stub->SeedDemoData(Context().get(), {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.inserted(), 0);
  EXPECT_EQ(response.updated(), 1500);
  EXPECT_EQ(response.total_lines(), 1500);

  const testing::CommandResult cli =
      testing::RunCommand({testing::CliBinary(), "seed", "--server", server.address(), "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("\"inserted\":\"0\""), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("\"totalLines\":\"1500\""), std::string::npos) << cli.out;
}

}  // namespace
}  // namespace analytics
