// The last few answers of one kind of question, valid until the next write.
//
// Dashboards ask the same handful of questions (the KPIs, a breakdown or two,
// a trend) on every page view, and a service under load asks them thousands
// of times between two writes. Each answer is tagged with the engine's write
// generation; a lookup only matches an answer of the current generation, so a
// write invalidates everything without touching the cache, and a read that
// starts after a write's RPC returned never sees an older answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "query/columnar/annotated_mutex.h"

namespace analytics::columnar {

template <typename Key, typename Value, std::size_t kEntries>
class RecentResults {
 public:
  std::optional<Value> Find(const Key& key, std::uint64_t generation) const {
    MutexLock lock(&mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->generation == generation && it->key == key) {
        entries_.splice(entries_.begin(), entries_, it);  // most recently used first
        return it->value;
      }
    }
    return std::nullopt;
  }

  void Keep(const Key& key, std::uint64_t generation, Value value) const {
    MutexLock lock(&mutex_);
    for (const Entry& entry : entries_) {
      if (entry.generation == generation && entry.key == key) return;  // a racing twin
    }
    entries_.push_front({key, generation, std::move(value)});
    if (entries_.size() > kEntries) entries_.pop_back();
  }

  // Frees the memory of answers a write made stale.
  void Clear() const {
    MutexLock lock(&mutex_);
    entries_.clear();
  }

 private:
  struct Entry {
    Key key;
    std::uint64_t generation;
    Value value;
  };
  mutable Mutex mutex_;
  mutable std::list<Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace analytics::columnar
