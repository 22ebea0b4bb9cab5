#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>

#include "cli.h"
#include "vigil/bpf_driver.h"
#include "vigil/service.h"

namespace vigil::cli {

std::atomic<bool>& stop_flag() {
  return signal_flags().stop;
}

std::atomic<bool>& hangup_flag() {
  return signal_flags().hangup;
}

void install_signals() {
  install_signal_handlers();
}

void add_config_flag(CLI::App* cmd, std::string& path) {
  cmd->add_option(
      "-c,--config", path,
      fmt::format("Configuration file (default: {} when it exists)", default_config_path()));
}

void add_sensor_flags(CLI::App* cmd, SensorFlags& f) {
  add_config_flag(cmd, f.config_path);
  f.opt_output = cmd->add_option("-o,--output", f.output,
                                 "Where JSON lines go: a file, or - for stdout (replaces the "
                                 "configured outputs)");
  f.opt_shards = cmd->add_option("--shards", f.shards, "Shard workers (0: one per CPU)")
                     ->check(CLI::Range(0u, 1024u));
  f.opt_duration =
      cmd->add_option("--duration", f.sensor.duration_s,
                      "Stop after this many seconds (0: run until SIGINT/SIGTERM)")
          ->check([](const std::string& v) {
            // CLI11's NonNegativeNumber lets "nan" and "inf" through.
            double d = 0;
            const auto r = std::from_chars(v.data(), v.data() + v.size(), d);
            if (r.ec != std::errc{} || r.ptr != v.data() + v.size() || !std::isfinite(d) || d < 0) {
              return "not a number of seconds >= 0: " + v;
            }
            return std::string();
          });
  f.opt_ring =
      cmd->add_option("--ring-mib", f.ring_mib, "eBPF ring buffer size in MiB, a power of two")
          ->check(CLI::Range(1u, 1024u))
          ->check([](const std::string& v) {
            const unsigned long n = std::stoul(v);
            return (n & (n - 1)) == 0 ? std::string() : "not a power of two: " + v;
          });
  f.opt_batches = cmd->add_option("--batches", f.batches, "Batches of 64 KiB queued per shard")
                      ->check(CLI::Range(2u, 65536u));
  f.opt_metrics = cmd->add_option("--metrics-listen", f.metrics_listen,
                                  "HOST:PORT for /metrics and /healthz; \"\" for none");
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

Config load_sensor_config(const std::string& path) {
  if (!path.empty()) return load_config(path);
  const std::string fallback(default_config_path());
  std::error_code ec;
  if (std::filesystem::exists(fallback, ec)) return load_config(fallback);
  return default_config();
}

bool resolve_sensor_flags(SensorFlags& f) {
  try {
    f.config = load_sensor_config(f.config_path);
  } catch (const ConfigError& e) {
    setup_logging("info");
    spdlog::error("config: {}", e.what());
    return false;
  }
  Config& c = f.config;
  if (f.verbosity > 0) c.log_level = "debug";
  setup_logging(c.log_level);
  spdlog::info("config: {}", c.source.empty() ? "built-in defaults" : "'" + c.source + "'");

  if (f.opt_shards->count()) c.shards = f.shards;
  if (f.opt_batches->count()) c.batches = f.batches;
  if (f.opt_ring->count()) c.ring_mib = f.ring_mib;
  if (f.opt_metrics->count()) c.metrics_listen = f.metrics_listen;
  if (f.opt_output->count() || (!f.config_outputs && f.config_path.empty())) {
    OutputConfig o;
    if (f.output != "-") {
      o.kind = OutputKind::File;
      o.name = "file";
      o.path = f.output;
      o.rotate_bytes = 0;
    }
    c.outputs = {o};
  }

  f.ring_mib = c.ring_mib;
  SensorOptions& s = f.sensor;
  s.outputs = c.outputs;
  s.shards = c.shards;
  s.batches = c.batches;
  s.metrics_listen = c.metrics_listen;
  s.shutdown_timeout_s = c.shutdown_timeout_s;
  s.status_interval_s = c.status_interval_s;
  s.drop_capabilities = geteuid() == 0;
  s.keep_capabilities.clear();
  for (const auto& name : c.keep_capabilities) {
    s.keep_capabilities.push_back(capability_from_name(name));
  }
  return true;
}

std::unique_ptr<Driver> make_live_driver(const SensorFlags& flags, const LiveWants& wants) {
  BpfOptions bo;
  bo.ring_bytes = flags.ring_mib << 20;
  bo.threads = wants.threads;
  bo.kinds = wants.kinds;
  bo.open_prefixes = wants.open_prefixes;
  auto driver = std::make_unique<BpfDriver>(bo);
  spdlog::info("driver: ebpf attached (ring buffer {} MiB)", flags.ring_mib);
  spdlog::info("driver: kinds attached: {}", kind_list(driver->attached_kinds()));
  if (!bo.open_prefixes.empty()) {
    spdlog::info("driver: opens filtered in the kernel to {} path prefixes",
                 bo.open_prefixes.size());
  }
  return driver;
}

}  // namespace vigil::cli
