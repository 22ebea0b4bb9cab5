#include "vigil/pipeline.h"

#include <concurrentqueue/blockingconcurrentqueue.h>

#include <chrono>
#include <cstring>

#include "vigil/process_table.h"

namespace vigil {

struct Pipeline::Batch {
  uint32_t used = 0;
  uint32_t records = 0;
  alignas(8) std::byte data[kBatchBytes];
};

struct Pipeline::Shard {
  explicit Shard(unsigned batches)
      : work(batches), free(batches), work_token(work), free_token(free) {
    pool.reserve(batches);
    for (unsigned i = 0; i < batches; ++i) {
      pool.push_back(std::make_unique_for_overwrite<Batch>());
      free.enqueue(pool.back().get());
    }
  }

  std::unique_ptr<ShardHandler> handler;
  std::vector<std::unique_ptr<Batch>> pool;
  moodycamel::BlockingConcurrentQueue<Batch*> work;  // reader -> worker
  moodycamel::ConcurrentQueue<Batch*> free;          // worker -> reader
  moodycamel::ProducerToken work_token;              // reader's
  moodycamel::ConsumerToken free_token;              // reader's
  Batch* filling = nullptr;                          // reader's
  Counter queued;                                    // written by the reader
  Counter dropped;                                   // written by the reader
  Counter handled;                                   // written by the worker
  std::thread thread;
};

Pipeline::Pipeline(const PipelineOptions& opts, const HandlerFactory& factory, ProcessTable* table)
    : table_(table), backpressure_(opts.backpressure) {
  unsigned n = opts.shards ? opts.shards : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  const unsigned batches = opts.batches_per_shard < 2 ? 2 : opts.batches_per_shard;

  shards_.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>(batches));
    shards_.back()->handler = factory(i);
  }
  for (auto& s : shards_) {
    s->thread = std::thread([this, shard = s.get()] { work(*shard); });
  }
}

Pipeline::~Pipeline() {
  stop();
}

unsigned Pipeline::shard_of(uint32_t pid) const {
  // Multiplicative hash, then Lemire's range reduction: no division.
  const uint32_t h = pid * 2654435761u;
  return static_cast<unsigned>((uint64_t{h} * shards_.size()) >> 32);
}

bool Pipeline::push(std::span<const std::byte> record) {
  received_.add();
  if (validate_record(record) != RecordError::None) {
    invalid_.add();
    return false;
  }
  const EventView ev(record.data());
  if (table_ && ProcessTable::tracks(ev.kind())) table_->apply(ev);

  Shard& s = *shards_[shard_of(ev.task().pid)];
  const uint32_t size = ev.size();
  if (s.filling && s.filling->used + size > kBatchBytes) hand_over(s);
  if (!s.filling) {
    s.filling = take_free(s);
    if (!s.filling) {
      s.dropped.add();
      return false;
    }
  }
  std::memcpy(s.filling->data + s.filling->used, record.data(), size);
  s.filling->used += size;
  s.filling->records++;
  return true;
}

void Pipeline::flush() {
  for (auto& s : shards_) {
    if (s->filling && s->filling->records) hand_over(*s);
  }
}

Pipeline::Batch* Pipeline::take_free(Shard& s) {
  Batch* b = nullptr;
  if (s.free.try_dequeue(s.free_token, b)) return b;
  if (backpressure_ == Backpressure::Drop) return nullptr;
  while (!s.free.try_dequeue(s.free_token, b)) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return b;
}

void Pipeline::hand_over(Shard& s) {
  s.queued.add(s.filling->records);
  s.work.enqueue(s.work_token, s.filling);
  s.filling = nullptr;
}

void Pipeline::work(Shard& s) {
  moodycamel::ConsumerToken take(s.work);
  moodycamel::ProducerToken give(s.free);
  Batch* got[16];

  for (;;) {
    size_t n = s.work.wait_dequeue_bulk_timed(take, got, 16, std::chrono::milliseconds(50));
    if (n == 0) {
      s.handler->on_idle();
      // Acquire pairs with stop(): every batch queued before it is visible.
      if (!stopping_.load(std::memory_order_acquire)) continue;
      n = s.work.try_dequeue_bulk(take, got, 16);
      if (n == 0) break;
    }

    uint64_t handled = 0;
    for (size_t i = 0; i < n; ++i) {
      Batch& b = *got[i];
      for (uint32_t off = 0; off < b.used;) {
        const EventView ev(b.data + off);
        s.handler->on_event(ev);
        off += ev.size();
      }
      handled += b.records;
      b.used = 0;
      b.records = 0;
    }
    s.handled.add(handled);
    s.free.enqueue_bulk(give, got, n);
  }
  s.handler->on_idle();
}

void Pipeline::stop() {
  if (stopped_) return;
  stopped_ = true;
  flush();
  // Release: the batches flushed above happen-before the workers' last drain.
  stopping_.store(true, std::memory_order_release);
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

PipelineCounts Pipeline::counts() const {
  PipelineCounts c;
  c.received = received_.get();
  c.invalid = invalid_.get();
  for (const auto& s : shards_) {
    c.dropped += s->dropped.get();
    c.queued += s->queued.get();
    c.handled += s->handled.get();
  }
  return c;
}

size_t Pipeline::queued_batches(unsigned shard) const {
  return shards_[shard]->work.size_approx();
}

}  // namespace vigil
