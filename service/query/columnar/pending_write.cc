#include "query/columnar/pending_write.h"

#include <utility>

namespace analytics::columnar {

StagingWrite::StagingWrite(bool replace, Apply apply)
    : apply_(std::move(apply)), staged_(replace) {}

StagingWrite::~StagingWrite() { StopWorker(); }

void StagingWrite::Add(OrderLine&& line) {
  loose_.Add(line);
  if (loose_.line_count() == kLinesPerBatch) Gather(loose_);
}

void StagingWrite::AddBatch(LineBatch& batch) {
  if (!loose_.empty()) Gather(loose_);  // keep the write's order
  Gather(batch);
}

std::optional<WriteResult> StagingWrite::Commit() {
  if (!loose_.empty()) Gather(loose_);
  if (worker_.joinable()) {
    if (!gathered_.empty()) Hand();
    StopWorker();
  } else {
    for (const LineBatch& batch : gathered_) staged_.AddBatch(batch);
    gathered_.clear();
  }
  return apply_(staged_);
}

void StagingWrite::Gather(LineBatch& batch) {
  gathered_lines_ += batch.line_count();
  gathered_.push_back(std::move(batch));
  {
    MutexLock lock(&mutex_);
    if (!spares_.empty()) {
      batch = std::move(spares_.back());
      spares_.pop_back();
    }
  }
  if (gathered_lines_ >= kHandLines) Hand();
}

void StagingWrite::Hand() {
  if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
  MutexLock lock(&mutex_);
  while (!handed_.empty()) mutex_.Wait(changed_);
  std::swap(gathered_, handed_);
  gathered_lines_ = 0;
  changed_.notify_all();
}

void StagingWrite::Work() {
  std::vector<LineBatch> mine;  // the batches being encoded, then spent
  for (;;) {
    {
      MutexLock lock(&mutex_);
      for (LineBatch& batch : mine) {
        if (spares_.size() == kMaxSpares) break;
        batch.Clear();
        spares_.push_back(std::move(batch));
      }
      mine.clear();
      while (handed_.empty() && !stopping_) mutex_.Wait(changed_);
      if (handed_.empty()) return;  // stopping, and nothing left
      mine.swap(handed_);
      changed_.notify_all();  // Hand may give the next ones meanwhile
    }
    for (const LineBatch& batch : mine) staged_.AddBatch(batch);
  }
}

void StagingWrite::StopWorker() {
  if (!worker_.joinable()) return;
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

}  // namespace analytics::columnar
