#include "vigil/sensor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <system_error>

#include "vigil/service.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

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

int64_t steady_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The outputs the options name: the list, or the single -o/--output.
std::vector<OutputConfig> output_configs(const SensorOptions& opts) {
  if (!opts.outputs.empty()) return opts.outputs;
  OutputConfig o;
  if (opts.output != "-") {
    o.kind = OutputKind::File;
    o.name = "file";
    o.path = opts.output;
    o.rotate_bytes = 0;
  }
  return {o};
}

void log_summary(const Driver& driver, const PipelineCounts& p, const OutputSet& outputs,
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
  for (const auto& o : outputs.outputs()) {
    const OutputCounts c = o->counts();
    spdlog::info("output '{}': received={} delivered={} dropped={} failed={} retries={}", o->name(),
                 c.received, c.delivered, c.dropped, c.failed, c.retries);
  }
  const StageCounts out = outputs.counts();
  spdlog::info("output: received={} written={} dropped={}", out.received, out.passed, out.dropped);
}

// Everything a scrape reads; all of it outlives the metrics server.
struct MetricsSources {
  const Driver& driver;
  const Pipeline& pipeline;
  const OutputSet& outputs;
  const ProcessTable& table;
  const SensorHooks& hooks;
  Clock::time_point start;
};

std::string render_metrics(const MetricsSources& s) {
  PromText m;
  const std::string driver(s.driver.name());
  m.family("vigil_info", "gauge", "Vigil's version and the driver in use.");
  m.sample("vigil_info", {{"version", VIGIL_VERSION}, {"driver", driver}}, 1);
  m.family("vigil_uptime_seconds", "gauge", "Seconds since the sensor started.");
  m.sample("vigil_uptime_seconds", std::chrono::duration<double>(Clock::now() - s.start).count());

  const KernelCounts k = s.driver.counts();
  m.family("vigil_kernel_events_total", "counter",
           "Events the kernel side emitted, dropped (ring buffer full), failed to read, or cut.");
  static constexpr std::pair<vigil_counter, std::string_view> kCounters[] = {
      {VIGIL_CNT_EMITTED, "emitted"},
      {VIGIL_CNT_DROPPED, "dropped"},
      {VIGIL_CNT_READ_FAIL, "read_failed"},
      {VIGIL_CNT_TRUNCATED, "truncated"}};
  for (uint16_t kind = 1; kind < kKindCount; ++kind) {
    for (const auto& [c, name] : kCounters) {
      m.sample("vigil_kernel_events_total",
               {{"driver", driver}, {"kind", kind_name(kind)}, {"result", name}},
               static_cast<double>(k.count[kind][c]));
    }
  }

  const PipelineCounts p = s.pipeline.counts();
  m.family("vigil_reader_records_total", "counter",
           "Records the reader received, rejected as invalid, dropped (shard queue full), queued.");
  m.sample("vigil_reader_records_total", {{"result", "received"}}, p.received);
  m.sample("vigil_reader_records_total", {{"result", "invalid"}}, p.invalid);
  m.sample("vigil_reader_records_total", {{"result", "dropped"}}, p.dropped);
  m.sample("vigil_reader_records_total", {{"result", "queued"}}, p.queued);
  m.family("vigil_shard_records_handled_total", "counter", "Records the shards handled.");
  m.sample("vigil_shard_records_handled_total", p.handled);
  m.family("vigil_shard_queue_batches", "gauge", "64 KiB batches waiting in each shard's queue.");
  for (unsigned i = 0; i < s.pipeline.shards(); ++i) {
    const std::string shard = std::to_string(i);
    m.sample("vigil_shard_queue_batches", {{"shard", shard}},
             static_cast<double>(s.pipeline.queued_batches(i)));
  }
  m.family("vigil_processes_tracked", "gauge", "Processes in the process table.");
  m.sample("vigil_processes_tracked", static_cast<double>(s.table.size()));

  m.family("vigil_output_alerts_total", "counter",
           "Alerts offered to each output, delivered, dropped (queue full or left at shutdown) "
           "and failed (given up on).");
  std::vector<std::pair<std::string, OutputCounts>> outs;
  for (const auto& o : s.outputs.outputs()) outs.emplace_back(o->name(), o->counts());
  for (const auto& [name, c] : outs) {
    m.sample("vigil_output_alerts_total", {{"output", name}, {"result", "received"}}, c.received);
    m.sample("vigil_output_alerts_total", {{"output", name}, {"result", "delivered"}}, c.delivered);
    m.sample("vigil_output_alerts_total", {{"output", name}, {"result", "dropped"}}, c.dropped);
    m.sample("vigil_output_alerts_total", {{"output", name}, {"result", "failed"}}, c.failed);
  }
  m.family("vigil_output_retries_total", "counter", "Failed delivery attempts that were retried.");
  for (const auto& [name, c] : outs) {
    m.sample("vigil_output_retries_total", {{"output", name}}, c.retries);
  }
  m.family("vigil_output_queue_depth", "gauge", "Alerts waiting in each output's queue.");
  for (const auto& [name, c] : outs) {
    m.sample("vigil_output_queue_depth", {{"output", name}}, c.queued);
  }

  if (s.hooks.metrics) s.hooks.metrics(m);
  write_memory_metrics(m);
  return m.text();
}

}  // namespace

