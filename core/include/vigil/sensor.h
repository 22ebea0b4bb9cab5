// The sensor's life, whatever the driver and whatever the shards do with
// events: open the outputs, start the driver, seed the process table, drop
// capabilities, run the pipeline until told to stop (telling systemd how it
// goes, serving metrics, reopening outputs on SIGHUP), drain within a bounded
// time, and report every stage's counters.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "vigil/config.h"
#include "vigil/driver.h"
#include "vigil/metrics.h"
#include "vigil/output.h"
#include "vigil/pipeline.h"
#include "vigil/process_table.h"
#include "vigil/render.h"

namespace vigil {

struct SensorOptions {
  std::string output = "-";           //!< JSON lines: a file path, or "-"; when `outputs` is empty
  std::vector<OutputConfig> outputs;  //!< where alerts go; empty: `output` alone
  unsigned shards = 0;                //!< 0: one per CPU
  unsigned batches = 64;              //!< per shard, see PipelineOptions
  double duration_s = 0;              //!< stop after this long; 0: until `stop`
  bool seed_from_proc = true;         //!< false when the events do not come from this host
  Backpressure backpressure = Backpressure::Drop;
  std::string metrics_listen;      //!< HOST:PORT of /metrics and /healthz; "": none
  double shutdown_timeout_s = 5;   //!< for draining outputs at exit
  double status_interval_s = 10;   //!< systemd STATUS= updates
  bool drop_capabilities = false;  //!< after start-up, keep only `keep_capabilities`
  std::vector<int> keep_capabilities;
};

//! What every shard handler may use; outlives the handlers.
struct SensorContext {
  ProcessTable& table;
  OutputSet& sink;
  const RenderContext& render;
};

using DriverFactory = std::function<std::unique_ptr<Driver>()>;
using ShardHandlerFactory =
    std::function<std::unique_ptr<ShardHandler>(unsigned shard, const SensorContext& ctx)>;

//! What a subcommand adds to the sensor's life. Every member may be empty.
struct SensorHooks {
  //! Runs last, while the handlers still exist, to log what they counted.
  std::function<void()> report;
  //! Appends the handlers' metrics to a scrape; on the metrics thread.
  std::function<void(PromText&)> metrics;
  //! Set by SIGHUP; the main loop clears it, reopens the output files, then
  //! calls `on_hangup` (rule reload hooks in here). `on_hangup` runs on the
  //! ring buffer reader's thread: it must return quickly and hand slow work
  //! (compiling rules) to a thread of its own.
  std::atomic<bool>* hangup = nullptr;
  std::function<void()> on_hangup;
};

//! Runs until `stop` is set, the duration passes or the driver's source
//! ends, then drains and logs the summary. Returns the process exit code:
//! 0, 1 when the driver failed, 2 when an output cannot be opened. A
//! metrics endpoint that cannot listen is logged, and the sensor runs on.
int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const SensorHooks& hooks);
//! The same with only a report hook.
int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const std::function<void()>& report);

}  // namespace vigil
