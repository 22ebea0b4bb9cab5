// vigil run: watch the host and print an alert per rule match.
#include <spdlog/spdlog.h>

#include "cli.h"
#include "vigil/detector.h"
#include "vigil/rules.h"

namespace vigil::cli {

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Watch the host and print an alert per rule match");
  auto flags = std::make_shared<SensorFlags>();
  auto rule_paths = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-r,--rules", *rule_paths, "Rule file or directory (repeatable)")
      ->default_val(std::vector<std::string>{VIGIL_DEFAULT_RULES});
  add_sensor_flags(cmd, *flags);

  cmd->callback([flags, rule_paths, &exit_code] {
    setup_logging(flags->verbosity);
    install_signals();

    std::shared_ptr<const rules::RuleSet> rules;
    try {
      rules = rules::RuleSet::load(*rule_paths);
    } catch (const rules::RuleError& e) {
      spdlog::error("rules: {}", e.what());
      exit_code = 2;
      return;
    }
    spdlog::info("rules: {} loaded", rules->rules().size());

    std::vector<const Detector*> detectors;
    auto make = [&](unsigned, const SensorContext& ctx) {
      auto d = std::make_unique<Detector>(rules, ctx.table, ctx.sink, ctx.render);
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
    LiveWants wants;
    wants.kinds = Detector::kinds_of(*rules);
    exit_code = run_sensor(
        flags->sensor, [&] { return make_live_driver(*flags, wants); }, make, stop_flag(), report);
  });
}

}  // namespace vigil::cli
