#include "api/idle_watchdog.h"

#include <utility>

namespace analytics::api {

IdleWatchdog::IdleWatchdog() : thread_([this] { Run(); }) {}

IdleWatchdog::~IdleWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

IdleWatchdog::Id IdleWatchdog::Add(std::function<void()> on_idle) {
  std::lock_guard lock(mutex_);
  const Id id = next_id_++;
  entries_.emplace(id, Entry{.on_idle = std::move(on_idle), .scheduled = schedule_.end()});
  return id;
}

void IdleWatchdog::DisarmLocked(Entry& entry) {
  if (!entry.armed) return;
  schedule_.erase(entry.scheduled);
  entry.scheduled = schedule_.end();
  entry.armed = false;
}

void IdleWatchdog::Arm(Id id, Clock::time_point due) {
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(id);
    if (found == entries_.end() || !found->second.on_idle) return;
    DisarmLocked(found->second);
    found->second.scheduled = schedule_.emplace(due, id);
    found->second.armed = true;
    earliest = found->second.scheduled == schedule_.begin();
  }
  // Only a new earliest deadline shortens the watchdog's sleep.
  if (earliest) changed_.notify_all();
}

void IdleWatchdog::Disarm(Id id) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(id);
  if (found != entries_.end()) DisarmLocked(found->second);
}

void IdleWatchdog::Remove(Id id) {
  std::unique_lock lock(mutex_);
  const auto found = entries_.find(id);
  if (found != entries_.end()) {
    DisarmLocked(found->second);
    entries_.erase(found);
  }
  if (std::this_thread::get_id() == thread_.get_id()) return;
  changed_.wait(lock, [&] { return firing_ != id; });
}

std::size_t IdleWatchdog::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void IdleWatchdog::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (schedule_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto [due, id] = *schedule_.begin();
    if (Clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;
    }
    Entry& entry = entries_.at(id);
    DisarmLocked(entry);
    // Moved out: the action may remove its own entry while it runs.
    std::function<void()> on_idle = std::exchange(entry.on_idle, nullptr);
    firing_ = id;
    lock.unlock();
    on_idle();
    on_idle = nullptr;
    lock.lock();
    firing_ = 0;
    changed_.notify_all();  // a Remove waiting for this action
  }
}

}  // namespace analytics::api
