// The eBPF driver: loads Vigil's CO-RE programs, attaches them, and reads
// their ring buffer into a Pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "vigil/driver.h"

namespace vigil {

struct BpfOptions {
  //! Ring buffer size in bytes: a power of two, at least a page. It absorbs
  //! bursts while userspace catches up; raise it if the kernel counts drops.
  uint32_t ring_bytes = 16u << 20;
  //! Also report thread creation and thread exit (trace wants them; rules
  //! about processes do not).
  bool threads = false;
};

class BpfDriver : public Driver {
 public:
  //! Opens, loads and attaches the programs. Throws DriverError.
  explicit BpfDriver(const BpfOptions& opts);
  //! Detaches and unloads.
  ~BpfDriver() override;
  BpfDriver(const BpfDriver&) = delete;
  BpfDriver& operator=(const BpfDriver&) = delete;

  std::string_view name() const override { return "ebpf"; }
  void run(Pipeline& pipeline, const std::atomic<bool>& stop,
           const std::function<void()>& tick) override;
  KernelCounts counts() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
