// vigil trace: print every event as JSON, without rules.
#include <spdlog/spdlog.h>

#include "cli.h"
#include "vigil/detector.h"

namespace vigil::cli {

void add_trace_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("trace", "Print every event as JSON, without rules");
  auto flags = std::make_shared<SensorFlags>();
  auto kinds = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"all"});
  auto threads = std::make_shared<bool>(false);
  cmd->add_option("--kinds", *kinds,
                  "Kinds to print, comma-separated, or 'all' (" + kind_list(kAllKinds) + ")")
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

    uint64_t mask = 0;
    for (const auto& k : *kinds) {
      if (k == "all") {
        mask |= kAllKinds;
        continue;
      }
      const uint16_t kind = kind_from_name(k);
      if (kind == 0) {
        spdlog::error("--kinds: unknown kind '{}' (known: all, {})", k, kind_list(kAllKinds));
        exit_code = 2;
        return;
      }
      mask |= kind_bit(kind);
    }
    auto make = [mask](unsigned, const SensorContext& ctx) {
      return std::unique_ptr<ShardHandler>(
          std::make_unique<Tracer>(mask, ctx.table, ctx.sink, ctx.render));
    };
    SensorHooks hooks;
    hooks.hangup = &hangup_flag();
    exit_code = run_sensor(
        flags->sensor,
        [&] {
          LiveWants wants;
          wants.threads = *threads;
          wants.kinds = mask;
          return make_live_driver(*flags, wants);
        },
        make, stop_flag(), hooks);
  });
}

}  // namespace vigil::cli