int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const std::function<void()>& report) {
  SensorHooks hooks;
  hooks.report = report;
  return run_sensor(opts, make_driver, make_handler, stop, hooks);
}

int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const SensorHooks& hooks) {
  const auto start = Clock::now();
  Notifier notify;

  // Outputs open first (files need privileges we are about to drop); their
  // writer threads start after the drop, so that they never hold any.
  std::unique_ptr<OutputSet> outputs;
  try {
    outputs = OutputSet::open(output_configs(opts));
  } catch (const OutputError& e) {
    spdlog::error("{}", e.what());
    return 2;
  }

  ProcessTable table;
  BootClock clock;
  const RenderContext render{host_name(), &clock};
  const SensorContext ctx{table, *outputs, render};

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

  // Before any thread starts: threads inherit the capabilities of their creator.
  if (opts.drop_capabilities) {
    try {
      drop_capabilities(opts.keep_capabilities);
    } catch (const std::system_error& e) {
      spdlog::error("capabilities: {}", e.what());
      return 1;
    }
    spdlog::info("capabilities: dropped; now '{}'", current_capabilities());
  }
  outputs->start();

  PipelineOptions po;
  po.shards = opts.shards;
  po.batches_per_shard = opts.batches;
  po.backpressure = opts.backpressure;
  Pipeline pipeline(
      po, [&](unsigned shard) { return make_handler(shard, ctx); }, &table);
  spdlog::info("pipeline: {} shards", pipeline.shards());

  int rc = 0;
  // The reader's heartbeat, for /healthz: steady-clock ns of its last tick.
  std::atomic<int64_t> last_tick{steady_ns(start)};
  const MetricsSources sources{*driver, pipeline, *outputs, table, hooks, start};
  std::unique_ptr<MetricsServer> metrics;
  if (!opts.metrics_listen.empty()) {
    try {
      metrics = std::make_unique<MetricsServer>(
          opts.metrics_listen, [&sources] { return render_metrics(sources); },
          [&last_tick]() -> std::string {
            // Relaxed: a lone timestamp.
            const int64_t age = steady_ns(Clock::now()) - last_tick.load(std::memory_order_relaxed);
            if (age < 5'000'000'000) return "";
            return fmt::format("reader loop stalled for {:.1f} s", age / 1e9);
          });
      spdlog::info("metrics: serving http://{}/metrics and /healthz", opts.metrics_listen);
    } catch (const std::exception& e) {
      // A taken port must not keep a security sensor from running.
      spdlog::error("{}; running without metrics", e.what());
    }
  }

  notify.ready(fmt::format("running: driver {}, {} shards", driver->name(), pipeline.shards()));
  if (notify.enabled()) {
    spdlog::info("systemd: ready{}",
                 notify.watchdog().count()
                     ? fmt::format(", watchdog every {} ms", notify.watchdog().count() / 1000)
                     : "");
  }

  auto last_second = start;
  auto last_status = start;
  PipelineCounts status_base{};
  const auto status_every = std::chrono::duration<double>(opts.status_interval_s);
  auto tick = [&] {
    const auto now = Clock::now();
    last_tick.store(steady_ns(now), std::memory_order_relaxed);
    notify.tick(now);
    if (opts.duration_s > 0 && now - start >= std::chrono::duration<double>(opts.duration_s)) {
      stop.store(true, std::memory_order_relaxed);
    }
    // Relaxed exchange: the flag carries nothing but itself.
    if (hooks.hangup && hooks.hangup->exchange(false, std::memory_order_relaxed)) {
      spdlog::info("signal: SIGHUP, reopening output files");
      outputs->reopen();
      if (hooks.on_hangup) hooks.on_hangup();
    }
    if (now - last_second >= std::chrono::seconds(1)) {
      table.expire(boot_ns_now());
      clock.refresh();
      last_second = now;
    }
    if (notify.enabled() && now - last_status >= status_every) {
      const PipelineCounts p = pipeline.counts();
      const double secs = std::chrono::duration<double>(now - last_status).count();
      const StageCounts out = outputs->counts();
      notify.status(fmt::format("{:.0f} events/s, {} events, {} dropped, {} alerts delivered",
                                (p.received - status_base.received) / secs, p.received,
                                p.dropped + p.invalid + driver->counts().total(VIGIL_CNT_DROPPED),
                                out.passed));
      status_base = p;
      last_status = now;
    }
  };

  try {
    driver->run(pipeline, stop, tick);
  } catch (const DriverError& e) {
    spdlog::error("{}", e.what());
    rc = 1;
  }

  notify.stopping();
  spdlog::info("stopping: draining queues");
  pipeline.stop();
  const auto timeout =
      std::chrono::milliseconds(static_cast<int64_t>(opts.shutdown_timeout_s * 1000));
  outputs->close(timeout);
  metrics.reset();
  log_summary(*driver, pipeline.counts(), *outputs, table.size());
  if (hooks.report) hooks.report();
  return rc;
}

}  // namespace vigil
