// The configuration file: defaults, every section read, and every mistake
// reported with file, line, column and reason.
#include "vigil/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace vigil {
namespace {

// The error parse_config() throws for `yaml`, as "line:column: message".
std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "vigil.yaml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "vigil.yaml");
    return std::to_string(e.line()) + ":" + std::to_string(e.column()) + ": " +
           std::string(e.what()).substr(std::string("vigil.yaml:").size() +
                                        std::to_string(e.line()).size() + 1 +
                                        std::to_string(e.column()).size() + 2);
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return "";
}

TEST(Config, empty_file_means_every_default) {
  const Config c = parse_config("", "vigil.yaml");
  EXPECT_EQ(c.source, "vigil.yaml");
  EXPECT_EQ(c.driver, "auto");
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0], default_rules_path());
  EXPECT_EQ(c.shards, 0u);
  EXPECT_EQ(c.batches, 64u);
  EXPECT_EQ(c.ring_mib, 16u);
  EXPECT_EQ(c.log_level, "info");
  ASSERT_EQ(c.outputs.size(), 1u);
  EXPECT_EQ(c.outputs[0].kind, OutputKind::Stdout);
  EXPECT_EQ(c.outputs[0].format, OutputFormat::Json);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9477");
  EXPECT_EQ(c.shutdown_timeout_s, 5);
  EXPECT_TRUE(c.keep_capabilities.empty());
}

TEST(Config, the_shipped_example_is_valid_and_matches_the_defaults) {
  const Config c = load_config(VIGIL_SOURCE_DIR "/packaging/vigil.yaml");
  const Config d = default_config();
  EXPECT_EQ(c.shards, d.shards);
  EXPECT_EQ(c.batches, d.batches);
  EXPECT_EQ(c.ring_mib, d.ring_mib);
  EXPECT_EQ(c.metrics_listen, d.metrics_listen);
  EXPECT_EQ(c.shutdown_timeout_s, d.shutdown_timeout_s);
  ASSERT_FALSE(c.outputs.empty());
}

TEST(Config, reads_every_section) {
  const Config c = parse_config(R"(
driver: ebpf
rules: [/etc/vigil/rules, /opt/more.yaml]
shards: 4
batches: 128
ring_size: 64MiB
log_level: debug
outputs:
  - type: file
    path: /var/log/vigil/alerts.json
    rotate_size: 10MiB
    rotate_keep: 3
  - type: syslog
    address: tcp:logs.example:6514
    facility: authpriv
    format: ocsf
  - type: webhook
    url: https://sidekick.example:2801/
    headers: {Authorization: Bearer x}
    timeout: 2.5
    retries: 7
    backoff: 0.1
    queue: 100
  - type: stdout
metrics:
  listen: "[::1]:9000"
limits:
  shutdown_timeout: 2
  status_interval: 30
keep_capabilities: [cap_kill]
)",
                                "vigil.yaml");
  EXPECT_EQ(c.driver, "ebpf");
  EXPECT_EQ(c.rules, (std::vector<std::string>{"/etc/vigil/rules", "/opt/more.yaml"}));
  EXPECT_EQ(c.shards, 4u);
  EXPECT_EQ(c.batches, 128u);
  EXPECT_EQ(c.ring_mib, 64u);
  EXPECT_EQ(c.log_level, "debug");
  ASSERT_EQ(c.outputs.size(), 4u);

  const OutputConfig& f = c.outputs[0];
  EXPECT_EQ(f.kind, OutputKind::File);
  EXPECT_EQ(f.name, "file");
  EXPECT_EQ(f.path, "/var/log/vigil/alerts.json");
  EXPECT_EQ(f.rotate_bytes, 10u << 20);
  EXPECT_EQ(f.rotate_keep, 3u);

  const OutputConfig& s = c.outputs[1];
  EXPECT_EQ(s.kind, OutputKind::Syslog);
  EXPECT_EQ(s.address, "tcp:logs.example:6514");
  EXPECT_EQ(s.facility, 10);
  EXPECT_EQ(s.format, OutputFormat::Ocsf);

  const OutputConfig& w = c.outputs[2];
  EXPECT_EQ(w.kind, OutputKind::Webhook);
  EXPECT_EQ(w.format, OutputFormat::Falco) << "webhooks speak falcosidekick's format by default";
  EXPECT_EQ(w.url, "https://sidekick.example:2801/");
  EXPECT_EQ(w.headers.at("Authorization"), "Bearer x");
  EXPECT_EQ(w.timeout_ms, 2500u);
  EXPECT_EQ(w.retries, 7u);
  EXPECT_EQ(w.backoff_ms, 100u);
  EXPECT_EQ(w.queue, 100u);

  EXPECT_EQ(c.outputs[3].kind, OutputKind::Stdout);
  EXPECT_EQ(c.metrics_listen, "[::1]:9000");
  EXPECT_EQ(c.shutdown_timeout_s, 2);
  EXPECT_EQ(c.status_interval_s, 30);
  EXPECT_EQ(c.keep_capabilities, std::vector<std::string>{"cap_kill"});
}

