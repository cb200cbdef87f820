// Many write streams at once, cut short at random points: the server must
// survive gRPC's memory pressure and never leave half a write behind.
//
// Workers on connections of their own run ImportCsv and IngestTransactions
// streams of large messages side by side; each stream, by a seeded draw,
// completes, is cancelled by its client after some messages, runs into its
// deadline mid-stream, or ends without a message marked last. Together they
// keep well over the server's gRPC memory quota (64 MiB) in flight, so gRPC
// runs its memory reclaimer while the reactors read. The server crashed here
// (a null ExecCtx in ExecCtx::Run on a nexting_thread: the reactor dropped
// the last reference to a received slice on a gRPC callback thread,
// api/raw_message.h); it must instead answer every stream with an expected
// status, stay up, and hold either none or all of each stream's lines.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "security/security_support.h"

namespace analytics {
namespace {

using namespace security_testing;  // NOLINT: test helpers

// How a stream ends.
enum class Ending { kComplete, kCancel, kDeadline, kNoLast };

// A channel on a connection of its own: gRPC would otherwise share one
// connection (one transport, one memory allocator) between the workers.
std::unique_ptr<v1::AnalyticsService::Stub> OwnConnection(const std::string& address, int worker) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("analytics.test.worker", worker);  // distinct args: no shared subchannel
  args.SetMaxSendMessageSize(-1);
  return v1::AnalyticsService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// Statuses seen, by ending, for the failure message.
class Outcomes {
 public:
  void Add(Ending ending, const grpc::Status& status, bool expected) {
    std::lock_guard lock(mutex_);
    ++counts_[absl::StrCat(static_cast<int>(ending), "/", status.error_code())];
    if (!expected && unexpected_.size() < 10) {
      unexpected_.push_back(absl::StrCat("ending ", static_cast<int>(ending), ": code ",
                                         status.error_code(), " ", status.error_message()));
    }
    if (!expected) ++unexpected_count_;
  }
  int unexpected() const { return unexpected_count_; }
  std::string Summary() {
    std::lock_guard lock(mutex_);
    std::string out = "ending/code counts:";
    for (const auto& [key, count] : counts_) absl::StrAppend(&out, " ", key, "=", count);
    for (const std::string& u : unexpected_) absl::StrAppend(&out, "\n", u);
    return out;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, int> counts_;
  std::vector<std::string> unexpected_;
  std::atomic<int> unexpected_count_{0};
};

bool Expected(Ending ending, const grpc::Status& status) {
  switch (ending) {
    case Ending::kComplete:
      return status.ok();
    case Ending::kCancel:
      // The commit can win the race with a cancel sent after the last
      // message (write_stream.h); any other outcome is CANCELLED.
      return status.error_code() == grpc::StatusCode::CANCELLED || status.ok();
    case Ending::kDeadline:
      return status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED || status.ok();
    case Ending::kNoLast:
      return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
  }
  return false;
}

struct Plan {
  Ending ending = Ending::kComplete;
  std::size_t stop_after = 0;  // messages sent before a cancel or the end without last
  std::chrono::milliseconds deadline{0};
};

Plan Draw(std::mt19937& random, std::size_t messages) {
  Plan plan;
  plan.ending = static_cast<Ending>(std::uniform_int_distribution<int>(0, 3)(random));
  // Before the message marked last (at least one message sent).
  plan.stop_after = std::uniform_int_distribution<std::size_t>(1, messages - 1)(random);
  plan.deadline = std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 1500)(random));
  return plan;
}

// Sets the context up for `plan` (the deadline is the client's own: the
// stream meets it wherever it has got to).
void Prepare(grpc::ClientContext& context, const Plan& plan) {
  context.set_deadline(std::chrono::system_clock::now() + (plan.ending == Ending::kDeadline
                                                               ? plan.deadline
                                                               : std::chrono::minutes(5)));
}

template <typename Request, typename Writer>
grpc::Status Stream(grpc::ClientContext& context, Writer& writer,
                    const std::vector<const Request*>& messages, const Plan& plan) {
  bool half_closed = false;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (plan.ending == Ending::kNoLast && i == plan.stop_after) break;
    if (plan.ending == Ending::kCancel && i == plan.stop_after) {
      context.TryCancel();
      return writer.Finish();
    }
    // The last message (marked last) goes with the half-close.
    half_closed = i + 1 == messages.size();
    const bool sent = half_closed
                          ? writer.Write(*messages[i], grpc::WriteOptions().set_last_message())
                          : writer.Write(*messages[i]);
    if (!sent) break;  // the server (or the deadline) ended the call
  }
  if (!half_closed) writer.WritesDone();
  return writer.Finish();
}

