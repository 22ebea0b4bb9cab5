// Condition trees (all/any/not), candidate selection, kinds, disabled rules,
// output order, loading from files and directories.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "matcher_test_util.h"

namespace vigil::rules {
namespace {

using testing::Event;
using testing::match_ids;
using testing::one_rule;
using Ids = std::vector<std::string>;

Event named(std::string_view name) {
  return Event().set(FieldId::ProcName, name);
}

// One rule entry; `extra` is more YAML lines of the rule (each ending in \n).
std::string rule(std::string_view id, std::string_view condition, std::string_view extra = "") {
  return "- rule: " + std::string(id) + "\n  severity: medium\n  tags: [mitre.T1059]\n" +
         std::string(extra) + "  condition: " + std::string(condition) + "\n";
}

TEST(Condition, all_needs_every_child) {
  const auto set = one_rule("{all: [{proc.name: curl}, {proc.args: {equals: '-k'}}]}");
  EXPECT_EQ(match_ids(*set, named("curl").argv({"curl", "-k"})), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, named("curl").argv({"curl", "-s"})).empty());
  EXPECT_TRUE(match_ids(*set, named("wget").argv({"wget", "-k"})).empty());
}

TEST(Condition, any_needs_one_child) {
  const auto set = one_rule("{any: [{proc.name: curl}, {proc.name: wget}]}");
  EXPECT_EQ(match_ids(*set, named("curl")), Ids{"r"});
  EXPECT_EQ(match_ids(*set, named("wget")), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, named("ftp")).empty());
}

TEST(Condition, not_excludes_what_matches) {
  const auto set = one_rule("{all: [{proc.args: {contains: shadow}}, {not: {proc.name: passwd}}]}");
  EXPECT_EQ(match_ids(*set, named("cat").argv({"cat", "/etc/shadow"})), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, named("passwd").argv({"passwd", "shadow"})).empty());
}

TEST(Condition, rule_of_only_not_matches_events_with_no_hit) {
  const auto set = one_rule("{not: {proc.name: bash}}");
  EXPECT_EQ(match_ids(*set, named("sh")), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, named("bash")).empty());
  // An absent field makes its test false, so the negation holds.
  EXPECT_EQ(match_ids(*set, Event().set(FieldId::ProcExe, "/bin/bash")), Ids{"r"});
  EXPECT_EQ(match_ids(*set, Event()), Ids{"r"});
}

TEST(Condition, nested_not_of_all_and_any) {
  const auto set = one_rule(
      "{not: {all: [{proc.name: a}, {any: [{proc.cwd: /x}, {not: {proc.exe: /bin/a}}]}]}}");
  EXPECT_EQ(match_ids(*set, named("b")), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, named("a")).empty());  // exe absent: inner not holds
  EXPECT_EQ(match_ids(*set, named("a").set(FieldId::ProcExe, "/bin/a")), Ids{"r"});
  EXPECT_TRUE(
      match_ids(*set, named("a").set(FieldId::ProcExe, "/bin/a").set(FieldId::ProcCwd, "/x"))
          .empty());
}

TEST(Condition, test_on_absent_field_is_false_inside_all) {
  const auto set = one_rule("{all: [{proc.name: curl}, {parent.name: {contains: ''}}]}");
  EXPECT_TRUE(match_ids(*set, named("curl")).empty());
  EXPECT_EQ(match_ids(*set, named("curl").set(FieldId::ParentName, "")), Ids{"r"});
}

// Per-item tests (regex on proc.args) of rules that need another hit are
// scanned only for candidates; these check that nothing is lost that way.
TEST(Condition, per_item_tests_combine_with_other_tests) {
  const auto gated =
      one_rule("{all: [{proc.name: chmod}, {proc.args: {regex: '^[0-7]?[4-7][0-7]{3}$'}}]}");
  EXPECT_EQ(match_ids(*gated, named("chmod").argv({"chmod", "4755", "x"})), Ids{"r"});
  EXPECT_TRUE(match_ids(*gated, named("chown").argv({"chown", "4755", "x"})).empty());
  EXPECT_TRUE(match_ids(*gated, named("chmod").argv({"chmod", "755", "x"})).empty());

  const auto ungated = one_rule("{all: [{proc.name: x}, {proc.args: {regex: '^$'}}]}");
  EXPECT_EQ(match_ids(*ungated, named("x").argv({"x", ""})), Ids{"r"});
  EXPECT_TRUE(match_ids(*ungated, named("y").argv({"x", ""})).empty());
  EXPECT_TRUE(match_ids(*ungated, named("x").argv({"x", "a"})).empty());

  const auto either = one_rule("{any: [{proc.name: x}, {proc.args: {regex: '^-z$'}}]}");
  EXPECT_EQ(match_ids(*either, named("y").argv({"y", "-z"})), Ids{"r"});
  EXPECT_TRUE(match_ids(*either, named("y").argv({"y", "-zz"})).empty());

  const auto negated = one_rule("{all: [{proc.name: x}, {not: {proc.args: {regex: '^-z$'}}}]}");
  EXPECT_TRUE(match_ids(*negated, named("x").argv({"x", "-z"})).empty());
  EXPECT_EQ(match_ids(*negated, named("x").argv({"x", "-zz"})), Ids{"r"});
  EXPECT_EQ(match_ids(*negated, named("x").argv({"x", "-y"})), Ids{"r"});

  const auto only_not = one_rule("{not: {proc.args: {regex: '^-z$'}}}");
  EXPECT_TRUE(match_ids(*only_not, named("x").argv({"x", "-z"})).empty());
  EXPECT_EQ(match_ids(*only_not, named("x").argv({"x", "-zz"})), Ids{"r"});
}