TEST(Config, outputs_of_one_kind_get_distinct_names) {
  const Config c = parse_config(
      "outputs:\n  - type: stdout\n  - type: stdout\n  - {type: stdout, name: third}\n", "x");
  EXPECT_EQ(c.outputs[0].name, "stdout");
  EXPECT_EQ(c.outputs[1].name, "stdout2");
  EXPECT_EQ(c.outputs[2].name, "third");
}

TEST(Config, errors_name_line_column_and_reason) {
  EXPECT_EQ(error_of("shards: 2\nshardz: 3\n"),
            "2:1: unknown key 'shardz' in the configuration (known: driver, rules, shards, "
            "batches, ring_size, log_level, outputs, metrics, limits, keep_capabilities)");
  EXPECT_EQ(error_of("shards: -1\n"), "1:9: 'shards' must be a whole number, not '-1'");
  EXPECT_EQ(error_of("shards: 5000\n"), "1:9: 'shards' must be between 0 and 1024, not 5000");
  EXPECT_EQ(error_of("batches: many\n"), "1:10: 'batches' must be a whole number, not 'many'");
  EXPECT_EQ(error_of("ring_size: 3MiB\n"),
            "1:12: 'ring_size' must be a power of two from 1MiB to 1GiB");
  EXPECT_EQ(error_of("ring_size: lots\n"),
            "1:12: 'ring_size' must be a size like 1048576, 64KiB, 100MiB or 1GiB, not 'lots'");
  EXPECT_EQ(error_of("log_level: loud\n"),
            "1:12: 'log_level' must be one of debug, info, warn, error, not 'loud'");
  EXPECT_EQ(error_of("driver: kmodx\n"), "1:9: 'driver' must be one of auto, ebpf, not 'kmodx'");
  EXPECT_EQ(error_of("outputs: []\n"), "1:10: 'outputs' must be a list of at least one output");
  EXPECT_EQ(error_of("outputs:\n  - type: carrier-pigeon\n"),
            "2:11: 'type' must be one of stdout, file, syslog, webhook, not 'carrier-pigeon'");
  EXPECT_EQ(error_of("outputs:\n  - type: file\n"), "2:5: a file output needs a 'path'");
  EXPECT_EQ(error_of("outputs:\n  - type: file\n    path: x.json\n"),
            "3:11: 'path' must be absolute");
  EXPECT_EQ(
      error_of("outputs:\n  - type: file\n    path: /x\n    url: http://x/\n"),
      "4:5: unknown key 'url' in a file output (known: type, name, format, queue, queue_bytes, "
      "path, "
      "rotate_size, rotate_keep)");
  EXPECT_EQ(error_of("outputs:\n  - type: syslog\n    address: udp:x:514\n"),
            "3:14: 'address' must be unix:/PATH or tcp:HOST:PORT, not 'udp:x:514'");
  EXPECT_EQ(error_of("outputs:\n  - type: syslog\n    facility: local9\n"),
            "3:15: unknown syslog facility 'local9' (kern ... local7)");
  EXPECT_EQ(error_of("outputs:\n  - type: webhook\n    url: ftp://x/\n"),
            "3:10: 'url' must start with http:// or https://, not 'ftp://x/'");
  EXPECT_EQ(error_of("outputs:\n  - type: webhook\n    url: http://x/\n    timeout: 0\n"),
            "4:14: 'timeout' must be between 0.01 and 300 seconds, not 0");
  EXPECT_EQ(error_of("outputs:\n  - {type: stdout, name: a}\n  - {type: stdout, name: a}\n"),
            "3:26: two outputs are named 'a'");
  EXPECT_EQ(error_of("metrics:\n  listen: 9477\n"),
            "2:11: 'listen' must be HOST:PORT or \"\", not '9477'");
  EXPECT_EQ(error_of("limits:\n  shutdown_timeout: forever\n"),
            "2:21: 'shutdown_timeout' must be a number of seconds, not 'forever'");
  EXPECT_EQ(error_of("keep_capabilities: [cap_kill, cap_magic]\n"),
            "1:31: unknown capability 'cap_magic'");
  EXPECT_EQ(error_of("shards: 1\nbatches: 8\nshards: 2\n"), "3:1: duplicate key 'shards'");
  EXPECT_EQ(error_of("shards: [1\n"), "2:1: end of sequence flow not found");
  EXPECT_EQ(error_of("- just\n- a list\n"), "1:1: the configuration must be a mapping");
}

TEST(Config, missing_file_is_an_error_naming_it) {
  try {
    load_config("/nonexistent/vigil.yaml");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/vigil.yaml: cannot read: No such file or directory");
  }
}

TEST(Config, sizes) {
  EXPECT_EQ(parse_size("1048576"), 1048576u);
  EXPECT_EQ(parse_size("64KiB"), 64u << 10);
  EXPECT_EQ(parse_size("100MiB"), 100u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_THROW(parse_size("1GB"), std::invalid_argument);
  EXPECT_THROW(parse_size(""), std::invalid_argument);
  EXPECT_THROW(parse_size("MiB"), std::invalid_argument);
}

}  // namespace
}  // namespace vigil
