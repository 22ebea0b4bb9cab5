// The OCSF and Falco renderings: class, activity and severity mappings, the
// fields SIEMs and falcosidekick read, and bytes kept exact.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "json_decode.h"
#include "vigil/record_builder.h"
#include "vigil/render.h"

namespace vigil {
namespace {

using nlohmann::json;

struct Fixture {
  BootClock clock;
  RenderContext ctx{"host-a", &clock};
  rules::Rule rule;
  ProcessInfo parent;
  Lineage lin;

  Fixture() {
    rule.id = "reverse_shell";
    rule.description = "a shell talks to the network";
    rule.severity = rules::Severity::High;
    rule.tags = {"mitre.execution", "mitre.T1059.004"};
    auto img = std::make_shared<ProcessImage>();
    img->exe = "/usr/sbin/sshd";
    img->name = "sshd";
    img->cmdline = "sshd: root@pts/0";
    parent.pid = 100;
    parent.image = img;
    lin.parent = &parent;
  }
};

RecordBuffer exec_record(std::vector<std::string> argv = {"bash", "-c", "id"}) {
  ExecSpec s;
  s.task = make_task(4242, 100, "bash");
  s.task.uid = 1000;
  s.ts_ns = 5'000'000'000;
  s.filename = "/bin/bash";
  s.exe = "/usr/bin/bash";
  s.argv = std::move(argv);
  s.cwd = "/root";
  return build_exec(s);
}

TEST(RenderOcsf, alert_is_a_detection_finding_with_attack_and_process) {
  Fixture f;
  const auto rec = exec_record();
  std::string line;
  render_alert_ocsf(line, f.rule, EventView(rec.data()), f.lin, f.ctx);
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  const json j = json::parse(line);
  EXPECT_EQ(j["class_uid"], 2004);
  EXPECT_EQ(j["category_uid"], 2);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["type_uid"], 200401);
  EXPECT_EQ(j["severity_id"], 4);
  EXPECT_EQ(j["severity"], "High");
  EXPECT_EQ(j["metadata"]["version"], "1.1.0");
  EXPECT_EQ(j["metadata"]["product"]["name"], "Vigil");
  EXPECT_EQ(j["finding_info"]["title"], "reverse_shell");
  EXPECT_EQ(j["finding_info"]["desc"], "a shell talks to the network");
  EXPECT_EQ(j["finding_info"]["attacks"][0]["technique"]["uid"], "T1059.004");
  EXPECT_EQ(j["finding_info"]["attacks"][0]["tactic"]["name"], "execution");
  EXPECT_EQ(j["device"]["hostname"], "host-a");
  EXPECT_EQ(j["time"].get<int64_t>(), f.clock.to_realtime_ns(5'000'000'000) / 1'000'000);

  const json& ev = j["evidences"][0];
  EXPECT_EQ(ev["data"]["class_uid"], 1007) << "the event behind it is a Process Activity";
  EXPECT_EQ(ev["process"]["pid"], 4242);
  EXPECT_EQ(ev["process"]["cmd_line"], "bash -c id");
  EXPECT_EQ(ev["process"]["file"]["path"], "/usr/bin/bash");
  EXPECT_EQ(ev["process"]["user"]["uid"], "1000");
  EXPECT_EQ(ev["process"]["parent_process"]["pid"], 100);
  EXPECT_EQ(ev["process"]["parent_process"]["file"]["path"], "/usr/sbin/sshd");
  EXPECT_EQ(j["unmapped"]["cwd"], "/root");
}

TEST(RenderOcsf, events_are_process_launch_and_terminate) {
  Fixture f;
  std::string line;
  const auto exec = exec_record();
  render_event_ocsf(line, EventView(exec.data()), f.lin, f.ctx);
  json j = json::parse(line);
  EXPECT_EQ(j["class_uid"], 1007);
  EXPECT_EQ(j["category_uid"], 1);
  EXPECT_EQ(j["activity_id"], 1);
  EXPECT_EQ(j["type_uid"], 100701);
  EXPECT_EQ(j["process"]["name"], "bash");

  line.clear();
  const auto exit = build_exit(make_task(7, 1, "worker"), 3 << 8);
  render_event_ocsf(line, EventView(exit.data()), {}, f.ctx);
  j = json::parse(line);
  EXPECT_EQ(j["class_uid"], 1007);
  EXPECT_EQ(j["activity_id"], 2);
  EXPECT_EQ(j["activity_name"], "Terminate");
  EXPECT_EQ(j["process"]["name"], "worker") << "without an image, the kernel's comm";
  EXPECT_FALSE(j["process"].contains("cmd_line"));
}

// falcosidekick decodes these fields (types/types.go FalcoPayload): output
// and rule strings, priority by name, time as RFC 3339, output_fields a map,
// source, tags, hostname.
TEST(RenderFalco, payload_has_every_field_falcosidekick_reads) {
  Fixture f;
  const auto rec = exec_record();
  std::string line;
  render_alert_falco(line, f.rule, EventView(rec.data()), f.lin, f.ctx);
  const json j = json::parse(line);
  EXPECT_EQ(j["rule"], "reverse_shell");
  EXPECT_EQ(j["priority"], "Error") << "Vigil's high is Falco's Error";
  EXPECT_EQ(j["source"], "syscall");
  EXPECT_EQ(j["hostname"], "host-a");
  EXPECT_EQ(j["tags"], json({"mitre.execution", "mitre.T1059.004"}));
  const std::string time = j["time"];
  EXPECT_EQ(time.size(), 30u);
  EXPECT_EQ(time.back(), 'Z');
  const std::string output = j["output"];
  EXPECT_TRUE(output.starts_with(time + ": Error a shell talks to the network (")) << output;
  EXPECT_NE(output.find("proc.cmdline=bash -c id"), std::string::npos) << output;

  const json& o = j["output_fields"];
  EXPECT_EQ(o["evt.type"], "execve");
  EXPECT_EQ(o["proc.pid"], 4242);
  EXPECT_EQ(o["proc.ppid"], 100);
  EXPECT_EQ(o["proc.name"], "bash");
  EXPECT_EQ(o["proc.exepath"], "/usr/bin/bash");
  EXPECT_EQ(o["proc.cmdline"], "bash -c id");
  EXPECT_EQ(o["proc.cwd"], "/root");
  EXPECT_EQ(o["proc.pname"], "sshd");
  EXPECT_EQ(o["proc.pexepath"], "/usr/sbin/sshd");
  EXPECT_EQ(o["user.uid"], 1000);
  EXPECT_EQ(o["user.loginuid"], -1);
}

TEST(RenderFalco, priorities_follow_severity) {
  Fixture f;
  const auto rec = exec_record();
  const std::pair<rules::Severity, const char*> cases[] = {
      {rules::Severity::Critical, "Critical"},
      {rules::Severity::High, "Error"},
      {rules::Severity::Medium, "Warning"},
      {rules::Severity::Low, "Notice"},
      {rules::Severity::Info, "Informational"}};
  for (const auto& [sev, name] : cases) {
    f.rule.severity = sev;
    std::string line;
    render_alert_falco(line, f.rule, EventView(rec.data()), f.lin, f.ctx);
    EXPECT_EQ(json::parse(line)["priority"], name);
  }
}

TEST(RenderFalco, invalid_utf8_arguments_come_back_byte_for_byte) {
  Fixture f;
  const auto rec = exec_record({"x", "\xff\xfe"});
  std::string line;
  render_alert_falco(line, f.rule, EventView(rec.data()), f.lin, f.ctx);
  const std::string key = "\"proc.cmdline\":";
  const auto at = line.find(key);
  ASSERT_NE(at, std::string::npos);
  const auto end = line.find("\",", at + key.size());
  std::string back;
  ASSERT_TRUE(
      test::decode_json_string(line.substr(at + key.size(), end + 1 - at - key.size()), back));
  EXPECT_EQ(back, "x \xff\xfe");
}

}  // namespace
}  // namespace vigil