TEST(Kinds, rule_applies_only_to_its_kinds) {
  const auto set =
      RuleSet::parse(rule("exec_only", "{proc.name: x}") +
                         rule("fork_only", "{proc.name: x}", "  kinds: [fork]\n") +
                         rule("exec_exit", "{proc.name: x}", "  kinds: [exec, exit]\n"),
                     "k.yaml");
  EXPECT_EQ(match_ids(*set, Event(VIGIL_KIND_EXEC).set(FieldId::ProcName, "x")),
            (Ids{"exec_only", "exec_exit"}));
  EXPECT_EQ(match_ids(*set, Event(VIGIL_KIND_FORK).set(FieldId::ProcName, "x")), Ids{"fork_only"});
  EXPECT_EQ(match_ids(*set, Event(VIGIL_KIND_EXIT).set(FieldId::ProcName, "x")), Ids{"exec_exit"});
  EXPECT_TRUE(match_ids(*set, Event(0).set(FieldId::ProcName, "x")).empty());
  EXPECT_TRUE(match_ids(*set, Event(40).set(FieldId::ProcName, "x")).empty());
  EXPECT_EQ(set->rules()[0].kinds, uint64_t{1} << VIGIL_KIND_EXEC);
  EXPECT_EQ(set->rules()[2].kinds,
            (uint64_t{1} << VIGIL_KIND_EXEC) | (uint64_t{1} << VIGIL_KIND_EXIT));
}

TEST(Kinds, rule_of_only_not_respects_kinds) {
  const auto set = RuleSet::parse(rule("r", "{not: {proc.name: x}}", "  kinds: [exit]\n"), "k");
  EXPECT_TRUE(match_ids(*set, Event(VIGIL_KIND_EXEC)).empty());
  EXPECT_EQ(match_ids(*set, Event(VIGIL_KIND_EXIT)), Ids{"r"});
}

TEST(Disabled, rule_is_loaded_but_never_matches) {
  const auto set =
      RuleSet::parse(rule("off", "{proc.name: x}", "  enabled: false\n") +
                         rule("off_not", "{not: {proc.name: y}}", "  enabled: false\n") +
                         rule("on", "{proc.name: x}", "  enabled: true\n"),
                     "d.yaml");
  ASSERT_EQ(set->rules().size(), 3u);
  EXPECT_FALSE(set->rules()[0].enabled);
  EXPECT_FALSE(set->rules()[1].enabled);
  EXPECT_TRUE(set->rules()[2].enabled);
  EXPECT_EQ(match_ids(*set, named("x")), Ids{"on"});
}

TEST(Output, each_rule_once_in_rule_order) {
  // "late_field" hits first (proc.exe is scanned before parent.cmdline) but
  // comes second in the file; "many" hits through several tests.
  const auto set = RuleSet::parse(
      rule("early", "{parent.cmdline: {contains: x}}") + rule("late_field", "{proc.exe: /a}") +
          rule("many",
               "{any: [{proc.exe: /a}, {proc.exe: {startswith: /}}, {proc.cwd: /}, "
               "{proc.args: {contains: a}}, {proc.args: {regex: a}}]}") +
          rule("none", "{proc.exe: /b}") + rule("always", "{not: {proc.exe: /b}}"),
      "o.yaml");
  Event ev = Event()
                 .set(FieldId::ProcExe, "/a")
                 .set(FieldId::ProcCwd, "/")
                 .set(FieldId::ParentCmdline, "x")
                 .argv({"a", "aa"});
  RuleSet::Scratch scratch(*set);
  const Ids want{"early", "late_field", "many", "always"};
  EXPECT_EQ(match_ids(*set, scratch, ev), want);
  EXPECT_EQ(match_ids(*set, scratch, ev), want);
  EXPECT_EQ(match_ids(*set, scratch, Event().set(FieldId::ProcExe, "/b")), (Ids{"many", "none"}));
}

