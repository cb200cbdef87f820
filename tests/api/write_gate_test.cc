// WriteGate (api/write_gate.h): one writer at a time, a bounded number of
// waiters, and a waiter whose call ended stops waiting when woken.
#include "api/write_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace analytics::api {
namespace {

const auto kFarAway = std::chrono::system_clock::now() + std::chrono::hours(24);

TEST(WriteGateTest, AWaiterWhoseCallEndedStopsWaitingWhenWoken) {
  WriteGate gate({.max_wait = std::chrono::hours(1), .max_waiters = 4});
  absl::StatusOr<WriteGate::Lease> holder = gate.Acquire(kFarAway);
  ASSERT_TRUE(holder.ok());
  std::atomic<bool> abandoned{false};
  absl::Status waited;
  std::thread waiter(
      [&] { waited = gate.Acquire(kFarAway, [&] { return abandoned.load(); }).status(); });
  // The gate says when the waiter is in place (no sleeping).
  while (gate.waiters() != 1) std::this_thread::yield();
  abandoned = true;
  gate.WakeWaiters();
  waiter.join();  // an hour, were the wake lost
  EXPECT_EQ(waited.code(), absl::StatusCode::kCancelled) << waited;
  EXPECT_EQ(gate.waiters(), 0);
}

TEST(WriteGateTest, AFreedGateGoesToAWaiterEvenWhenAnotherWasAbandoned) {
  WriteGate gate({.max_wait = std::chrono::hours(1), .max_waiters = 4});
  absl::StatusOr<WriteGate::Lease> holder = gate.Acquire(kFarAway);
  ASSERT_TRUE(holder.ok());
  std::atomic<bool> first_abandoned{false};
  absl::Status first;
  bool second_held = false;
  std::thread first_waiter(
      [&] { first = gate.Acquire(kFarAway, [&] { return first_abandoned.load(); }).status(); });
  std::thread second_waiter([&] {
    absl::StatusOr<WriteGate::Lease> lease = gate.Acquire(kFarAway, [] { return false; });
    second_held = lease.ok() && lease->held();
  });
  while (gate.waiters() != 2) std::this_thread::yield();
  first_abandoned = true;
  *holder = WriteGate::Lease();  // frees the gate: both waiters are woken
  first_waiter.join();
  second_waiter.join();
  EXPECT_TRUE(second_held);
  EXPECT_TRUE(first.code() == absl::StatusCode::kCancelled || first.ok()) << first;
}

TEST(WriteGateTest, PastTheWaiterCapAWriterIsRefusedAtOnce) {
  WriteGate gate({.max_wait = std::chrono::hours(1), .max_waiters = 1});
  absl::StatusOr<WriteGate::Lease> holder = gate.Acquire(kFarAway);
  ASSERT_TRUE(holder.ok());
  std::atomic<bool> abandoned{false};
  std::thread waiter([&] { (void)gate.Acquire(kFarAway, [&] { return abandoned.load(); }); });
  while (gate.waiters() != 1) std::this_thread::yield();
  const absl::Status refused = gate.Acquire(kFarAway).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kAborted);
  EXPECT_NE(refused.message().find("1 more are waiting"), std::string::npos) << refused;
  abandoned = true;
  gate.WakeWaiters();
  waiter.join();
}

}  // namespace
}  // namespace analytics::api
