// Every rule file error: the file, line and column it points at, and what it
// says.
#include <gtest/gtest.h>

#include <cctype>

#include "matcher_test_util.h"

namespace vigil::rules {
namespace {

// The rule file starts with these lines; a test adds the lines under test.
constexpr std::string_view kHead = "- rule: r\n  severity: low\n  tags: [mitre.T1059]\n";

struct Expected {
  int line;
  int column;
  std::vector<std::string> says;  // substrings of the message
};

void expect_error(const std::string& yaml, const Expected& want) {
  try {
    RuleSet::parse(yaml, "e.yaml");
    ADD_FAILURE() << "no error for:\n" << yaml;
  } catch (const RuleError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), "e.yaml");
    EXPECT_EQ(e.line(), want.line) << what;
    EXPECT_EQ(e.column(), want.column) << what;
    const std::string prefix =
        "e.yaml:" + std::to_string(want.line) + ":" + std::to_string(want.column) + ": ";
    ASSERT_EQ(what.rfind(prefix, 0), 0u) << what;
    EXPECT_TRUE(std::islower(static_cast<unsigned char>(what[prefix.size()]))) << what;
    for (const std::string& s : want.says) EXPECT_NE(what.find(s), std::string::npos) << what;
  }
}

std::string with_condition(std::string_view condition) {
  return std::string(kHead) + "  condition: " + std::string(condition) + "\n";
}

TEST(RuleErrors, yaml_syntax_error_points_at_the_fault) {
  expect_error("- rule: r\n  severity: low: high\n", {2, 16, {"yaml syntax error"}});
  expect_error("- rule: r\n  tags: [a, b\n", {3, 1, {"yaml syntax error"}});
}

TEST(RuleErrors, file_must_be_a_sequence_of_entries) {
  expect_error("rule: r\n", {1, 1, {"sequence", "'rule'", "'list'", "a mapping"}});
  expect_error("- just text\n", {1, 3, {"'rule'", "'list'"}});
  expect_error("- severity: low\n", {1, 3, {"no 'rule' or 'list' key"}});
}

TEST(RuleErrors, more_than_one_document) {
  expect_error("- list: a\n  items: []\n---\n- list: b\n  items: []\n",
               {4, 1, {"one yaml document"}});
}

TEST(RuleErrors, unknown_key_in_rule) {
  expect_error("- rule: r\n  severity: low\n  tag: [mitre.T1059]\n",
               {3, 3, {"unknown key 'tag'", "rule 'r'", "tags"}});
}

TEST(RuleErrors, unknown_key_in_list) {
  expect_error("- list: l\n  item: [a]\n", {2, 3, {"unknown key 'item'", "items"}});
}

TEST(RuleErrors, duplicate_key) {
  expect_error(std::string(kHead) + "  severity: high\n  condition: {proc.name: x}\n",
               {4, 3, {"duplicate key 'severity'"}});
  expect_error(with_condition("{proc.name: {equals: a, equals: b}}"),
               {4, 38, {"duplicate key 'equals'"}});
}

TEST(RuleErrors, missing_required_keys) {
  expect_error("- rule: r\n  tags: [mitre.T1059]\n  condition: {proc.name: x}\n",
               {1, 3, {"rule 'r' has no 'severity'"}});
  expect_error("- rule: r\n  severity: low\n  condition: {proc.name: x}\n",
               {1, 3, {"rule 'r' has no 'tags'"}});
  expect_error(std::string(kHead), {1, 3, {"rule 'r' has no 'condition'"}});
  expect_error("- list: l\n", {1, 3, {"list 'l' has no 'items'"}});
}

TEST(RuleErrors, bad_rule_id) {
  expect_error("- rule: Bad_Id\n", {1, 9, {"invalid rule id 'Bad_Id'"}});
  expect_error("- rule: ''\n", {1, 9, {"invalid rule id ''"}});
  expect_error("- rule:\n", {1, 3, {"expected a string for 'rule'"}});
}

TEST(RuleErrors, bad_severity) {
  expect_error("- rule: r\n  severity: hgh\n", {2, 13, {"bad severity 'hgh'", "critical"}});
}

TEST(RuleErrors, unknown_kind) {
  expect_error(std::string(kHead) + "  kinds: [exec, opne]\n  condition: {proc.name: x}\n",
               {4, 17, {"unknown kind 'opne'", "exec, fork, exit, exec_failed, open,", "prctl"}});
  expect_error(std::string(kHead) + "  kinds: []\n  condition: {proc.name: x}\n",
               {4, 10, {"empty 'kinds'"}});
  expect_error(std::string(kHead) + "  kinds: exec\n  condition: {proc.name: x}\n",
               {4, 10, {"expected a sequence of strings for 'kinds'"}});
}

TEST(RuleErrors, unknown_field_lists_the_fields) {
  expect_error(with_condition("{proc.nam: x}"),
               {4, 15, {"unknown field 'proc.nam'", "proc.exe", "proc.args", "parent.cmdline"}});
  expect_error(with_condition("{all: [{proc.name: x}, {equals: x}]}"),
               {4, 38, {"unknown field 'equals'"}});
}

