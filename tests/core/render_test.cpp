// The alert and trace renderings: every documented field, with its value.
#include "vigil/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "json_decode.h"
#include "vigil/detector.h"
#include "vigil/record_builder.h"

namespace vigil {
namespace {

using nlohmann::json;

struct Fixture {
  BootClock clock;
  RenderContext ctx{"host-a", &clock};
  rules::Rule rule;
  ProcessInfo parent;

  Fixture() {
    rule.id = "test_rule";
    rule.description = "a \"quoted\" description";
    rule.severity = rules::Severity::High;
    rule.tags = {"mitre.execution", "mitre.T1059.004"};
    auto img = std::make_shared<ProcessImage>();
    img->exe = "/usr/bin/bash";
    img->name = "bash";
    img->cmdline = "bash -i";
    parent.pid = 100;
    parent.image = img;
  }
};

ExecSpec awkward_exec() {
  ExecSpec s;
  s.task = make_task(4242, 100, "sh");
  s.task.tid = 4243;
  s.task.uid = 1000;
  s.ts_ns = 5'000'000'000;
  s.filename = "/bin/sh";
  s.exe = "/usr/bin/dash";
  s.argv = {"sh", "-c", "echo \"hi\"\n", "", "with space", "ünï"};
  s.cwd = "/tmp/d ir";
  return s;
}

TEST(RenderAlert, carries_rule_process_and_parent) {
  Fixture f;
  const auto rec = build_exec(awkward_exec());
  const EventView ev(rec.data());
  Lineage lin;
  lin.parent = &f.parent;
  std::string line;
  render_alert(line, f.rule, ev, lin, f.ctx);
  ASSERT_EQ(line.back(), '\n');
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << "one line per alert";

  const json j = json::parse(line);
  EXPECT_EQ(j["rule"], "test_rule");
  EXPECT_EQ(j["severity"], "high");
  EXPECT_EQ(j["description"], "a \"quoted\" description");
  EXPECT_EQ(j["tags"], json({"mitre.execution", "mitre.T1059.004"}));
  EXPECT_EQ(j["host"], "host-a");
  EXPECT_EQ(j["event"]["kind"], "exec");
  EXPECT_EQ(j["event"]["filename"], "/bin/sh");
  const std::string time = j["time"];
  EXPECT_EQ(time.size(), 30u);
  EXPECT_EQ(time.back(), 'Z');

  const json& p = j["proc"];
  EXPECT_EQ(p["pid"], 4242);
  EXPECT_EQ(p["tid"], 4243);
  EXPECT_EQ(p["ppid"], 100);
  EXPECT_EQ(p["uid"], 1000);
  EXPECT_EQ(p["exe"], "/usr/bin/dash");
  EXPECT_EQ(p["name"], "sh");
  EXPECT_EQ(p["args"], json({"sh", "-c", "echo \"hi\"\n", "", "with space", "ünï"}));
  EXPECT_EQ(p["argc"], 6);
  EXPECT_EQ(p["args_truncated"], false);
  EXPECT_EQ(p["cmdline"], "sh -c echo \"hi\"\n  with space ünï");
  EXPECT_EQ(p["cwd"], "/tmp/d ir");
  EXPECT_EQ(p["comm"], "sh");

  EXPECT_EQ(j["parent"]["pid"], 100);
  EXPECT_EQ(j["parent"]["exe"], "/usr/bin/bash");
  EXPECT_EQ(j["parent"]["cmdline"], "bash -i");
}

TEST(RenderAlert, invalid_utf8_arguments_come_back_byte_for_byte) {
  Fixture f;
  ExecSpec s = awkward_exec();
  s.argv = {"x", "\xff\xfe\x80", "ok"};
  const auto rec = build_exec(s);
  std::string line;
  render_alert(line, f.rule, EventView(rec.data()), {}, f.ctx);

  const auto at = line.find("\"args\":[");
  ASSERT_NE(at, std::string::npos);
  const auto first = line.find("\",\"", at);
  const auto end = line.find("\",\"ok\"", first);
  std::string back;
  ASSERT_TRUE(test::decode_json_string(line.substr(first + 2, end - first - 1), back));
  EXPECT_EQ(back, "\xff\xfe\x80");
}

TEST(RenderEvent, unknown_parent_still_names_its_pid) {
  Fixture f;
  const auto rec = build_exec(awkward_exec());
  std::string line;
  render_event(line, EventView(rec.data()), {}, f.ctx);
  const json j = json::parse(line);
  EXPECT_FALSE(j.contains("rule"));
  EXPECT_EQ(j["parent"]["pid"], 100);
  EXPECT_FALSE(j["parent"].contains("exe"));
}

TEST(RenderEvent, exit_reports_code_or_signal) {
  Fixture f;
  std::string line;
  auto rec = build_exit(make_task(7, 1), 3 << 8);
  render_event(line, EventView(rec.data()), {}, f.ctx);
  json j = json::parse(line);
  EXPECT_EQ(j["event"]["kind"], "exit");
  EXPECT_EQ(j["event"]["code"], 3);
  EXPECT_FALSE(j["event"].contains("signal"));

  line.clear();
  rec = build_exit(make_task(7, 1), 9);
  render_event(line, EventView(rec.data()), {}, f.ctx);
  j = json::parse(line);
  EXPECT_EQ(j["event"]["signal"], 9);
  EXPECT_FALSE(j["event"].contains("code"));
}

TEST(RenderEvent, fork_names_the_child_and_its_creator) {
  Fixture f;
  std::string line;
  const auto rec = build_fork(make_task(50, 40), 40, false);
  ProcessInfo self;
  auto img = std::make_shared<ProcessImage>();
  img->exe = "/usr/bin/make";
  self.image = img;
  Lineage lin;
  lin.self = &self;
  render_event(line, EventView(rec.data()), lin, f.ctx);
  const json j = json::parse(line);
  EXPECT_EQ(j["event"]["kind"], "fork");
  EXPECT_EQ(j["event"]["thread"], false);
  EXPECT_EQ(j["event"]["creator_pid"], 40);
  EXPECT_EQ(j["proc"]["pid"], 50);
  EXPECT_EQ(j["proc"]["exe"], "/usr/bin/make");
}

TEST(FillFields, exec_fields_come_from_the_record_and_parent_from_the_table) {
  Fixture f;
  const auto rec = build_exec(awkward_exec());
  Lineage lin;
  lin.parent = &f.parent;
  rules::EventFields fields;
  FieldScratch cmdline;
  fill_fields(fields, cmdline, EventView(rec.data()), lin);
  using rules::FieldId;
  EXPECT_EQ(fields.kind, VIGIL_KIND_EXEC);
  EXPECT_EQ(fields.get(FieldId::ProcExe), "/usr/bin/dash");
  EXPECT_EQ(fields.get(FieldId::ProcName), "sh");
  EXPECT_EQ(fields.get(FieldId::ProcCmdline), "sh -c echo \"hi\"\n  with space ünï");
  EXPECT_EQ(fields.get(FieldId::ProcArgs).substr(0, 6), std::string_view("sh\0-c\0", 6));
  EXPECT_EQ(fields.get(FieldId::ProcCwd), "/tmp/d ir");
  EXPECT_EQ(fields.get(FieldId::ParentExe), "/usr/bin/bash");
  EXPECT_EQ(fields.get(FieldId::ParentCmdline), "bash -i");
}

TEST(FillFields, missing_parent_leaves_parent_fields_absent) {
  const auto rec = build_exec(awkward_exec());
  rules::EventFields fields;
  FieldScratch cmdline;
  fill_fields(fields, cmdline, EventView(rec.data()), {});
  EXPECT_TRUE(fields.has(rules::FieldId::ProcExe));
  EXPECT_FALSE(fields.has(rules::FieldId::ParentExe));
  EXPECT_FALSE(fields.has(rules::FieldId::ParentCmdline));
}

}  // namespace
}  // namespace vigil
