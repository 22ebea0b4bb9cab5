// vigil trace: print every event as JSON, without rules.
#include <spdlog/spdlog.h>

#include "cli.h"
#include "vigil/detector.h"

namespace vigil::cli {

void add_trace_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("trace", "Print every event as JSON, without rules");
  auto flags = std::make_shared<SensorFlags>();
  auto kinds =
      std::make_shared<std::vector<std::string>>(std::vector<std::string>{"exec", "fork", "exit"});
  auto threads = std::make_shared<bool>(false);
  cmd->add_option("--kinds", *kinds, "Kinds to print (exec, fork, exit)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--threads", *threads, "Also print thread creation and exit");
  add_sensor_flags(cmd, *flags);

  flags->config_outputs = false;

  cmd->callback([flags, kinds, threads, &exit_code] {
    if (!resolve_sensor_flags(*flags)) {
      exit_code = 2;
      return;
    }
    install_signals();

    uint32_t mask = 0;
    for (const auto& k : *kinds) {
      const uint16_t kind = kind_from_name(k);
      if (kind == 0) {
        spdlog::error("--kinds: unknown kind '{}' (known: exec, fork, exit)", k);
        exit_code = 2;
        return;
      }
      mask |= 1u << kind;
    }
    auto make = [mask](unsigned, const SensorContext& ctx) {
      return std::unique_ptr<ShardHandler>(
          std::make_unique<Tracer>(mask, ctx.table, ctx.sink, ctx.render));
    };
    SensorHooks hooks;
    hooks.hangup = &hangup_flag();
    exit_code = run_sensor(
        flags->sensor, [&] { return make_live_driver(*flags, *threads); }, make, stop_flag(),
        hooks);
  });
}

}  // namespace vigil::cli
