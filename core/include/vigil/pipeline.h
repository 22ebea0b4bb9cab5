// The pipeline between a driver's reader and the shard workers.
//
//   reader thread ──push()──► per-shard batch ──queue──► shard worker ──► handler
//                                   ▲                         │
//                                   └────── free batches ◄────┘
//
// The reader copies each record into the batch being filled for the record's
// shard (chosen by process id, so one process's events keep their order) and
// hands full batches over a moodycamel queue; flush() hands over partial ones
// so that a quiet system still sees its events at once. Each shard owns a
// fixed pool of batches, which bounds memory: when a shard has no free batch
// left the reader either drops the record and counts it (Backpressure::Drop,
// live drivers: the kernel side must never wait) or waits for one
// (Backpressure::Block, replay of a capture file).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "vigil/counters.h"
#include "vigil/event.h"

namespace vigil {

class ProcessTable;

//! Receives the events of one shard, on that shard's worker thread.
class ShardHandler {
 public:
  virtual ~ShardHandler() = default;
  //! One validated record. Must not throw.
  virtual void on_event(const EventView& ev) = 0;
  //! Called when the shard's queue ran dry: a moment to flush buffers.
  virtual void on_idle() {}
};

enum class Backpressure : uint8_t { Drop, Block };

struct PipelineOptions {
  //! Worker threads; 0 means one per CPU.
  unsigned shards = 0;
  //! Batches in each shard's pool, each kBatchBytes. Raise it when a bursty
  //! host shows queue drops; memory is shards * batches * 64 KiB.
  unsigned batches_per_shard = 64;
  Backpressure backpressure = Backpressure::Drop;
};

//! Counters of the whole pipeline, summed over shards.
struct PipelineCounts {
  uint64_t received = 0;  //!< records offered to push()
  uint64_t invalid = 0;   //!< rejected by validate_record()
  uint64_t dropped = 0;   //!< lost because a shard had no free batch
  uint64_t queued = 0;    //!< handed to a shard
  uint64_t handled = 0;   //!< delivered to a handler
};

class Pipeline {
 public:
  static constexpr uint32_t kBatchBytes = 64 * 1024;
  using HandlerFactory = std::function<std::unique_ptr<ShardHandler>(unsigned shard)>;

  //! Starts one worker per shard, each with the handler `factory` makes for
  //! it. `table`, when given, is updated by the reader with every process
  //! lifecycle record (fork, exec, exit) before the record is queued, so the
  //! table follows the drivers' order whatever the shards' progress.
  Pipeline(const PipelineOptions& opts, const HandlerFactory& factory,
           ProcessTable* table = nullptr);
  //! Stops the workers (as stop() does).
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  //! Reader thread only. Validates one record and queues it for its shard.
  //! Returns false when the record was invalid or dropped (both counted).
  bool push(std::span<const std::byte> record);

  //! Reader thread only. Hands every partial batch to its shard.
  void flush();

  //! Flushes, lets the workers drain their queues, and joins them. After
  //! stop(), every record queued has been handled. Idempotent.
  void stop();

  unsigned shards() const { return static_cast<unsigned>(shards_.size()); }
  //! The shard a process's events go to.
  unsigned shard_of(uint32_t pid) const;
  PipelineCounts counts() const;
  //! Batches waiting in `shard`'s queue (approximate); any thread.
  size_t queued_batches(unsigned shard) const;

 private:
  struct Batch;
  struct Shard;

  Batch* take_free(Shard& s);
  void hand_over(Shard& s);
  void work(Shard& s);

  std::vector<std::unique_ptr<Shard>> shards_;
  ProcessTable* table_;
  Backpressure backpressure_;
  Counter received_;
  Counter invalid_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
};

}  // namespace vigil
