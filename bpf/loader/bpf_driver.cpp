#include "vigil/bpf_driver.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <vector>

#include "vigil_bpf.skel.h"

namespace vigil {
namespace {

// libbpf's own messages go to our log: warnings as warnings, the rest
// (verifier logs included) at debug level, shown with -v.
int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  const int n = vsnprintf(buf, sizeof(buf), fmt, args);
  std::string_view msg(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  if (level == LIBBPF_WARN) {
    spdlog::warn("libbpf: {}", msg);
  } else {
    spdlog::debug("libbpf: {}", msg);
  }
  return n;
}

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
}

int on_record(void* ctx, void* data, size_t size) {
  auto* pipeline = static_cast<Pipeline*>(ctx);
  pipeline->push({static_cast<const std::byte*>(data), size});
  return 0;
}

}  // namespace

struct BpfDriver::Impl {
  vigil_bpf* skel = nullptr;
  ring_buffer* ring = nullptr;
  Pipeline* target = nullptr;

  ~Impl() {
    ring_buffer__free(ring);
    vigil_bpf__destroy(skel);
  }
};

BpfDriver::BpfDriver(const BpfOptions& opts) : impl_(std::make_unique<Impl>()) {
  libbpf_set_print(libbpf_log);

  impl_->skel = vigil_bpf__open();
  if (!impl_->skel) throw DriverError("bpf: cannot open programs: " + errno_text(errno));
  vigil_bpf* skel = impl_->skel;

  skel->rodata->vigil_self_tgid = static_cast<uint32_t>(getpid());
  skel->rodata->vigil_threads = opts.threads;
  int err = bpf_map__set_max_entries(skel->maps.vigil_events, opts.ring_bytes);
  if (err) throw DriverError("bpf: bad ring buffer size: " + errno_text(err));

  err = vigil_bpf__load(skel);
  if (err) {
    throw DriverError("bpf: cannot load programs (run with -v for the verifier log): " +
                      errno_text(err));
  }
  err = vigil_bpf__attach(skel);
  if (err) throw DriverError("bpf: cannot attach programs: " + errno_text(err));
}

BpfDriver::~BpfDriver() = default;

void BpfDriver::run(Pipeline& pipeline, const std::atomic<bool>& stop,
                    const std::function<void()>& tick) {
  if (!impl_->ring || impl_->target != &pipeline) {
    ring_buffer__free(impl_->ring);
    impl_->ring = ring_buffer__new(bpf_map__fd(impl_->skel->maps.vigil_events), on_record,
                                   &pipeline, nullptr);
    if (!impl_->ring) throw DriverError("bpf: cannot map ring buffer: " + errno_text(errno));
    impl_->target = &pipeline;
  }

  // Relaxed: stop is a lone flag; the pipeline's own stop() orders the rest.
  while (!stop.load(std::memory_order_relaxed)) {
    const int n = ring_buffer__poll(impl_->ring, 100);
    if (n < 0 && n != -EINTR) {
      throw DriverError("bpf: ring buffer poll failed: " + errno_text(n));
    }
    pipeline.flush();
    tick();
  }
  // Detach first, so nothing is written after the last read: then every
  // record the kernel counted as emitted is in the reader's counts too.
  vigil_bpf__detach(impl_->skel);
  ring_buffer__consume(impl_->ring);
  pipeline.flush();
}

KernelCounts BpfDriver::counts() const {
  KernelCounts out;
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<vigil_stats> per_cpu(static_cast<size_t>(ncpu));
  const uint32_t key = 0;
  if (bpf_map__lookup_elem(impl_->skel->maps.vigil_stats, &key, sizeof(key), per_cpu.data(),
                           per_cpu.size() * sizeof(vigil_stats), 0)) {
    return out;
  }
  for (const auto& cpu : per_cpu) {
    for (size_t k = 0; k < kKindCount; ++k) {
      for (size_t c = 0; c < VIGIL_CNT_MAX; ++c) out.count[k][c] += cpu.count[k][c];
    }
  }
  return out;
}

}  // namespace vigil
