#include "import/spool.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace analytics {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> ReadAll(std::shared_ptr<const Spool> spool) {
  SpoolReader reader(std::move(spool));
  std::vector<std::string> records;
  std::string_view record;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(record);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    records.emplace_back(record);
  }
  return records;
}

TEST(SpoolTest, RecordsOfEverySizeComeBackInOrder) {
  absl::StatusOr<std::shared_ptr<Spool>> spool = Spool::Create();
  ASSERT_TRUE(spool.ok()) << spool.status();
  // Empty, small, and larger than the 1 MiB I/O block, in an order that
  // makes records straddle block boundaries.
  std::vector<std::string> written;
  for (int i = 0; i < 3000; ++i) {
    std::string record;
    if (i % 1000 == 999) {
      record.assign((std::size_t{3} << 20) + static_cast<std::size_t>(i),
                    static_cast<char>('a' + i % 26));
    } else if (i % 7 != 0) {
      record = std::string(static_cast<std::size_t>(i % 500), static_cast<char>(i));
    }
    written.push_back(record);
    ASSERT_TRUE((*spool)->Append(record).ok());
  }
  ASSERT_TRUE((*spool)->Flush().ok());
  EXPECT_EQ((*spool)->records(), 3000);
  // Two readers at once, each from the start.
  SpoolReader first(*spool);
  SpoolReader second(*spool);
  std::string_view a;
  std::string_view b;
  for (const std::string& expected : written) {
    ASSERT_TRUE(*first.Next(a));
    ASSERT_EQ(a, expected);
    ASSERT_TRUE(*second.Next(b));
    ASSERT_EQ(b, expected);
  }
  EXPECT_FALSE(*first.Next(a));
  EXPECT_EQ(ReadAll(*spool), written);
}

TEST(SpoolTest, ReadersSeeOnlyWhatWasFlushed) {
  absl::StatusOr<std::shared_ptr<Spool>> spool = Spool::Create();
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE((*spool)->Append("one").ok());
  EXPECT_TRUE(ReadAll(*spool).empty());
  ASSERT_TRUE((*spool)->Flush().ok());
  EXPECT_EQ(ReadAll(*spool), std::vector<std::string>{"one"});
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(SpoolTest, UnusableTempDirIsAClearError) {
  const ScopedEnv tmpdir("TMPDIR", "/nonexistent/analytics-spool");
  absl::StatusOr<std::shared_ptr<Spool>> spool = Spool::Create();
  EXPECT_EQ(spool.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(spool.status().message(), HasSubstr("/nonexistent/analytics-spool"));
  EXPECT_THAT(spool.status().message(), HasSubstr("TMPDIR"));
}

TEST(SpoolTest, HonoursTmpdir) {
  const std::string dir = ::testing::TempDir();
  const ScopedEnv tmpdir("TMPDIR", dir.c_str());
  absl::StatusOr<std::shared_ptr<Spool>> spool = Spool::Create();
  ASSERT_TRUE(spool.ok()) << spool.status();
  ASSERT_TRUE((*spool)->Append("x").ok());
  ASSERT_TRUE((*spool)->Flush().ok());
  EXPECT_EQ(ReadAll(*spool), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace analytics
