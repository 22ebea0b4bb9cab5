// Counters every pipeline stage keeps: what it received, passed on and
// dropped. Nothing is dropped without a count (DESIGN.md).
#pragma once

#include <atomic>
#include <cstdint>

namespace vigil {

//! A counter with one writer thread and any number of reader threads. The
//! writer's increment is a plain load and store (no locked instruction),
//! which is what makes it cheap enough for the per-event path.
class Counter {
 public:
  //! Writer thread only.
  void add(uint64_t n = 1) {
    // Relaxed: a counter publishes nothing but itself; readers tolerate lag.
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  //! Any thread.
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

//! A counter any thread may bump.
class SharedCounter {
 public:
  void add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

//! A snapshot of one stage's counters.
struct StageCounts {
  uint64_t received = 0;
  uint64_t passed = 0;
  uint64_t dropped = 0;
};

}  // namespace vigil