TEST(RuleErrors, unknown_operator) {
  expect_error(with_condition("{proc.name: {begins: x}}"),
               {4, 27, {"unknown operator 'begins'", "startswith"}});
  expect_error(with_condition("{proc.name: {nocase: true}}"), {4, 26, {"no operator"}});
}

TEST(RuleErrors, wrong_value_types) {
  expect_error(with_condition("{proc.name: {equals: 42}}"),
               {4, 35, {"expected a string for 'equals'", "a number"}});
  expect_error(with_condition("{proc.name: {contains: {a: b}}}"),
               {4, 37, {"expected a string for 'contains'", "a mapping"}});
  expect_error(with_condition("{proc.name: true}"),
               {4, 26, {"expected a string for 'proc.name'", "a boolean"}});
  expect_error(with_condition("{proc.name: [a]}"),
               {4, 26, {"expected a string for 'proc.name'", "a sequence"}});
  expect_error(with_condition("{proc.name: {in: [a, 1.5]}}"),
               {4, 35, {"expected a string in 'in'", "a number"}});
  expect_error(with_condition("{proc.name: {in: {a: b}}}"),
               {4, 31, {"expected a sequence of strings or a list name for 'in'"}});
  expect_error(with_condition("{proc.name: {equals: x, nocase: yes please}}"),
               {4, 46, {"expected true or false for 'nocase'"}});
  expect_error("- rule: r\n  description: [a]\n", {2, 16, {"expected a string for 'description'"}});
  expect_error("- rule: r\n  enabled: 1\n", {2, 12, {"expected true or false for 'enabled'"}});
  expect_error("- list: l\n  items: [a, {b: c}]\n", {2, 14, {"expected a string in 'items'"}});
  expect_error(std::string(kHead) + "  condition: [proc.name]\n",
               {4, 14, {"a condition is a mapping", "a sequence"}});
}

TEST(RuleErrors, quoted_numbers_are_strings) {
  const auto set = RuleSet::parse(with_condition("{proc.name: '42'}"), "e.yaml");
  EXPECT_EQ(testing::match_ids(*set, testing::Event().set(FieldId::ProcName, "42")).size(), 1u);
}

TEST(RuleErrors, condition_node_has_one_key) {
  expect_error(with_condition("{proc.name: x, proc.exe: y}"),
               {4, 29, {"exactly one key", "'proc.name' and 'proc.exe'", "'all'"}});
  expect_error(with_condition("{}"), {4, 14, {"an empty mapping"}});
  expect_error(with_condition("{not: }"), {4, 15, {"expected a condition under 'not'"}});
}

TEST(RuleErrors, undefined_list) {
  expect_error(with_condition("{proc.name: {in: nolist}}"), {4, 31, {"undefined list 'nolist'"}});
}

TEST(RuleErrors, duplicate_rule_id) {
  expect_error(with_condition("{proc.name: x}") + with_condition("{proc.name: y}"),
               {5, 9, {"duplicate rule id 'r'", "e.yaml:1"}});
}

TEST(RuleErrors, duplicate_list) {
  expect_error("- list: l\n  items: [a]\n- list: l\n  items: [b]\n",
               {3, 9, {"list 'l' is already defined at e.yaml:1"}});
}

TEST(RuleErrors, empty_all_or_any) {
  expect_error(with_condition("{all: []}"), {4, 20, {"empty 'all'"}});
  expect_error(with_condition("{not: {any: []}}"), {4, 26, {"empty 'any'"}});
  expect_error(with_condition("{any: x}"),
               {4, 20, {"expected a sequence of conditions under 'any', got a string"}});
}

TEST(RuleErrors, regex_rejected_by_hyperscan) {
  expect_error(with_condition("{proc.cmdline: {regex: 'a(b'}}"),
               {4, 37, {"regex in rule 'r' rejected by hyperscan", "parenthesis"}});
  // Valid for PCRE, not for Hyperscan.
  expect_error(with_condition("{proc.args: {regex: '(a)\\1'}}"),
               {4, 34, {"rejected by hyperscan", "Back-references"}});
  // Checked in a disabled rule too.
  expect_error(std::string(kHead) + "  enabled: false\n  condition: {proc.exe: {regex: '['}}\n",
               {5, 33, {"rejected by hyperscan"}});
}

TEST(RuleErrors, rule_needs_a_technique_tag) {
  expect_error(
      "- rule: r\n  severity: low\n  tags: [mitre.execution]\n"
      "  condition: {proc.name: x}\n",
      {3, 9, {"rule 'r' has no mitre technique tag"}});
  expect_error(
      "- rule: r\n  severity: low\n  tags: [mitre.Tactic]\n"
      "  condition: {proc.name: x}\n",
      {3, 9, {"mitre technique tag"}});
}

TEST(RuleErrors, message_format_is_file_line_column) {
  try {
    RuleSet::parse("- rule: r\n  severity: hgh\n", "dir/x.yaml");
    FAIL();
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()),
              "dir/x.yaml:2:13: bad severity 'hgh' in rule 'r'; expected info, low, medium, high "
              "or critical");
  }
}

}  // namespace
}  // namespace vigil::rules
