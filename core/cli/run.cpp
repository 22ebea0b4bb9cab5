// vigil run: watch the host and print an alert per rule match.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cli.h"
#include "vigil/bpf_driver.h"
#include "vigil/detector.h"
#include "vigil/rules.h"

namespace vigil::cli {
namespace {

// The path prefixes the kernel may filter opens by: those every rule on
// opens requires of file.path, when the driver can hold them all.
std::vector<std::string> open_prefixes(const rules::RuleSet& rules) {
  if (!(Detector::kinds_of(rules) & kind_bit(VIGIL_KIND_OPEN))) return {};
  const auto prefixes = rules.required_prefixes(rules::FieldId::FilePath, VIGIL_KIND_OPEN);
  if (!prefixes) {
    spdlog::info("rules: a rule on opens has no file.path prefix: every open is reported");
    return {};
  }
  const bool fit = prefixes->size() <= BpfOptions::kMaxOpenPrefixes &&
                   std::all_of(prefixes->begin(), prefixes->end(), [](const std::string& p) {
                     return !p.empty() && p.size() <= BpfOptions::kMaxPrefixBytes;
                   });
  if (!fit) {
    spdlog::info("rules: too many or too long file.path prefixes to filter opens in the kernel");
    return {};
  }
  return *prefixes;
}

}  // namespace

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
    wants.open_prefixes = open_prefixes(*rules);
    exit_code = run_sensor(
        flags->sensor, [&] { return make_live_driver(*flags, wants); }, make, stop_flag(), report);
  });
}

}  // namespace vigil::cli