TEST(WriteStreamStressTest, StreamsCutShortUnderMemoryPressureLeaveTheServerUpAndWhole) {
  TempDir dir;
  // Every writer may wait for the write gate (one writer at a time) as long
  // as it needs: the streams must meet their planned ends, not ABORTED.
  // Large ingest messages: an ingest stream reads before it has the gate,
  // until its queue is full, so several hold large messages at once.
  constexpr int kIngestLines = 60'000;
  ServerProcess server(
      LogFile{dir.File("log")},
      {"--db", dir.File("analytics.db"), "--max-write-waiters", "16", "--write-wait-ms", "600000",
       "--max-lines-per-ingest-message", absl::StrCat(kIngestLines)});

  // One CSV every import sends (the same keys, so the store holds all of its
  // lines or none), in 4 MiB chunks: several messages per stream, each large.
  const CsvFixture csv = CsvFixture::Make(300'000, "S");
  std::vector<v1::ImportCsvRequest> chunks;
  constexpr std::size_t kChunk = 4 << 20;
  for (std::size_t pos = 0; pos < csv.csv.size(); pos += kChunk) {
    v1::ImportCsvRequest& request = chunks.emplace_back();
    if (pos == 0) {
      // Encoding and date order given: lines stream into the store's
      // transaction while the file arrives (the writer thread, LineQueue).
      request.mutable_options()->set_encoding(v1::ENCODING_UTF8);
      request.mutable_options()->set_date_order(v1::DATE_ORDER_YMD);
    }
    request.set_chunk(csv.csv.substr(pos, kChunk));
  }
  chunks.back().set_last(true);
  std::vector<const v1::ImportCsvRequest*> import_messages;
  for (const v1::ImportCsvRequest& chunk : chunks) import_messages.push_back(&chunk);
  // Ingest: the same lines in every message (a later line of the same key
  // replaces an earlier one, store.h), so the client holds one batch.
  v1::IngestTransactionsRequest batch;
  std::int64_t ingest_revenue = 0;
  for (int i = 0; i < kIngestLines; ++i) {
    const double sales = 1 + (i % 100);
    *batch.add_lines() = SimpleLine(absl::StrCat("G", i), i % 2 == 0 ? "East" : "West", sales);
    ingest_revenue += static_cast<std::int64_t>(sales) * 1'000'000;
  }
  v1::IngestTransactionsRequest final_batch = batch;
  final_batch.set_last(true);
  constexpr int kIngestMessages = 6;
  std::vector<const v1::IngestTransactionsRequest*> ingest_messages(kIngestMessages - 1, &batch);
  ingest_messages.push_back(&final_batch);

  constexpr int kWorkers = 10;
  constexpr int kStreamsPerWorker = 4;
  Outcomes outcomes;
  std::atomic<int> imports_committed{0}, ingests_committed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937 random(1000 + w);
      auto stub = OwnConnection(server.address(), w);
      for (int s = 0; s < kStreamsPerWorker; ++s) {
        grpc::ClientContext context;
        grpc::Status status;
        if ((w + s) % 3 == 0) {
          const Plan plan = Draw(random, import_messages.size());
          Prepare(context, plan);
          v1::ImportCsvResponse response;
          auto writer = stub->ImportCsv(&context, &response);
          status = Stream(context, *writer, import_messages, plan);
          if (status.ok() && response.committed()) ++imports_committed;
          outcomes.Add(plan.ending, status, Expected(plan.ending, status));
        } else {
          const Plan plan = Draw(random, ingest_messages.size());
          Prepare(context, plan);
          v1::IngestTransactionsResponse response;
          auto writer = stub->IngestTransactions(&context, &response);
          status = Stream(context, *writer, ingest_messages, plan);
          if (status.ok()) ++ingests_committed;
          outcomes.Add(plan.ending, status, Expected(plan.ending, status));
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();

  // Still running: not killed by a signal.
  int wait_status = 0;
  ASSERT_EQ(waitpid(server.pid(), &wait_status, WNOHANG), 0)
      << "the server died"
      << (WIFSIGNALED(wait_status) ? absl::StrCat(" of signal ", WTERMSIG(wait_status)) : "")
      << "; its log: " << dir.File("log") << "\n"
      << outcomes.Summary();
  EXPECT_EQ(outcomes.unexpected(), 0) << outcomes.Summary();
  // The draws above include completed streams of both kinds.
  EXPECT_GT(imports_committed.load(), 0) << outcomes.Summary();
  EXPECT_GT(ingests_committed.load(), 0) << outcomes.Summary();

  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(Context().get(), {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Whole writes only: every line of the CSV and of the batches, once each
  // (a cut stream that had written part of its lines would show here).
  auto stub = Stub(server.address());
  v1::GetKpisResponse kpis;
  ASSERT_TRUE(stub->GetKpis(Context().get(), {}, &kpis).ok());
  EXPECT_EQ(kpis.current().revenue_micros(), csv.revenue_micros + ingest_revenue);
}

}  // namespace
}  // namespace analytics
