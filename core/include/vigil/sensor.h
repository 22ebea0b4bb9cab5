// The sensor's life, whatever the driver and whatever the shards do with
// events: open the output, start the driver, seed the process table, run the
// pipeline until told to stop, drain, and report every stage's counters.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "vigil/driver.h"
#include "vigil/pipeline.h"
#include "vigil/process_table.h"
#include "vigil/render.h"
#include "vigil/sink.h"

namespace vigil {

struct SensorOptions {
  std::string output = "-";    //!< JSON lines: a file path, or "-" for stdout
  unsigned shards = 0;         //!< 0: one per CPU
  unsigned batches = 64;       //!< per shard, see PipelineOptions
  double duration_s = 0;       //!< stop after this long; 0: until `stop`
  bool seed_from_proc = true;  //!< false when the events do not come from this host
  Backpressure backpressure = Backpressure::Drop;
};

//! What every shard handler may use; outlives the handlers.
struct SensorContext {
  ProcessTable& table;
  LineSink& sink;
  const RenderContext& render;
};

using DriverFactory = std::function<std::unique_ptr<Driver>()>;
using ShardHandlerFactory =
    std::function<std::unique_ptr<ShardHandler>(unsigned shard, const SensorContext& ctx)>;

//! Runs until `stop` is set, the duration passes or the driver's source
//! ends, then drains and logs the summary. `report` runs last, while the
//! handlers still exist, to log what they counted. Returns the process exit
//! code: 0, 1 when the driver failed, 2 when the output cannot be opened.
int run_sensor(const SensorOptions& opts, const DriverFactory& make_driver,
               const ShardHandlerFactory& make_handler, std::atomic<bool>& stop,
               const std::function<void()>& report);

}  // namespace vigil
