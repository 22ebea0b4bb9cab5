// Pieces the vigil subcommands share. Each subcommand lives in a file of its
// own (run.cpp, trace.cpp, ...) and registers itself on the CLI11 app; its
// callback stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "vigil/driver.h"
#include "vigil/sensor.h"

namespace vigil::cli {

//! Options of every subcommand that runs the sensor.
struct SensorFlags {
  SensorOptions sensor;
  uint32_t ring_mib = 16;  //!< eBPF ring buffer
  int verbosity = 0;
};

//! Adds --output, --shards, --duration, --ring-mib, --batches, -v to `cmd`.
void add_sensor_flags(CLI::App* cmd, SensorFlags& flags);

//! Logs to stderr, at debug level when `verbosity` > 0.
void setup_logging(int verbosity);

//! Set by SIGINT and SIGTERM once install_signals() ran.
std::atomic<bool>& stop_flag();
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

}  // namespace vigil::cli
