// The eBPF driver: loads Vigil's CO-RE programs, attaches them, and reads
// their ring buffer into a Pipeline.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "vigil/event.h"
#include "vigil/pipeline.h"

namespace vigil {

//! The driver could not start; what() says which step failed and why.
class DriverError : public std::runtime_error {
      public:
	using std::runtime_error::runtime_error;
};

//! Per-kind counters the kernel side keeps (enum vigil_counter), summed
//! over CPUs.
struct KernelCounts {
	std::array<std::array<uint64_t, VIGIL_CNT_MAX>, kKindCount> count{};
	uint64_t total(vigil_counter c) const
	{
		uint64_t n = 0;
		for (const auto &row : count)
			n += row[c];
		return n;
	}
};

struct BpfOptions {
	//! Ring buffer size in bytes: a power of two, at least a page. It absorbs
	//! bursts while userspace catches up; raise it if the kernel counts drops.
	uint32_t ring_bytes = 16u << 20;
	//! Also report thread creation and thread exit (trace wants them; rules
	//! about processes do not).
	bool threads = false;
};

class BpfDriver {
      public:
	//! Opens, loads and attaches the programs. Throws DriverError.
	explicit BpfDriver(const BpfOptions &opts);
	//! Detaches and unloads.
	~BpfDriver();
	BpfDriver(const BpfDriver &) = delete;
	BpfDriver &operator=(const BpfDriver &) = delete;

	//! Reads records into `pipeline` until `stop` is set, flushing partial
	//! batches after every wake-up, and calls `tick` about every 100 ms.
	//! Call from one thread (the pipeline's reader).
	void run(Pipeline &pipeline, const std::atomic<bool> &stop,
		 const std::function<void()> &tick);

	//! Reads the kernel-side counters. Any thread.
	KernelCounts counts() const;

      private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

} // namespace vigil
