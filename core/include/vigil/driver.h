// A driver brings records from somewhere (the eBPF programs, the kernel
// module, a capture file) into a Pipeline. Everything downstream of a driver
// is the same whichever it is.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string_view>

#include "vigil/event.h"
#include "vigil/pipeline.h"

namespace vigil {

//! A driver could not start or failed while running; what() says which step
//! failed and why.
class DriverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! Per-kind counters the kernel side keeps (enum vigil_counter), summed
//! over CPUs.
struct KernelCounts {
  std::array<std::array<uint64_t, VIGIL_CNT_MAX>, kKindCount> count{};
  uint64_t total(vigil_counter c) const {
    uint64_t n = 0;
    for (const auto& row : count) n += row[c];
    return n;
  }
};

class Driver {
 public:
  virtual ~Driver() = default;

  //! Short name for logs and metrics: "ebpf", "kmod", "replay".
  virtual std::string_view name() const = 0;

  //! Reads records into `pipeline` until `stop` is set (or, for a finite
  //! source, until it ends), flushing partial batches whenever it waits, and
  //! calls `tick` about every 100 ms. Call from one thread: the pipeline's
  //! reader. Throws DriverError on a failure it cannot recover from.
  virtual void run(Pipeline& pipeline, const std::atomic<bool>& stop,
                   const std::function<void()>& tick) = 0;

  //! The source's own counters. Any thread.
  virtual KernelCounts counts() const = 0;
};

}  // namespace vigil
