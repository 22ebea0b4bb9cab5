// The pipeline: routing by process, per-process order, drops counted when a
// shard falls behind, blocking backpressure, invalid records, and draining.
#include "vigil/pipeline.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "vigil/record_builder.h"

namespace vigil {
namespace {

struct Seen {
  std::mutex mu;
  std::map<uint32_t, std::vector<uint64_t>> ts_by_pid;  // order of arrival
  std::map<uint32_t, std::set<unsigned>> shards_by_pid;
  uint64_t total = 0;
};

class Recorder : public ShardHandler {
 public:
  Recorder(unsigned shard, Seen& seen) : shard_(shard), seen_(seen) {}
  void on_event(const EventView& ev) override {
    std::lock_guard lock(seen_.mu);
    seen_.ts_by_pid[ev.task().pid].push_back(ev.hdr().ts_ns);
    seen_.shards_by_pid[ev.task().pid].insert(shard_);
    seen_.total++;
  }

 private:
  unsigned shard_;
  Seen& seen_;
};

// Holds its shard's worker until released, so the test can fill the queue.
class Gate : public ShardHandler {
 public:
  explicit Gate(std::atomic<uint64_t>& handled) : handled_(handled) {}
  void on_event(const EventView&) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
    handled_.fetch_add(1);
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::atomic<uint64_t>& handled_;
};

RecordBuffer exit_of(uint32_t pid, uint64_t ts) {
  return build_exit(make_task(pid, 1), 0, ts);
}

TEST(Pipeline, process_always_goes_to_the_same_shard_in_order) {
  Seen seen;
  PipelineOptions opts;
  opts.shards = 4;
  Pipeline p(opts, [&](unsigned s) { return std::make_unique<Recorder>(s, seen); });

  std::mt19937 rng(7);
  uint64_t ts = 0;
  for (int i = 0; i < 50000; ++i) {
    const auto rec = exit_of(100 + rng() % 300, ++ts);
    ASSERT_TRUE(p.push({rec.data(), rec.size()}));
    if (i % 1000 == 0) p.flush();
  }
  p.stop();

  EXPECT_EQ(seen.total, 50000u);
  std::set<unsigned> used;
  for (const auto& [pid, shards] : seen.shards_by_pid) {
    ASSERT_EQ(shards.size(), 1u) << "pid " << pid << " split over shards";
    EXPECT_EQ(*shards.begin(), p.shard_of(pid));
    used.insert(*shards.begin());
  }
  EXPECT_EQ(used.size(), 4u) << "300 processes should spread over every shard";
  for (const auto& [pid, ts_list] : seen.ts_by_pid) {
    EXPECT_TRUE(std::is_sorted(ts_list.begin(), ts_list.end())) << "pid " << pid;
  }
  const auto c = p.counts();
  EXPECT_EQ(c.received, 50000u);
  EXPECT_EQ(c.queued, 50000u);
  EXPECT_EQ(c.handled, 50000u);
  EXPECT_EQ(c.dropped, 0u);
}

TEST(Pipeline, full_shard_drops_and_counts_every_lost_record) {
  std::atomic<uint64_t> handled{0};
  Gate* gate = nullptr;
  PipelineOptions opts;
  opts.shards = 1;
  opts.batches_per_shard = 2;
  Pipeline p(opts, [&](unsigned) {
    auto g = std::make_unique<Gate>(handled);
    gate = g.get();
    return g;
  });

  // Each flush hands one batch over; with the worker held, the third push
  // after two flushes finds no free batch.
  const uint64_t n = 1000;
  uint64_t accepted = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const auto rec = exit_of(42, i);
    accepted += p.push({rec.data(), rec.size()});
    p.flush();
  }
  gate->open();
  p.stop();

  const auto c = p.counts();
  EXPECT_EQ(c.received, n);
  EXPECT_GT(c.dropped, 0u);
  EXPECT_EQ(c.dropped + c.queued, n);
  EXPECT_EQ(c.queued, accepted);
  EXPECT_EQ(handled.load(), accepted);
}

TEST(Pipeline, blocking_backpressure_loses_nothing) {
  Seen seen;
  PipelineOptions opts;
  opts.shards = 2;
  opts.batches_per_shard = 2;
  opts.backpressure = Backpressure::Block;
  Pipeline p(opts, [&](unsigned s) { return std::make_unique<Recorder>(s, seen); });
  for (uint64_t i = 0; i < 20000; ++i) {
    const auto rec = exit_of(static_cast<uint32_t>(i % 17), i);
    ASSERT_TRUE(p.push({rec.data(), rec.size()}));
    p.flush();
  }
  p.stop();
  EXPECT_EQ(seen.total, 20000u);
  EXPECT_EQ(p.counts().dropped, 0u);
}

TEST(Pipeline, invalid_records_are_counted_not_queued) {
  Seen seen;
  PipelineOptions opts;
  opts.shards = 1;
  Pipeline p(opts, [&](unsigned s) { return std::make_unique<Recorder>(s, seen); });

  auto rec = exit_of(5, 1);
  auto* hdr = reinterpret_cast<vigil_hdr*>(rec.data());
  hdr->kind = 99;
  EXPECT_FALSE(p.push({rec.data(), rec.size()}));
  hdr->kind = VIGIL_KIND_EXIT;
  hdr->size = 12;
  EXPECT_FALSE(p.push({rec.data(), rec.size()}));
  hdr->size = sizeof(vigil_exit);
  EXPECT_FALSE(p.push({rec.data(), rec.size() - 8}));  // shorter than it says
  EXPECT_TRUE(p.push({rec.data(), rec.size()}));
  p.stop();

  const auto c = p.counts();
  EXPECT_EQ(c.received, 4u);
  EXPECT_EQ(c.invalid, 3u);
  EXPECT_EQ(c.handled, 1u);
  EXPECT_EQ(seen.total, 1u);
}

TEST(Pipeline, stop_delivers_partial_batches) {
  Seen seen;
  PipelineOptions opts;
  opts.shards = 3;
  Pipeline p(opts, [&](unsigned s) { return std::make_unique<Recorder>(s, seen); });
  for (uint32_t i = 0; i < 10; ++i) {
    const auto rec = exit_of(i, i);
    p.push({rec.data(), rec.size()});
  }
  p.stop();  // no flush before: stop() must hand over what is pending
  EXPECT_EQ(seen.total, 10u);
}

TEST(Pipeline, large_records_fill_batches_exactly) {
  Seen seen;
  PipelineOptions opts;
  opts.shards = 1;
  Pipeline p(opts, [&](unsigned s) { return std::make_unique<Recorder>(s, seen); });
  ExecSpec spec;
  spec.task = make_task(9, 1);
  spec.argv = {std::string(VIGIL_ARGS_MAX - 1, 'a')};
  for (uint64_t i = 0; i < 100; ++i) {
    spec.ts_ns = i;
    const auto rec = build_exec(spec);
    ASSERT_TRUE(p.push({rec.data(), rec.size()}));
  }
  p.stop();
  EXPECT_EQ(seen.total, 100u);
  EXPECT_TRUE(std::is_sorted(seen.ts_by_pid[9].begin(), seen.ts_by_pid[9].end()));
}

}  // namespace
}  // namespace vigil