TEST(Output, match_appends_to_the_output) {
  const auto set = one_rule("{proc.name: x}");
  RuleSet::Scratch scratch(*set);
  std::vector<const Rule*> out{nullptr};
  set->match(named("x").fields(), scratch, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]->id, "r");
  EXPECT_EQ(scratch.scan_errors(), 0u);
}

TEST(Output, scratch_forgets_the_previous_event) {
  const auto set = one_rule("{all: [{proc.name: x}, {proc.args: {startswith: a, endswith: z}}]}");
  RuleSet::Scratch scratch(*set);
  EXPECT_EQ(match_ids(*set, scratch, named("x").argv({"az"})), Ids{"r"});
  EXPECT_TRUE(match_ids(*set, scratch, named("y").argv({"az"})).empty());
  EXPECT_TRUE(match_ids(*set, scratch, named("x").argv({"a", "z"})).empty());
  EXPECT_EQ(match_ids(*set, scratch, named("x").argv({"a", "abz"})), Ids{"r"});
}

TEST(Rules, fields_are_filled_from_the_file) {
  const auto set = RuleSet::parse(
      "# comment\n- rule: r.one-2\n  description: Something ran\n  severity: critical\n"
      "  tags: [mitre.execution, mitre.T1059.004]\n  condition: {proc.name: x}\n",
      "f.yaml");
  const Rule& r = set->rules().at(0);
  EXPECT_EQ(r.id, "r.one-2");
  EXPECT_EQ(r.description, "Something ran");
  EXPECT_EQ(r.severity, Severity::Critical);
  EXPECT_EQ(severity_name(r.severity), "critical");
  EXPECT_EQ(r.tags, (Ids{"mitre.execution", "mitre.T1059.004"}));
  EXPECT_EQ(r.file, "f.yaml");
  EXPECT_EQ(r.line, 2);
  EXPECT_TRUE(r.enabled);
}

TEST(Rules, empty_file_has_no_rules) {
  EXPECT_TRUE(RuleSet::parse("", "e.yaml")->rules().empty());
  EXPECT_TRUE(RuleSet::parse("# nothing\n", "e.yaml")->rules().empty());
  EXPECT_TRUE(RuleSet::parse("[]", "e.yaml")->rules().empty());
  const auto set = RuleSet::parse("", "e.yaml");
  RuleSet::Scratch scratch(*set);
  EXPECT_TRUE(match_ids(*set, scratch, named("x")).empty());
}

class LoadFromDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("vigil_rules_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(std::string_view name, std::string_view text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(LoadFromDisk, directory_contributes_yaml_files_in_name_order) {
  write("b.yml", rule("from_b", "{proc.name: {in: names}}"));
  write("a.yaml", rule("from_a", "{proc.name: x}"));
  write("c.yaml", "- list: names\n  items: [x]\n");
  write("d.txt", "not yaml: [");
  const auto set = RuleSet::load({dir_.string()});
  ASSERT_EQ(set->rules().size(), 2u);
  EXPECT_EQ(set->rules()[0].id, "from_a");
  EXPECT_EQ(set->rules()[1].id, "from_b");
  EXPECT_EQ(set->rules()[1].file, (dir_ / "b.yml").string());
  EXPECT_EQ(match_ids(*set, named("x")), (Ids{"from_a", "from_b"}));
}

TEST_F(LoadFromDisk, files_load_in_the_order_given) {
  const std::string b = write("b.yaml", rule("from_b", "{proc.name: x}"));
  const std::string a = write("a.yaml", rule("from_a", "{proc.name: x}"));
  const auto set = RuleSet::load({b, a});
  EXPECT_EQ(match_ids(*set, named("x")), (Ids{"from_b", "from_a"}));
}

TEST_F(LoadFromDisk, missing_path_is_an_error_naming_it) {
  const std::string missing = (dir_ / "nope.yaml").string();
  try {
    RuleSet::load({missing});
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_EQ(e.file(), missing);
    EXPECT_NE(std::string(e.what()).find("'" + missing + "'"), std::string::npos) << e.what();
  }
}

TEST_F(LoadFromDisk, error_names_the_file_it_is_in) {
  write("a.yaml", rule("ok", "{proc.name: x}"));
  const std::string bad = write("b.yaml", rule("bad", "{proc.nam: x}"));
  try {
    RuleSet::load({dir_.string()});
    FAIL() << "no error";
  } catch (const RuleError& e) {
    EXPECT_EQ(e.file(), bad);
    EXPECT_EQ(e.line(), 4);
    EXPECT_EQ(e.column(), 15);
  }
}

}  // namespace
}  // namespace vigil::rules
