// The columnar engine's snapshot against the real server on a database file
// (query/columnar/snapshot.h): a clean stop (SIGTERM) writes it and the next
// start uses it, replaying nothing; a SIGKILL after writes beyond it leaves
// them to be replayed from the kept write log. Each start answers exactly
// as before the stop, and as a server built from the store alone
// (--engine-snapshot=false). What each start did is read from its log.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "security/security_support.h"
#include "support/files.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers
using google::protobuf::util::MessageDifferencer;

// What a dashboard asks: KPIs, a breakdown, the RFM summary.
struct Answers {
  v1::GetKpisResponse kpis;
  v1::GetBreakdownResponse regions;
  v1::GetRfmSummaryResponse rfm;
};

Answers Ask(v1::AnalyticsService::Stub& stub) {
  Answers answers;
  EXPECT_TRUE(stub.GetKpis(Context().get(), {}, &answers.kpis).ok());
  v1::GetBreakdownRequest breakdown;
  breakdown.set_dimension(v1::DIMENSION_REGION);
  EXPECT_TRUE(stub.GetBreakdown(Context().get(), breakdown, &answers.regions).ok());
  EXPECT_TRUE(stub.GetRfmSummary(Context().get(), {}, &answers.rfm).ok());
  return answers;
}

void ExpectSame(const Answers& a, const Answers& b) {
  EXPECT_TRUE(MessageDifferencer::Equals(a.kpis, b.kpis))
      << a.kpis.DebugString() << " vs " << b.kpis.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(a.regions, b.regions))
      << a.regions.DebugString() << " vs " << b.regions.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(a.rfm, b.rfm))
      << a.rfm.DebugString() << " vs " << b.rfm.DebugString();
}

std::vector<v1::OrderLine> Lines(const std::string& prefix, int count, const std::string& date) {
  std::vector<v1::OrderLine> lines;
  const std::vector<std::string> regions = {"East", "West", "North", "South"};
  for (int i = 0; i < count; ++i) {
    lines.push_back(SimpleLine(absl::StrCat(prefix, i), regions[static_cast<std::size_t>(i) % 4],
                               5 + i % 37, date));
  }
  return lines;
}

class SnapshotRestartTest : public ::testing::Test {
 protected:
  std::string Db() const { return dir_.File("analytics.db"); }
  std::vector<std::string> Args() const { return {"--db", Db()}; }
  testing::TempDir dir_;
};

TEST_F(SnapshotRestartTest, CleanStopThenKillRestartFromTheSnapshotWithTheSameAnswers) {
  const CsvFixture csv = CsvFixture::Make(20'000, "K");
  Answers before_stop;
  {
    ServerProcess server(LogFile{dir_.File("first.log")}, Args());
    auto stub = Stub(server.address());
    ASSERT_TRUE(ImportCsv(*stub, csv.csv).ok());
    ASSERT_TRUE(Ingest(*stub, Lines("a", 300, "2024-05-02")).ok());
    before_stop = Ask(*stub);
    const int status = server.StopWith(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_TRUE(std::filesystem::exists(Db() + ".engine-snapshot"));
  EXPECT_NE(ReadFile(dir_.File("first.log")).find("engine snapshot saved at stop"),
            std::string::npos);

  // 1. After the clean stop: the snapshot is used, nothing to replay.
  Answers before_kill;
  {
    ServerProcess server(LogFile{dir_.File("second.log")}, Args());
    EXPECT_NE(ReadFile(dir_.File("second.log")).find("used: 0 lines replayed after it"),
              std::string::npos)
        << ReadFile(dir_.File("second.log"));
    auto stub = Stub(server.address());
    ExpectSame(before_stop, Ask(*stub));
    // Writes the snapshot does not hold, then a kill: no snapshot at stop.
    ASSERT_TRUE(Ingest(*stub, Lines("b", 250, "2024-06-10")).ok());
    ASSERT_TRUE(Ingest(*stub, Lines("a", 40, "2024-06-11")).ok());  // replaces 40 lines
    before_kill = Ask(*stub);
    const int status = server.StopWith(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }

  // 2. After the kill: the snapshot plus the 290 lines written after it.
  {
    ServerProcess server(LogFile{dir_.File("third.log")}, Args());
    EXPECT_NE(ReadFile(dir_.File("third.log")).find("used: 290 lines replayed after it"),
              std::string::npos)
        << ReadFile(dir_.File("third.log"));
    auto stub = Stub(server.address());
    ExpectSame(before_kill, Ask(*stub));
    server.StopWith(SIGKILL);
  }

  // 3. The same answers from an engine built from the store alone.
  {
    std::vector<std::string> args = Args();
    args.push_back("--engine-snapshot=false");
    ServerProcess server(LogFile{dir_.File("fourth.log")}, args);
    EXPECT_EQ(ReadFile(dir_.File("fourth.log")).find("engine snapshot"), std::string::npos);
    auto stub = Stub(server.address());
    ExpectSame(before_kill, Ask(*stub));
  }
}

TEST_F(SnapshotRestartTest, ASigkillRightAfterABulkImportRestartsFromItsSnapshot) {
  // A write of 100,000 lines (the engine's snapshot_after_lines) puts its
  // snapshot in place before the RPC answers: killed right after, the server
  // restarts from it with nothing to replay, instead of rebuilding the table
  // from the store (seconds at a million lines).
  const CsvFixture csv = CsvFixture::Make(100'000, "B");
  Answers before_kill;
  {
    ServerProcess server(LogFile{dir_.File("first.log")}, Args());
    auto stub = Stub(server.address());
    ASSERT_TRUE(ImportCsv(*stub, csv.csv).ok());
    before_kill = Ask(*stub);
    const int status = server.StopWith(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  EXPECT_NE(ReadFile(dir_.File("first.log")).find("written by the write"), std::string::npos)
      << ReadFile(dir_.File("first.log"));
  Answers after_kill;
  {
    ServerProcess server(LogFile{dir_.File("second.log")}, Args());
    EXPECT_NE(ReadFile(dir_.File("second.log")).find("used: 0 lines replayed after it"),
              std::string::npos)
        << ReadFile(dir_.File("second.log"));
    auto stub = Stub(server.address());
    after_kill = Ask(*stub);
    ExpectSame(before_kill, after_kill);
    server.StopWith(SIGKILL);
  }
  std::vector<std::string> args = Args();
  args.push_back("--engine-snapshot=false");
  ServerProcess server(LogFile{dir_.File("third.log")}, args);
  auto stub = Stub(server.address());
  ExpectSame(after_kill, Ask(*stub));
}

TEST_F(SnapshotRestartTest, ADamagedSnapshotIsIgnoredAndTheServerStartsFromTheStore) {
  Answers before_stop;
  {
    ServerProcess server(LogFile{dir_.File("first.log")}, Args());
    auto stub = Stub(server.address());
    ASSERT_TRUE(Ingest(*stub, Lines("a", 500, "2024-05-02")).ok());
    before_stop = Ask(*stub);
    server.StopWith(SIGTERM);
  }
  const std::string snapshot = Db() + ".engine-snapshot";
  ASSERT_TRUE(std::filesystem::exists(snapshot));
  std::filesystem::resize_file(snapshot, std::filesystem::file_size(snapshot) / 2);
  ServerProcess server(LogFile{dir_.File("second.log")}, Args());
  const std::string log = ReadFile(dir_.File("second.log"));
  EXPECT_NE(log.find("not used (it is truncated"), std::string::npos) << log;
  auto stub = Stub(server.address());
  ExpectSame(before_stop, Ask(*stub));
}

}  // namespace
}  // namespace analytics
