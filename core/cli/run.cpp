// vigil run: watch the host and print an alert per rule match.
#include <fmt/ranges.h>
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

// Per-rule match counts and the matcher's latency, summed over the shards.
void write_detector_metrics(PromText& m, const std::vector<const Detector*>& detectors) {
  if (detectors.empty()) return;
  const auto& rules = detectors.front()->rules().rules();
  uint64_t evaluated = 0, alerts = 0, sum_ns = 0;
  std::vector<uint64_t> matches(rules.size()), buckets;
  for (const Detector* d : detectors) {
    evaluated += d->evaluated();
    alerts += d->alerts();
    for (size_t i = 0; i < rules.size(); ++i) matches[i] += d->rule_matches(i);
    d->match_latency().add_to(buckets, sum_ns);
  }
  m.family("vigil_detector_events_evaluated_total", "counter", "Events matched against the rules.");
  m.sample("vigil_detector_events_evaluated_total", evaluated);
  m.family("vigil_detector_alerts_total", "counter", "Alerts raised.");
  m.sample("vigil_detector_alerts_total", alerts);
  m.family("vigil_rule_matches_total", "counter", "Matches per rule.");
  for (size_t i = 0; i < rules.size(); ++i) {
    m.sample("vigil_rule_matches_total", {{"rule", rules[i].id}}, matches[i]);
  }
  write_histogram(m, "vigil_match_duration_seconds",
                  "Time to match one event against every rule (fields, scans, conditions).",
                  buckets, sum_ns);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("run", "Watch the host and print an alert per rule match");
  auto flags = std::make_shared<SensorFlags>();
  auto rule_paths = std::make_shared<std::vector<std::string>>();
  auto* rules_opt = cmd->add_option(
      "-r,--rules", *rule_paths,
      "Rule file or directory (repeatable; default: the configuration's, else the rules "
      "installed with vigil)");
  add_sensor_flags(cmd, *flags);

  cmd->callback([flags, rule_paths, rules_opt, &exit_code] {
    if (!resolve_sensor_flags(*flags)) {
      exit_code = 2;
      return;
    }
    install_signals();
    if (rules_opt->count() == 0) *rule_paths = flags->config.rules;

    std::shared_ptr<const rules::RuleSet> rules;
    try {
      rules = rules::RuleSet::load(*rule_paths);
    } catch (const rules::RuleError& e) {
      spdlog::error("rules: {}", e.what());
      exit_code = 2;
      return;
    }
    if (rules->rules().empty()) {
      // An empty file or directory is a mistake, not a wish to watch for nothing.
      spdlog::error("rules: no rules in {}", fmt::join(*rule_paths, ", "));
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
    SensorHooks hooks;
    hooks.report = [&] {
      uint64_t evaluated = 0, alerts = 0;
      for (const Detector* d : detectors) {
        evaluated += d->evaluated();
        alerts += d->alerts();
      }
      spdlog::info("detector: evaluated={} alerts={}", evaluated, alerts);
    };
    hooks.metrics = [&](PromText& m) {
      write_detector_metrics(m, detectors);
    };
    hooks.hangup = &hangup_flag();
    LiveWants wants;
    wants.kinds = Detector::kinds_of(*rules);
    wants.open_prefixes = open_prefixes(*rules);
    exit_code = run_sensor(
        flags->sensor, [&] { return make_live_driver(*flags, wants); }, make, stop_flag(), hooks);
  });
}

}  // namespace vigil::cli
