#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "cli.h"
#include "vigil/bpf_driver.h"

namespace vigil::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace

std::atomic<bool>& stop_flag() {
  return g_stop;
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

void add_sensor_flags(CLI::App* cmd, SensorFlags& f) {
  cmd->add_option("-o,--output", f.sensor.output, "Where JSON lines go: a file, or - for stdout")
      ->capture_default_str();
  cmd->add_option("--shards", f.sensor.shards, "Shard workers (0: one per CPU)")
      ->capture_default_str();
  cmd->add_option("--duration", f.sensor.duration_s,
                  "Stop after this many seconds (0: run until SIGINT/SIGTERM)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ring-mib", f.ring_mib, "eBPF ring buffer size in MiB, a power of two")
      ->check(CLI::Range(1u, 1024u))
      ->check([](const std::string& v) {
        const unsigned long n = std::stoul(v);
        return (n & (n - 1)) == 0 ? std::string() : "not a power of two: " + v;
      })
      ->capture_default_str();
  cmd->add_option("--batches", f.sensor.batches, "Batches of 64 KiB queued per shard")
      ->check(CLI::Range(2u, 65536u))
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", f.verbosity, "Debug logging, libbpf's included");
}

std::string kind_list(uint64_t mask) {
  std::string out;
  for (uint16_t k = 1; k < kKindCount; ++k) {
    if (!(mask & kind_bit(k))) continue;
    if (!out.empty()) out += ',';
    out += kind_name(k);
  }
  return out;
}

std::unique_ptr<Driver> make_live_driver(const SensorFlags& flags, const LiveWants& wants) {
  BpfOptions bo;
  bo.ring_bytes = flags.ring_mib << 20;
  bo.threads = wants.threads;
  bo.kinds = wants.kinds;
  bo.open_prefixes = wants.open_prefixes;
  auto driver = std::make_unique<BpfDriver>(bo);
  spdlog::info("driver: ebpf attached (ring buffer {} MiB), kinds: {}", flags.ring_mib,
               kind_list(driver->attached_kinds()));
  if (!bo.open_prefixes.empty()) {
    spdlog::info("driver: opens filtered in the kernel to {} path prefixes",
                 bo.open_prefixes.size());
  }
  return driver;
}

}  // namespace vigil::cli
