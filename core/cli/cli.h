// Pieces the vigil subcommands share. Each subcommand lives in a file of its
// own (run.cpp, trace.cpp, ...) and registers itself on the CLI11 app; its
// callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "vigil/config.h"
#include "vigil/driver.h"
#include "vigil/sensor.h"

namespace vigil::cli {

//! Options of every subcommand that runs the sensor: the configuration file
//! (--config), then the flags given on the command line on top of it.
struct SensorFlags {
  //! Filled by resolve_sensor_flags() from `config` and the flags given.
  SensorOptions sensor;
  uint32_t ring_mib = 16;  //!< eBPF ring buffer
  int verbosity = 0;
  //! The configuration file's settings, flags applied; valid after resolve.
  Config config;
  //! run takes its outputs from the configuration; trace from -o, or from
  //! a configuration given explicitly with --config.
  bool config_outputs = true;

  // The flags' own values and options, applied over the file when given.
  std::string config_path;
  std::string output = "-";
  unsigned shards = 0;
  unsigned batches = 64;
  std::string metrics_listen;
  CLI::Option* opt_output = nullptr;
  CLI::Option* opt_shards = nullptr;
  CLI::Option* opt_batches = nullptr;
  CLI::Option* opt_ring = nullptr;
  CLI::Option* opt_metrics = nullptr;
  CLI::Option* opt_duration = nullptr;
};

//! Adds --config, --output, --shards, --duration, --ring-mib, --batches,
//! --metrics-listen, -v to `cmd`.
void add_sensor_flags(CLI::App* cmd, SensorFlags& flags);

//! Adds --config to a command that reads the configuration only.
void add_config_flag(CLI::App* cmd, std::string& path);

//! Loads the configuration: `path`, or /etc/vigil/vigil.yaml when it exists,
//! else the built-in defaults. Throws ConfigError.
Config load_sensor_config(const std::string& path);

//! Loads the configuration, applies the flags given, sets up logging and
//! fills flags.sensor. Returns false, having logged why, on a bad
//! configuration.
bool resolve_sensor_flags(SensorFlags& flags);

//! Set by SIGINT and SIGTERM once install_signals() ran.
std::atomic<bool>& stop_flag();
//! Set by SIGHUP: reopen output files, reload rules.
std::atomic<bool>& hangup_flag();
void install_signals();

//! What a subcommand wants from the live driver.
struct LiveWants {
  bool threads = false;                    //!< thread creation and exit too
  uint64_t kinds = kAllKinds;              //!< bit (1 << kind) per kind wanted
  std::vector<std::string> open_prefixes;  //!< see BpfOptions::open_prefixes
};

//! The driver for live events on this host. Throws DriverError.
std::unique_ptr<Driver> make_live_driver(const SensorFlags& flags, const LiveWants& wants);

//! Kind names, comma-separated, of the kinds in `mask`.
std::string kind_list(uint64_t mask);

void add_run_command(CLI::App& app, int& exit_code);
void add_trace_command(CLI::App& app, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);

}  // namespace vigil::cli
