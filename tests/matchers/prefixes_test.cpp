// RuleSet::required_prefixes: what a kernel-side filter may drop.
#include <gtest/gtest.h>

#include "vigil/rules.h"
#include "vigil_event.h"

namespace vigil::rules {
namespace {

std::string rule(const std::string& id, const std::string& condition,
                 const std::string& kinds = "[open]") {
  return "- rule: " + id +
         "\n  description: d\n  severity: low\n  tags: [mitre.T1005]\n  kinds: " + kinds +
         "\n  condition: " + condition + "\n";
}

std::optional<std::vector<std::string>> prefixes(const std::string& yaml) {
  return RuleSet::parse(yaml, "p")->required_prefixes(FieldId::FilePath, VIGIL_KIND_OPEN);
}

TEST(RequiredPrefixes, union_of_what_every_rule_requires_shorter_ones_absorbing) {
  const auto p = prefixes(rule("a", "{file.path: {startswith: /etc/}}") +
                          rule("b", "{file.path: {in: [/etc/shadow, /root/.ssh/id_rsa]}}") +
                          rule("c", "{all: [{proc.name: cat}, {file.path: {startswith: /var/}}]}") +
                          rule("d", "{file.path: x}", "[exec]"));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (std::vector<std::string>{"/etc/", "/root/.ssh/id_rsa", "/var/"}));
}

TEST(RequiredPrefixes, none_when_a_rule_on_the_kind_can_match_anywhere) {
  EXPECT_FALSE(
      prefixes(rule("a", "{file.path: {startswith: /etc/}}") + rule("b", "{proc.name: cat}")));
  EXPECT_FALSE(prefixes(rule("a", "{not: {file.path: {startswith: /etc/}}}")));
  EXPECT_FALSE(prefixes(rule("a", "{file.path: {startswith: /etc/, nocase: true}}")));
  EXPECT_FALSE(prefixes(rule("a", "{any: [{file.path: {startswith: /etc/}}, {proc.name: x}]}")));
  EXPECT_FALSE(prefixes(rule("a", "{file.path: {endswith: .key}}")));
}

TEST(RequiredPrefixes, disabled_rules_and_other_kinds_do_not_count) {
  const auto p = prefixes(rule("a", "{file.path: {startswith: /etc/}}") +
                          "- rule: off\n  description: d\n  severity: low\n  tags: [mitre.T1005]\n"
                          "  kinds: [open]\n  enabled: false\n  condition: {proc.name: x}\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, std::vector<std::string>{"/etc/"});
}

}  // namespace
}  // namespace vigil::rules
