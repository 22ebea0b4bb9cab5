// Renderings for other consumers than Vigil's own JSON: OCSF 1.1 for SIEMs,
// Falco's alert JSON for falcosidekick. Both go through JsonWriter, so
// arguments and paths keep their exact bytes (json.h).
#include <fmt/format.h>

#include <cstring>

#include "vigil/json.h"
#include "vigil/render.h"

namespace vigil {
namespace {

// What is known of the process an event is about.
struct ProcFields {
  std::string_view exe, name, args, cwd;
  std::string cmdline;
  bool known = false;
};

ProcFields proc_fields(const EventView& ev, const Lineage& lin) {
  ProcFields f;
  if (ev.kind() == VIGIL_KIND_EXEC) {
    const auto& e = ev.as<vigil_exec>();
    f.exe = ev.str(e.exe);
    f.name = exec_name(ev.str(e.filename), f.exe);
    f.args = ev.str(e.args);
    f.cwd = ev.str(e.cwd);
    f.cmdline = join_args(f.args);
    f.known = true;
  } else if (lin.self && lin.self->image) {
    const ProcessImage& img = *lin.self->image;
    f = {img.exe, img.name, img.args, img.cwd, img.cmdline, true};
  }
  return f;
}

std::string_view comm_of(const vigil_task& t) {
  return {t.comm, strnlen(t.comm, sizeof(t.comm))};
}

int64_t ms(int64_t ns) {
  return ns / 1'000'000;
}

// ---- OCSF ------------------------------------------------------------------

// The OCSF class and activity of each kind. A new kind adds a case here:
// file kinds go to File System Activity (1001, category 1: activity 1
// Create, 2 Read, 3 Update, 4 Delete, 5 Rename, 6 Set Attributes, 14 Open),
// network kinds to Network Activity (4001, category 4: 1 Open, 2 Close,
// 5 Refuse, 6 Traffic, 7 Listen).
struct OcsfClass {
  uint32_t class_uid;
  std::string_view class_name;
  uint32_t category_uid;
  std::string_view category_name;
  uint32_t activity_id;
  std::string_view activity_name;
};

OcsfClass ocsf_class_of(const EventView& ev) {
  switch (ev.kind()) {
    case VIGIL_KIND_EXEC:
    case VIGIL_KIND_FORK:
      return {1007, "Process Activity", 1, "System Activity", 1, "Launch"};
    case VIGIL_KIND_EXIT:
      return {1007, "Process Activity", 1, "System Activity", 2, "Terminate"};
    case VIGIL_KIND_OPEN:
    case VIGIL_KIND_MEMFD_CREATE:
      if (kind_family(ev.kind()) == Family::File &&
          (ev.as<vigil_file>().info & VIGIL_FILE_CREATED)) {
        return {1001, "File System Activity", 1, "System Activity", 1, "Create"};
      }
      return {1001, "File System Activity", 1, "System Activity", 14, "Open"};
    case VIGIL_KIND_MKDIR:
    case VIGIL_KIND_LINK:
    case VIGIL_KIND_SYMLINK:
      return {1001, "File System Activity", 1, "System Activity", 1, "Create"};
    case VIGIL_KIND_TRUNCATE:
      return {1001, "File System Activity", 1, "System Activity", 3, "Update"};
    case VIGIL_KIND_UNLINK:
    case VIGIL_KIND_RMDIR:
      return {1001, "File System Activity", 1, "System Activity", 4, "Delete"};
    case VIGIL_KIND_RENAME:
      return {1001, "File System Activity", 1, "System Activity", 5, "Rename"};
    case VIGIL_KIND_CHMOD:
    case VIGIL_KIND_CHOWN:
      return {1001, "File System Activity", 1, "System Activity", 6, "Set Attributes"};
    case VIGIL_KIND_CONNECT:
    case VIGIL_KIND_ACCEPT:
      if (ev.as<vigil_net>().ret < 0) {
        return {4001, "Network Activity", 4, "Network Activity", 5, "Refuse"};
      }
      return {4001, "Network Activity", 4, "Network Activity", 1, "Open"};
    case VIGIL_KIND_BIND:
    case VIGIL_KIND_LISTEN:
      return {4001, "Network Activity", 4, "Network Activity", 7, "Listen"};
    default:
      return {0, "Base Event", 0, "Uncategorized", 0, "Unknown"};
  }
}

void write_metadata(JsonWriter& w) {
  w.key("metadata").begin_object();
  w.field("version", std::string_view("1.1.0"));
  w.key("product").begin_object();
  w.field("name", std::string_view("Vigil")).field("vendor_name", std::string_view("Vigil"));
  w.field("version", std::string_view(VIGIL_VERSION));
  w.end_object();
  w.end_object();
}

void write_ocsf_process(JsonWriter& w, const EventView& ev, const Lineage& lin,
                        const RenderContext& ctx) {
  const vigil_task& t = ev.task();
  const ProcFields f = proc_fields(ev, lin);
  w.key("process").begin_object();
  w.field("pid", t.pid).field("tid", t.tid);
  w.field("name", f.known ? f.name : comm_of(t));
  if (f.known) {
    w.field("cmd_line", std::string_view(f.cmdline));
    w.key("file").begin_object();
    w.field("path", f.exe).field("name", f.name).field("type_id", 1);
    w.end_object();
  }
  w.field("created_time", ms(ctx.clock->to_realtime_ns(t.start_ns)));
  w.key("user").begin_object();
  w.field("uid", std::string_view(std::to_string(t.uid)));
  w.end_object();

  w.key("parent_process").begin_object();
  w.field("pid", t.ppid);
  w.field("created_time", ms(ctx.clock->to_realtime_ns(t.parent_start_ns)));
  if (lin.parent && lin.parent->image) {
    const ProcessImage& p = *lin.parent->image;
    w.field("name", std::string_view(p.name)).field("cmd_line", std::string_view(p.cmdline));
    w.key("file").begin_object();
    w.field("path", std::string_view(p.exe)).field("name", std::string_view(p.name));
    w.field("type_id", 1);
    w.end_object();
  }
  w.end_object();
  w.end_object();
}

void write_ocsf_unmapped(JsonWriter& w, const EventView& ev, const Lineage& lin) {
  const vigil_task& t = ev.task();
  const ProcFields f = proc_fields(ev, lin);
  w.key("unmapped").begin_object();
  w.field("event_kind", kind_name(ev.kind()));
  if (f.known) w.field("cwd", f.cwd);
  w.field("euid", t.euid).field("auid", t.auid).field("cgroup_id", t.cgroup_id);
  w.end_object();
}

// "mitre.T1059.004" names a technique, any other "mitre.x" a tactic.
void write_attacks(JsonWriter& w, const rules::Rule& rule) {
  std::string_view tactic;
  for (const auto& tag : rule.tags) {
    if (tag.starts_with("mitre.") && !tag.starts_with("mitre.T")) tactic = tag;
  }
  w.key("attacks").begin_array();
  for (const auto& tag : rule.tags) {
    if (!tag.starts_with("mitre.T")) continue;
    w.begin_object();
    w.key("technique").begin_object();
    w.field("uid", std::string_view(tag).substr(6));
    w.end_object();
    if (!tactic.empty()) {
      w.key("tactic").begin_object();
      w.field("name", tactic.substr(6));
      w.end_object();
    }
    w.field("version", std::string_view("14"));
    w.end_object();
  }
  w.end_array();
}

// OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
std::pair<int, std::string_view> ocsf_severity(rules::Severity s) {
  switch (s) {
    case rules::Severity::Info:
      return {1, "Informational"};
    case rules::Severity::Low:
      return {2, "Low"};
    case rules::Severity::Medium:
      return {3, "Medium"};
    case rules::Severity::High:
      return {4, "High"};
    case rules::Severity::Critical:
      return {5, "Critical"};
  }
  return {0, "Unknown"};
}

// ---- Falco -----------------------------------------------------------------

// Falco's priority names, which falcosidekick parses.
std::string_view falco_priority(rules::Severity s) {
  switch (s) {
    case rules::Severity::Critical:
      return "Critical";
    case rules::Severity::High:
      return "Error";
    case rules::Severity::Medium:
      return "Warning";
    case rules::Severity::Low:
      return "Notice";
    case rules::Severity::Info:
      return "Informational";
  }
  return "Informational";
}

// Falco's evt.type for an event: the system call, as Falco names events.
std::string_view falco_event_type(const EventView& ev) {
  switch (kind_family(ev.kind())) {
    case Family::Exec:
      return "execve";
    case Family::Fork:
      return "clone";
    case Family::Exit:
      return "procexit";
    case Family::ExecFailed:
      return syscall_name(ev.as<vigil_exec_failed>().syscall);
    case Family::File:
      return syscall_name(ev.as<vigil_file>().syscall);
    case Family::Net:
      return syscall_name(ev.as<vigil_net>().syscall);
    case Family::Priv:
      return syscall_name(ev.as<vigil_priv>().syscall);
    case Family::None:
      break;
  }
  return kind_name(ev.kind());
}

}  // namespace

void render_alert_ocsf(std::string& out, const rules::Rule& rule, const EventView& ev,
                       const Lineage& lin, const RenderContext& ctx) {
  const int64_t time_ns = ctx.clock->to_realtime_ns(ev.hdr().ts_ns);
  const auto [sev_id, sev_name] = ocsf_severity(rule.severity);
  JsonWriter w(out);
  w.begin_object();
  w.field("class_uid", 2004).field("class_name", std::string_view("Detection Finding"));
  w.field("category_uid", 2).field("category_name", std::string_view("Findings"));
  w.field("activity_id", 1).field("activity_name", std::string_view("Create"));
  w.field("type_uid", 200401).field("type_name", std::string_view("Detection Finding: Create"));
  w.field("time", ms(time_ns));
  w.key("time_dt").time(time_ns);
  w.field("severity_id", sev_id).field("severity", sev_name);
  w.field("status_id", 1).field("status", std::string_view("New"));
  w.field("message", std::string_view(rule.description));
  write_metadata(w);

  w.key("finding_info").begin_object();
  w.field("uid", std::string_view(fmt::format("{}-{}-{}", rule.id, ev.task().pid, time_ns)));
  w.field("title", std::string_view(rule.id)).field("desc", std::string_view(rule.description));
  w.key("types").begin_array();
  w.string(kind_name(ev.kind()));
  w.end_array();
  write_attacks(w, rule);
  w.field("created_time", ms(time_ns));
  w.end_object();

  w.key("device").begin_object();
  w.field("hostname", std::string_view(ctx.host)).field("type_id", 0);
  w.end_object();

  const OcsfClass cls = ocsf_class_of(ev);
  w.key("evidences").begin_array();
  w.begin_object();
  w.key("data").begin_object();
  w.field("class_uid", cls.class_uid).field("activity_id", cls.activity_id);
  w.end_object();
  write_ocsf_process(w, ev, lin, ctx);
  w.end_object();
  w.end_array();

  write_ocsf_unmapped(w, ev, lin);
  w.end_object();
  out.push_back('\n');
}

void render_event_ocsf(std::string& out, const EventView& ev, const Lineage& lin,
                       const RenderContext& ctx) {
  const int64_t time_ns = ctx.clock->to_realtime_ns(ev.hdr().ts_ns);
  const OcsfClass cls = ocsf_class_of(ev);
  JsonWriter w(out);
  w.begin_object();
  w.field("class_uid", cls.class_uid).field("class_name", cls.class_name);
  w.field("category_uid", cls.category_uid).field("category_name", cls.category_name);
  w.field("activity_id", cls.activity_id).field("activity_name", cls.activity_name);
  w.field("type_uid", cls.class_uid * 100 + cls.activity_id);
  w.field("time", ms(time_ns));
  w.key("time_dt").time(time_ns);
  w.field("severity_id", 1).field("severity", std::string_view("Informational"));
  write_metadata(w);
  w.key("device").begin_object();
  w.field("hostname", std::string_view(ctx.host)).field("type_id", 0);
  w.end_object();
  write_ocsf_process(w, ev, lin, ctx);
  if (ev.kind() == VIGIL_KIND_EXIT) w.field("exit_code", ev.as<vigil_exit>().status);
  write_ocsf_unmapped(w, ev, lin);
  w.end_object();
  out.push_back('\n');
}

void render_alert_falco(std::string& out, const rules::Rule& rule, const EventView& ev,
                        const Lineage& lin, const RenderContext& ctx) {
  const vigil_task& t = ev.task();
  const ProcFields f = proc_fields(ev, lin);
  const int64_t time_ns = ctx.clock->to_realtime_ns(ev.hdr().ts_ns);
  const ProcessImage* parent = lin.parent ? lin.parent->image.get() : nullptr;

  // Falco's "output" is the rule's message with the key fields inline.
  std::string text;
  append_rfc3339(text, time_ns);
  fmt::format_to(std::back_inserter(text),
                 ": {} {} (rule={} proc.exepath=", falco_priority(rule.severity), rule.description,
                 rule.id);
  text += f.exe;
  text += " proc.cmdline=";
  text += f.cmdline;
  fmt::format_to(std::back_inserter(text), " proc.pid={} proc.ppid={} user.uid={}", t.pid, t.ppid,
                 t.uid);
  if (parent) {
    text += " proc.pexepath=";
    text += parent->exe;
  }
  text += ')';

  JsonWriter w(out);
  w.begin_object();
  w.field("output", std::string_view(text));
  w.field("priority", falco_priority(rule.severity));
  w.field("rule", std::string_view(rule.id));
  w.key("time").time(time_ns);
  w.key("output_fields").begin_object();
  w.field("evt.time", time_ns);
  w.field("evt.type", falco_event_type(ev));
  w.field("proc.pid", t.pid).field("proc.ppid", t.ppid).field("proc.tid", t.tid);
  w.field("proc.name", f.known ? f.name : comm_of(t));
  if (f.known) {
    w.field("proc.exepath", f.exe);
    w.field("proc.cmdline", std::string_view(f.cmdline));
    w.field("proc.cwd", f.cwd);
  }
  if (parent) {
    w.field("proc.pname", std::string_view(parent->name));
    w.field("proc.pexepath", std::string_view(parent->exe));
    w.field("proc.pcmdline", std::string_view(parent->cmdline));
  }
  w.field("user.uid", t.uid).field("user.loginuid", static_cast<int64_t>(int32_t(t.auid)));
  w.field("vigil.severity", rules::severity_name(rule.severity));
  w.end_object();
  w.field("source", std::string_view("syscall"));
  w.key("tags").begin_array();
  for (const auto& tag : rule.tags) w.string(tag);
  w.end_array();
  w.field("hostname", std::string_view(ctx.host));
  w.end_object();
  out.push_back('\n');
}

}  // namespace vigil
