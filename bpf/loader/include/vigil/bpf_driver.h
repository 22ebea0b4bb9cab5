// The eBPF driver: loads Vigil's CO-RE programs, attaches them, and reads
// their ring buffer into a Pipeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/driver.h"

namespace vigil {

struct BpfOptions {
  //! Ring buffer size in bytes: a power of two, at least a page. It absorbs
  //! bursts while userspace catches up; raise it if the kernel counts drops.
  uint32_t ring_bytes = 16u << 20;
  //! Also report thread creation and thread exit (trace wants them; rules
  //! about processes do not).
  bool threads = false;
  //! Kinds to report, bit (1 << vigil_kind) each. The programs of every
  //! other kind are not even loaded, so they cost nothing. exec, fork and
  //! exit are always on: the process table follows them.
  uint64_t kinds = ~uint64_t{0};
  //! When not empty, only opens whose resolved path starts with one of these
  //! are reported; the others are dropped in the kernel and counted as
  //! filtered. At most kMaxOpenPrefixes, each at most kMaxPrefixBytes.
  std::vector<std::string> open_prefixes;

  static constexpr size_t kMaxOpenPrefixes = 16;
  static constexpr size_t kMaxPrefixBytes = 64;
};

class BpfDriver : public Driver {
 public:
  //! Mounts tracefs at /sys/kernel/tracing if it is missing, then opens,
  //! loads and attaches the programs of the kinds asked for. A kind whose
  //! tracepoints this kernel lacks is left out with a warning. Throws
  //! DriverError (naming the step and the errno text) when tracefs cannot
  //! be mounted or a program does not load or attach.
  explicit BpfDriver(const BpfOptions& opts);
  //! Detaches and unloads.
  ~BpfDriver() override;
  BpfDriver(const BpfDriver&) = delete;
  BpfDriver& operator=(const BpfDriver&) = delete;

  std::string_view name() const override { return "ebpf"; }
  void run(Pipeline& pipeline, const std::atomic<bool>& stop,
           const std::function<void()>& tick) override;
  KernelCounts counts() const override;

  //! Kinds whose programs are attached, bit (1 << vigil_kind) each.
  uint64_t attached_kinds() const;

 private:
  void select_programs(uint64_t wanted);
  void set_open_prefixes(const std::vector<std::string>& prefixes);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
