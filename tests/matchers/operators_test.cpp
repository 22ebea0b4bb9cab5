// Each operator on String and List fields: anchors, case, exact bytes.
#include <gtest/gtest.h>

#include "matcher_test_util.h"

namespace vigil::rules {
namespace {

using testing::Event;
using testing::match_ids;
using testing::one_rule;

bool hits(std::string_view condition, const Event& ev) {
  const auto set = one_rule(condition);
  return !match_ids(*set, ev).empty();
}

Event exe(std::string_view path) {
  return Event().set(FieldId::ProcExe, path);
}

template <class... A>
Event args(A... a) {
  return Event().argv({std::string_view(a)...});
}

TEST(StringField, equals_matches_the_whole_value_only) {
  const std::string_view c = "{proc.exe: {equals: /usr/bin/curl}}";
  EXPECT_TRUE(hits(c, exe("/usr/bin/curl")));
  EXPECT_FALSE(hits(c, exe("/usr/bin/curl2")));
  EXPECT_FALSE(hits(c, exe("x/usr/bin/curl")));
  EXPECT_FALSE(hits(c, exe("/usr/bin/cur")));
  EXPECT_FALSE(hits(c, exe("/USR/BIN/CURL")));
}

TEST(StringField, plain_scalar_means_equals) {
  EXPECT_TRUE(hits("{proc.exe: /usr/bin/curl}", exe("/usr/bin/curl")));
  EXPECT_FALSE(hits("{proc.exe: /usr/bin/curl}", exe("/usr/bin/curl -s")));
}

TEST(StringField, startswith_is_anchored_at_the_start) {
  const std::string_view c = "{proc.exe: {startswith: /tmp/}}";
  EXPECT_TRUE(hits(c, exe("/tmp/x")));
  EXPECT_TRUE(hits(c, exe("/tmp/")));
  EXPECT_FALSE(hits(c, exe("/tmpx")));
  EXPECT_FALSE(hits(c, exe("/var/tmp/x")));
  EXPECT_FALSE(hits(c, exe("/TMP/x")));
}

TEST(StringField, endswith_is_anchored_at_the_end) {
  const std::string_view c = "{proc.exe: {endswith: /sh}}";
  EXPECT_TRUE(hits(c, exe("/bin/sh")));
  EXPECT_FALSE(hits(c, exe("/bin/bash")));
  EXPECT_FALSE(hits(c, exe("/bin/sh2")));
  EXPECT_FALSE(hits(c, exe("/bin/sh/x")));
}

TEST(StringField, contains_matches_anywhere) {
  const std::string_view c = "{proc.cmdline: {contains: stratum+tcp://}}";
  EXPECT_TRUE(hits(c, Event().set(FieldId::ProcCmdline, "xmrig -o stratum+tcp://pool:3333")));
  EXPECT_TRUE(hits(c, Event().set(FieldId::ProcCmdline, "stratum+tcp://")));
  EXPECT_FALSE(hits(c, Event().set(FieldId::ProcCmdline, "stratum+tcp:/pool")));
  EXPECT_FALSE(hits(c, Event().set(FieldId::ProcCmdline, "stratumtcp://")));
}

TEST(StringField, nocase_makes_every_operator_caseless) {
  EXPECT_TRUE(hits("{proc.exe: {equals: /usr/bin/CURL, nocase: true}}", exe("/USR/bin/curl")));
  EXPECT_TRUE(hits("{proc.exe: {startswith: /TMP/, nocase: true}}", exe("/tmp/x")));
  EXPECT_TRUE(hits("{proc.exe: {endswith: /SH, nocase: true}}", exe("/bin/sh")));
  EXPECT_TRUE(hits("{proc.exe: {contains: BIN, nocase: true}}", exe("/usr/bin/x")));
  EXPECT_TRUE(hits("{proc.exe: {regex: '^/USR/', nocase: true}}", exe("/usr/x")));
  EXPECT_TRUE(hits("{proc.exe: {in: [/BIN/SH], nocase: true}}", exe("/bin/sh")));
  EXPECT_FALSE(hits("{proc.exe: {equals: /usr/bin/CURL, nocase: false}}", exe("/usr/bin/curl")));
  // nocase does not loosen anchors.
  EXPECT_FALSE(hits("{proc.exe: {equals: /BIN/SH, nocase: true}}", exe("/bin/sh2")));
}

TEST(StringField, regex_metacharacters_in_literals_match_themselves) {
  const std::string_view c = R"y({proc.exe: {equals: 'a.b*c(d)[e]{f}|g+h?i^$\'}})y";
  EXPECT_TRUE(hits(c, exe(R"(a.b*c(d)[e]{f}|g+h?i^$\)")));
  EXPECT_FALSE(hits(c, exe(R"(aXbbbc(d)[e]{f}|g+h?i^$\)")));
  EXPECT_FALSE(hits(c, exe("abcdefghi")));
  EXPECT_TRUE(hits("{proc.cmdline: {contains: '.*'}}", Event().set(FieldId::ProcCmdline, "a.*b")));
  EXPECT_FALSE(hits("{proc.cmdline: {contains: '.*'}}", Event().set(FieldId::ProcCmdline, "ab")));
}

TEST(StringField, non_utf8_bytes_match_byte_for_byte) {
  // A raw 0xff 0xfe in the rule file, and in the event.
  const std::string c = "{proc.exe: {contains: \"\xff\xfe\"}}";
  EXPECT_TRUE(hits(c, exe("/tmp/\xff\xfe/x")));
  EXPECT_FALSE(hits(c, exe("/tmp/\xfe\xff/x")));
  EXPECT_FALSE(hits(c, exe("/tmp/\xc3\xbf\xc3\xbe/x")));  // the same code points as UTF-8
  EXPECT_TRUE(hits("{proc.exe: {endswith: /x}}", exe("/tmp/\x80\x81/x")));
  EXPECT_TRUE(hits("{proc.exe: {startswith: \"\\xff\"}}", exe("\xc3\xbf")));  // YAML \x is U+00FF
}

TEST(StringField, regex_uses_dotall_and_is_unanchored_unless_written) {
  EXPECT_TRUE(hits("{proc.cmdline: {regex: 'a.b'}}", Event().set(FieldId::ProcCmdline, "xa\nbx")));
  EXPECT_TRUE(
      hits("{proc.cmdline: {regex: 'b[0-9]+'}}", Event().set(FieldId::ProcCmdline, "ab12c")));
  EXPECT_FALSE(
      hits("{proc.cmdline: {regex: '^b[0-9]+'}}", Event().set(FieldId::ProcCmdline, "ab12")));
  EXPECT_FALSE(hits("{proc.cmdline: {regex: 'B[0-9]'}}", Event().set(FieldId::ProcCmdline, "b1")));
}

TEST(StringField, in_matches_any_item_exactly) {
  const std::string_view c = "{proc.name: {in: [xmrig, minerd]}}";
  EXPECT_TRUE(hits(c, Event().set(FieldId::ProcName, "xmrig")));
  EXPECT_TRUE(hits(c, Event().set(FieldId::ProcName, "minerd")));
  EXPECT_FALSE(hits(c, Event().set(FieldId::ProcName, "xmrig2")));
  EXPECT_FALSE(hits(c, Event().set(FieldId::ProcName, "XMRIG")));
}

TEST(StringField, in_takes_a_named_list_defined_before_or_after) {
  const std::string yaml =
      "- list: before\n  items: [xmrig]\n" +
      testing::one_rule_yaml(
          "{any: [{proc.name: {in: before}}, {proc.name: {in: after, nocase: true}}]}") +
      "- list: after\n  items: [minerd, cpuminer]\n";
  const auto set = RuleSet::parse(yaml, "t.yaml");
  EXPECT_EQ(match_ids(*set, Event().set(FieldId::ProcName, "xmrig")).size(), 1u);
  EXPECT_EQ(match_ids(*set, Event().set(FieldId::ProcName, "CPUminer")).size(), 1u);
  EXPECT_TRUE(match_ids(*set, Event().set(FieldId::ProcName, "miner")).empty());
}

TEST(StringField, several_operators_must_all_hold) {
  const std::string_view c = "{proc.exe: {startswith: /usr/, endswith: /curl}}";
  EXPECT_TRUE(hits(c, exe("/usr/bin/curl")));
  EXPECT_FALSE(hits(c, exe("/usr/bin/wget")));
  EXPECT_FALSE(hits(c, exe("/opt/curl")));
}

TEST(StringField, empty_literals_match_present_values_only) {
  EXPECT_TRUE(hits("{proc.cwd: ''}", Event().set(FieldId::ProcCwd, "")));
  EXPECT_FALSE(hits("{proc.cwd: ''}", Event().set(FieldId::ProcCwd, "/")));
  EXPECT_TRUE(hits("{proc.cwd: {startswith: ''}}", Event().set(FieldId::ProcCwd, "/")));
  EXPECT_TRUE(hits("{proc.cwd: {contains: ''}}", Event().set(FieldId::ProcCwd, "")));
  EXPECT_FALSE(hits("{proc.cwd: {contains: ''}}", exe("/bin/sh")));
}

TEST(StringField, test_on_absent_field_is_false) {
  EXPECT_FALSE(hits("{parent.exe: {contains: /}}", exe("/bin/sh")));
  EXPECT_FALSE(hits("{parent.exe: {regex: '.*'}}", exe("/bin/sh")));
}

TEST(ListField, equals_is_relative_to_one_argument) {
  const std::string_view c = "{proc.args: {equals: '-e'}}";
  EXPECT_TRUE(hits(c, args("nc", "-e", "/bin/sh")));
  EXPECT_TRUE(hits(c, args("-e")));
  EXPECT_FALSE(hits(c, args("nc", "-ex", "/bin/sh")));
  EXPECT_FALSE(hits(c, args("nc", "x-e")));
  EXPECT_FALSE(hits(c, args("nc", "-E")));
  EXPECT_TRUE(hits("{proc.args: {equals: '-E', nocase: true}}", args("nc", "-e", "x")));
}

TEST(ListField, startswith_is_relative_to_one_argument) {
  const std::string_view c = "{proc.args: {startswith: '--donate'}}";
  EXPECT_TRUE(hits(c, args("xmrig", "--donate-level=1")));
  EXPECT_TRUE(hits(c, args("--donate", "x")));
  EXPECT_FALSE(hits(c, args("xmrig", "x--donate")));
  EXPECT_FALSE(hits(c, args("xmrig", "--DONATE")));
  EXPECT_TRUE(hits("{proc.args: {startswith: '--DONATE', nocase: true}}", args("a", "--donate")));
}

TEST(ListField, endswith_is_relative_to_one_argument) {
  const std::string_view c = "{proc.args: {endswith: .sh}}";
  EXPECT_TRUE(hits(c, args("bash", "x.sh", "y")));
  EXPECT_TRUE(hits(c, args("bash", "x.sh")));
  EXPECT_FALSE(hits(c, args("bash", "x.sh2")));
  EXPECT_FALSE(hits(c, args("bash", "x.SH")));
  EXPECT_TRUE(hits("{proc.args: {endswith: .SH, nocase: true}}", args("bash", "x.sh")));
}

TEST(ListField, last_argument_without_nul_is_still_an_argument) {
  EXPECT_TRUE(hits("{proc.args: {equals: '-e'}}", Event().argv({"nc", "-e"}, false)));
  EXPECT_TRUE(hits("{proc.args: {endswith: sh}}", Event().argv({"nc", "/bin/sh"}, false)));
  EXPECT_TRUE(hits("{proc.args: {regex: '^/bin/sh$'}}", Event().argv({"nc", "/bin/sh"}, false)));
  EXPECT_FALSE(hits("{proc.args: {equals: '/bin/s'}}", Event().argv({"nc", "/bin/sh"}, false)));
}

TEST(ListField, contains_does_not_span_two_arguments) {
  const Event ev = args("nc", "-e", "/bin/sh");
  EXPECT_FALSE(hits("{proc.args: {contains: '-e /bin'}}", ev));
  EXPECT_TRUE(hits("{proc.cmdline: {contains: '-e /bin'}}", ev));
  EXPECT_FALSE(hits("{proc.args: {contains: 'nc-e'}}", ev));
  EXPECT_TRUE(hits("{proc.args: {contains: 'bin/'}}", ev));
  EXPECT_TRUE(hits("{proc.args: {contains: 'BIN/', nocase: true}}", ev));
  // A value with a NUL could only match across arguments: it never matches.
  EXPECT_FALSE(hits("{proc.args: {contains: \"e\\0/bin\"}}", ev));
}

TEST(ListField, empty_argument_is_an_argument) {
  EXPECT_TRUE(hits("{proc.args: ''}", args("cmd", "", "x")));
  EXPECT_TRUE(hits("{proc.args: ''}", args("cmd", "")));
  EXPECT_TRUE(hits("{proc.args: ''}", args("")));
  EXPECT_FALSE(hits("{proc.args: ''}", args("cmd", "x")));
  EXPECT_FALSE(hits("{proc.args: ''}", Event().argv({"cmd", "x"}, false)));
  // No arguments at all: nothing to hold a test.
  EXPECT_FALSE(hits("{proc.args: ''}", Event().set(FieldId::ProcArgs, "")));
  EXPECT_FALSE(hits("{proc.args: {startswith: ''}}", Event().set(FieldId::ProcArgs, "")));
  EXPECT_TRUE(hits("{proc.args: {startswith: ''}}", args("x")));
  EXPECT_TRUE(hits("{proc.args: {equals: x}}", args("", "x")));
  EXPECT_TRUE(hits("{proc.args: {startswith: x}}", args("", "", "xy")));
}

TEST(ListField, metacharacters_and_non_utf8_bytes_are_exact) {
  EXPECT_TRUE(hits(R"y({proc.args: {equals: 'a|b(c)*'}})y", args("x", "a|b(c)*")));
  EXPECT_FALSE(hits(R"y({proc.args: {equals: 'a|b(c)*'}})y", args("x", "a")));
  EXPECT_TRUE(hits("{proc.args: {startswith: \"\xff\"}}", args("x", "\xff\x01")));
  EXPECT_FALSE(hits("{proc.args: {startswith: \"\xff\"}}", args("x", "\x01\xff")));
}

TEST(ListField, in_matches_whole_arguments) {
  const std::string_view c = "{proc.args: {in: ['-e', '-c']}}";
  EXPECT_TRUE(hits(c, args("nc", "-c", "sh")));
  EXPECT_TRUE(hits(c, Event().argv({"nc", "-e"}, false)));
  EXPECT_FALSE(hits(c, args("nc", "-cx", "sh")));
  const std::string yaml = "- list: flags\n  items: ['-E']\n" +
                           testing::one_rule_yaml("{proc.args: {in: flags, nocase: true}}");
  const auto set = RuleSet::parse(yaml, "t.yaml");
  EXPECT_EQ(match_ids(*set, args("nc", "-e")).size(), 1u);
  EXPECT_TRUE(match_ids(*set, args("nc", "-ee")).empty());
}

TEST(ListField, regex_is_applied_to_each_argument_on_its_own) {
  EXPECT_TRUE(hits("{proc.args: {regex: '^-[a-z]*e$'}}", args("nc", "-lve", "x")));
  EXPECT_FALSE(hits("{proc.args: {regex: '^-[a-z]*e$'}}", args("nc", "-lv", "e")));
  // DOTALL '.' would match the NUL between arguments in a single scan.
  EXPECT_FALSE(hits("{proc.args: {regex: 'a.b'}}", args("xa", "bx")));
  EXPECT_TRUE(hits("{proc.args: {regex: 'a.b'}}", args("xa\nbx")));
  EXPECT_TRUE(hits("{proc.args: {regex: '^$'}}", args("x", "")));
  EXPECT_FALSE(hits("{proc.args: {regex: '^$'}}", args("x", "y")));
  EXPECT_TRUE(hits("{proc.args: {regex: 'X+', nocase: true}}", args("a", "bxx")));
}

TEST(ListField, several_operators_must_hold_on_the_same_argument) {
  const std::string_view c = "{proc.args: {startswith: '-o', contains: ':'}}";
  EXPECT_TRUE(hits(c, args("xmrig", "-opool:3333")));
  EXPECT_FALSE(hits(c, args("xmrig", "-o", "pool:3333")));
  EXPECT_FALSE(hits(c, args("xmrig", "pool:3333", "-o")));
  EXPECT_TRUE(hits(c, args("xmrig", "-o", "pool:3333", "-ox:1")));
}

// Per-item tests are prefiltered by a scan of the whole buffer with anchors
// dropped; these check the prefilter never hides a match.
TEST(ListField, anchored_regex_prefilter_keeps_every_match) {
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '^a\^b$'}})y", args("x", "a^b")));
  EXPECT_FALSE(hits(R"y({proc.args: {regex: '^a\^b$'}})y", args("x", "ab")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '^[^a]x$'}})y", args("q", "bx")));
  EXPECT_FALSE(hits(R"y({proc.args: {regex: '^[^a]x$'}})y", args("q", "ax")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '^[[:digit:]^]+$'}})y", args("q", "1^2")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '\Afoo\z'}})y", args("x", "foo")));
  EXPECT_FALSE(hits(R"y({proc.args: {regex: '\Afoo\z'}})y", args("x", "foox")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '(^|=)secret$'}})y", args("x", "--k=secret")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '(^|=)secret$'}})y", args("secret")));
  EXPECT_FALSE(hits(R"y({proc.args: {regex: '(^|=)secret$'}})y", args("xsecret")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '^FOO$', nocase: true}})y", args("x", "foo")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '(?x) ^ a [ ] b $'}})y", args("x", "a b")));
  EXPECT_TRUE(hits(R"y({proc.args: {regex: '\bword\b'}})y", args("word", "x")));
  EXPECT_FALSE(hits(R"y({proc.args: {regex: '\Bword'}})y", args("x", "word")));
}

TEST(ListField, several_operators_with_empty_values_or_regex) {
  EXPECT_TRUE(hits("{proc.args: {equals: '', endswith: ''}}", args("x", "")));
  EXPECT_FALSE(hits("{proc.args: {equals: '', endswith: ''}}", args("x", "y")));
  EXPECT_TRUE(hits("{proc.args: {in: ['', z], startswith: z}}", args("x", "z")));
  EXPECT_TRUE(hits("{proc.args: {regex: '^-o$', contains: o}}", args("x", "-o")));
  EXPECT_FALSE(hits("{proc.args: {regex: '^-o$', contains: o}}", args("x", "-oo")));
  EXPECT_FALSE(hits("{proc.args: {in: [], contains: o}}", args("x", "o")));
}

}  // namespace
}  // namespace vigil::rules
