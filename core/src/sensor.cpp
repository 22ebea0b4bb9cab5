#include "vigil/sensor.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <system_error>

namespace vigil {
namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

uint64_t boot_ns_now() {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void log_summary(const Driver& driver, const PipelineCounts& p, const StageCounts& out,
                 size_t table_size) {
  const KernelCounts k = driver.counts();
  // One line per kind that counted anything: a kind not attached, or that
  // saw nothing, has nothing to report.
  for (uint16_t kind = 1; kind < kKindCount; ++kind) {
    const auto& c = k.count[kind];
    if (std::all_of(c.begin(), c.end(), [](uint64_t v) { return v == 0; })) continue;
    spdlog::info("{} {}: emitted={} dropped={} read_failed={} truncated={} filtered={}",
                 driver.name(), kind_name(kind), c[VIGIL_CNT_EMITTED], c[VIGIL_CNT_DROPPED],
                 c[VIGIL_CNT_READ_FAIL], c[VIGIL_CNT_TRUNCATED], c[VIGIL_CNT_FILTERED]);
  }
  spdlog::info("reader: received={} invalid={} dropped={} queued={}", p.received, p.invalid,
               p.dropped, p.queued);
  spdlog::info("shards: handled={} processes_tracked={}", p.handled, table_size);
  spdlog::info("output: received={} written={} dropped={}", out.received, out.passed, out.dropped);
}

}  // namespace

int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const std::function<void()>& report) {
  std::unique_ptr<LineSink> sink;
  try {
    sink = LineSink::open(opts.output);
  } catch (const std::system_error& e) {
    spdlog::error("output: {}", e.what());
    return 2;
  }

  ProcessTable table;
  BootClock clock;
  const RenderContext render{host_name(), &clock};
  const SensorContext ctx{table, *sink, render};

  std::unique_ptr<Driver> driver;
  try {
    driver = make_driver();
  } catch (const DriverError& e) {
    spdlog::error("{}", e.what());
    return 1;
  }

  // After the driver started: whatever begins from now on arrives as events.
  if (opts.seed_from_proc) {
    spdlog::info("process table: {} processes from /proc", table.seed_from_proc());
  }

  PipelineOptions po;
  po.shards = opts.shards;
  po.batches_per_shard = opts.batches;
  po.backpressure = opts.backpressure;
  Pipeline pipeline(
      po, [&](unsigned shard) { return make_handler(shard, ctx); }, &table);
  spdlog::info("pipeline: {} shards", pipeline.shards());

  const auto start = std::chrono::steady_clock::now();
  auto last_second = start;
  auto tick = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (opts.duration_s > 0 && now - start >= std::chrono::duration<double>(opts.duration_s)) {
      stop.store(true, std::memory_order_relaxed);
    }
    if (now - last_second >= std::chrono::seconds(1)) {
      table.expire(boot_ns_now());
      clock.refresh();
      last_second = now;
    }
  };

  int rc = 0;
  try {
    driver->run(pipeline, stop, tick);
  } catch (const DriverError& e) {
    spdlog::error("{}", e.what());
    rc = 1;
  }

  spdlog::info("stopping: draining queues");
  pipeline.stop();
  sink->close(std::chrono::seconds(5));
  log_summary(*driver, pipeline.counts(), sink->counts(), table.size());
  report();
  return rc;
}

}  // namespace vigil
