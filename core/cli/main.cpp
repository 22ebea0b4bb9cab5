// vigil: the command line. `run` watches the host and alerts on rule
// matches; `trace` prints every event.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <optional>
#include <system_error>

#include "vigil/bpf_driver.h"
#include "vigil/detector.h"
#include "vigil/pipeline.h"
#include "vigil/process_table.h"
#include "vigil/render.h"
#include "vigil/rules.h"
#include "vigil/sink.h"

namespace {

using namespace vigil;

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed output shows up as EPIPE and is counted
}

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("vigil");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

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

// What run and trace share.
struct SensorOptions {
  std::string output = "-";
  unsigned shards = 0;
  double duration_s = 0;
  uint32_t ring_mib = 16;
  unsigned batches = 64;
  int verbosity = 0;
};

void log_summary(const KernelCounts& k, const PipelineCounts& p, const StageCounts& out,
                 size_t table_size) {
  for (uint16_t kind = 1; kind < kKindCount; ++kind) {
    const auto& c = k.count[kind];
    spdlog::info("kernel {}: emitted={} dropped={} read_failed={} truncated={}", kind_name(kind),
                 c[VIGIL_CNT_EMITTED], c[VIGIL_CNT_DROPPED], c[VIGIL_CNT_READ_FAIL],
                 c[VIGIL_CNT_TRUNCATED]);
  }
  spdlog::info("reader: received={} invalid={} dropped={} queued={}", p.received, p.invalid,
               p.dropped, p.queued);
  spdlog::info("shards: handled={} processes_tracked={}", p.handled, table_size);
  spdlog::info("output: received={} written={} dropped={}", out.received, out.passed, out.dropped);
}

// Attaches the driver, runs the pipeline until a signal or the duration ends,
// then drains and reports. `make` builds each shard's handler.
int run_sensor(const SensorOptions& o, bool threads,
               const std::function<std::unique_ptr<ShardHandler>(unsigned, ProcessTable&, LineSink&,
                                                                 const RenderContext&)>& make,
               const std::function<void()>& report) {
  std::unique_ptr<LineSink> sink;
  try {
    sink = LineSink::open(o.output);
  } catch (const std::system_error& e) {
    spdlog::error("output: {}", e.what());
    return 2;
  }

  ProcessTable table;
  BootClock clock;
  const RenderContext ctx{host_name(), &clock};

  BpfOptions bo;
  bo.ring_bytes = o.ring_mib << 20;
  bo.threads = threads;
  std::optional<BpfDriver> driver;
  try {
    driver.emplace(bo);
  } catch (const DriverError& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  spdlog::info("driver: ebpf attached (ring buffer {} MiB)", o.ring_mib);

  // After attaching: whatever starts from now on is seen as an event.
  const size_t seeded = table.seed_from_proc();
  spdlog::info("process table: {} processes from /proc", seeded);

  PipelineOptions po;
  po.shards = o.shards;
  po.batches_per_shard = o.batches;
  Pipeline pipeline(
      po, [&](unsigned shard) { return make(shard, table, *sink, ctx); }, &table);
  spdlog::info("pipeline: {} shards", pipeline.shards());

  const auto start = std::chrono::steady_clock::now();
  auto last_expire = start;
  auto tick = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (o.duration_s > 0 && now - start >= std::chrono::duration<double>(o.duration_s)) {
      g_stop.store(true, std::memory_order_relaxed);
    }
    if (now - last_expire >= std::chrono::seconds(1)) {
      table.expire(boot_ns_now());
      clock.refresh();
      last_expire = now;
    }
  };
  try {
    driver->run(pipeline, g_stop, tick);
  } catch (const DriverError& e) {
    spdlog::error("{}", e.what());
    pipeline.stop();
    return 1;
  }

  spdlog::info("stopping: draining queues");
  pipeline.stop();
  sink->close(std::chrono::seconds(5));
  log_summary(driver->counts(), pipeline.counts(), sink->counts(), table.size());
  report();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil: a runtime security sensor for Linux workloads"};
  app.require_subcommand(1);

  SensorOptions o;
  auto add_common = [&o](CLI::App* cmd) {
    cmd->add_option("-o,--output", o.output, "Where JSON lines go: a file, or - for stdout")
        ->capture_default_str();
    cmd->add_option("--shards", o.shards, "Shard workers (0: one per CPU)")->capture_default_str();
    cmd->add_option("--duration", o.duration_s,
                    "Stop after this many seconds (0: run until "
                    "SIGINT/SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--ring-mib", o.ring_mib, "BPF ring buffer size in MiB (power of two)")
        ->check(CLI::Range(1u, 1024u))
        ->capture_default_str();
    cmd->add_option("--batches", o.batches, "Batches of 64 KiB queued per shard")
        ->check(CLI::Range(2u, 65536u))
        ->capture_default_str();
    cmd->add_flag("-v,--verbose", o.verbosity, "Debug logging, libbpf's included");
  };

  auto* run = app.add_subcommand("run", "Watch the host and print an alert per rule match");
  std::vector<std::string> rule_paths;
  run->add_option("-r,--rules", rule_paths, "Rule file or directory (repeatable)")
      ->default_val(std::vector<std::string>{VIGIL_DEFAULT_RULES});
  add_common(run);

  auto* trace = app.add_subcommand("trace", "Print every event as JSON, without rules");
  std::vector<std::string> kinds{"exec", "fork", "exit"};
  bool threads = false;
  trace->add_option("--kinds", kinds, "Kinds to print (exec, fork, exit)")
      ->delimiter(',')
      ->capture_default_str();
  trace->add_flag("--threads", threads, "Also print thread creation and exit");
  add_common(trace);

  CLI11_PARSE(app, argc, argv);
  setup_logging(o.verbosity);
  install_signals();
  if ((o.ring_mib & (o.ring_mib - 1)) != 0) {
    spdlog::error("--ring-mib: {} is not a power of two", o.ring_mib);
    return 2;
  }

  if (run->parsed()) {
    std::shared_ptr<const rules::RuleSet> rules;
    try {
      rules = rules::RuleSet::load(rule_paths);
    } catch (const rules::RuleError& e) {
      spdlog::error("rules: {}", e.what());
      return 2;
    }
    spdlog::info("rules: {} loaded", rules->rules().size());

    std::vector<Detector*> detectors;
    auto make = [&](unsigned, ProcessTable& table, LineSink& sink, const RenderContext& ctx) {
      auto d = std::make_unique<Detector>(rules, table, sink, ctx);
      detectors.push_back(d.get());
      return std::unique_ptr<ShardHandler>(std::move(d));
    };
    auto report = [&] {
      uint64_t evaluated = 0, alerts = 0;
      for (const Detector* d : detectors) {
        evaluated += d->evaluated();
        alerts += d->alerts();
      }
      spdlog::info("detector: evaluated={} alerts={}", evaluated, alerts);
    };
    return run_sensor(o, false, make, report);
  }

  uint32_t kind_mask = 0;
  for (const auto& k : kinds) {
    const uint16_t kind = kind_from_name(k);
    if (kind == 0) {
      spdlog::error("--kinds: unknown kind '{}' (known: exec, fork, exit)", k);
      return 2;
    }
    kind_mask |= 1u << kind;
  }
  auto make = [&](unsigned, ProcessTable& table, LineSink& sink, const RenderContext& ctx) {
    return std::unique_ptr<ShardHandler>(std::make_unique<Tracer>(kind_mask, table, sink, ctx));
  };
  return run_sensor(o, threads, make, [] {});
}
