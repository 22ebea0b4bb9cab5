// vigil config check|show: validate the configuration (and the rules it
// names) without starting, or print it with every default filled in.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "vigil/rules.h"

namespace vigil::cli {
namespace {

nlohmann::json to_json(const Config& c) {
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& o : c.outputs) {
    nlohmann::json j = {{"type", output_kind_name(o.kind)},
                        {"name", o.name},
                        {"format", output_format_name(o.format)},
                        {"queue", o.queue}};
    switch (o.kind) {
      case OutputKind::Stdout:
        break;
      case OutputKind::File:
        j["path"] = o.path;
        j["rotate_size"] = o.rotate_bytes;
        j["rotate_keep"] = o.rotate_keep;
        break;
      case OutputKind::Syslog:
        j["address"] = o.address;
        j["facility"] = o.facility;
        j["app_name"] = o.app_name;
        break;
      case OutputKind::Webhook:
        j["url"] = o.url;
        j["headers"] = o.headers;
        j["timeout"] = o.timeout_ms / 1000.0;
        j["retries"] = o.retries;
        j["backoff"] = o.backoff_ms / 1000.0;
        j["ca_file"] = o.ca_file;
        j["tls_verify"] = o.tls_verify;
        break;
    }
    outs.push_back(std::move(j));
  }
  return {{"source", c.source},
          {"driver", c.driver},
          {"rules", c.rules},
          {"shards", c.shards},
          {"batches", c.batches},
          {"ring_size", fmt::format("{}MiB", c.ring_mib)},
          {"log_level", c.log_level},
          {"outputs", outs},
          {"metrics", {{"listen", c.metrics_listen}}},
          {"limits",
           {{"shutdown_timeout", c.shutdown_timeout_s}, {"status_interval", c.status_interval_s}}},
          {"keep_capabilities", c.keep_capabilities}};
}

}  // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("config", "Check or show the configuration");
  cmd->require_subcommand(1);

  auto* check = cmd->add_subcommand(
      "check", "Validate the configuration and the rules it names, without starting");
  auto check_path = std::make_shared<std::string>();
  add_config_flag(check, *check_path);
  check->callback([check_path, &exit_code] {
    try {
      const Config c = load_sensor_config(*check_path);
      const auto rules = rules::RuleSet::load(c.rules);
      if (rules->rules().empty()) {
        throw rules::RuleError(fmt::format("{}", fmt::join(c.rules, ", ")), 0, 0,
                               "no rules in these paths");
      }
      std::cout << fmt::format("config: {} is valid: {} outputs, {} rules\n",
                               c.source.empty() ? "built-in defaults" : "'" + c.source + "'",
                               c.outputs.size(), rules->rules().size());
    } catch (const ConfigError& e) {
      std::cerr << "config: " << e.what() << '\n';
      exit_code = 2;
    } catch (const rules::RuleError& e) {
      std::cerr << "rules: " << e.what() << '\n';
      exit_code = 2;
    }
  });

  auto* show = cmd->add_subcommand("show", "Print the configuration, defaults filled in, as JSON");
  auto show_path = std::make_shared<std::string>();
  add_config_flag(show, *show_path);
  show->callback([show_path, &exit_code] {
    try {
      std::cout << to_json(load_sensor_config(*show_path)).dump(2) << '\n';
    } catch (const ConfigError& e) {
      std::cerr << "config: " << e.what() << '\n';
      exit_code = 2;
    }
  });
}

}  // namespace vigil::cli
