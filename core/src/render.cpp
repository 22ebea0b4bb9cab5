#include "vigil/render.h"

#include "vigil/json.h"

namespace vigil {
namespace {

// What a process runs, whether read from an exec record or from the table.
struct ImageFields {
  std::string_view exe, name, args, cwd;
  std::string cmdline;
  uint32_t argc = 0;
  bool args_truncated = false;
};

ImageFields image_of(const EventView& ev) {
  const auto& e = ev.as<vigil_exec>();
  ImageFields f;
  f.exe = ev.str(e.exe);
  f.name = exec_name(ev.str(e.filename), f.exe);
  f.args = ev.str(e.args);
  f.cwd = ev.str(e.cwd);
  f.cmdline = join_args(f.args);
  f.argc = e.argc;
  f.args_truncated = e.flags & VIGIL_EXEC_ARGS_TRUNCATED;
  return f;
}

ImageFields image_of(const ProcessImage& img) {
  return {img.exe, img.name, img.args, img.cwd, img.cmdline, img.argc, img.args_truncated};
}

void write_image(JsonWriter& w, const ImageFields& f) {
  w.field("exe", f.exe).field("name", f.name);
  w.key("args").begin_array();
  ArgIterator it(f.args);
  for (std::string_view arg; it.next(arg);) w.string(arg);
  w.end_array();
  w.field("argc", f.argc).field("args_truncated", f.args_truncated);
  w.field("cmdline", std::string_view(f.cmdline)).field("cwd", f.cwd);
}

void write_proc(JsonWriter& w, const EventView& ev, const Lineage& lin, const RenderContext& ctx) {
  const vigil_task& t = ev.task();
  w.key("proc").begin_object();
  w.field("pid", t.pid).field("tid", t.tid).field("ppid", t.ppid).field("ns_pid", t.ns_pid);
  w.field("uid", t.uid).field("gid", t.gid).field("euid", t.euid).field("egid", t.egid);
  w.field("auid", t.auid).field("sessionid", t.sessionid).field("tty", t.tty);
  w.field("comm", std::string_view(t.comm, strnlen(t.comm, sizeof(t.comm))));
  w.field("cgroup_id", t.cgroup_id);
  w.field("pidns", t.pidns).field("mntns", t.mntns).field("netns", t.netns);
  w.key("start_time").time(ctx.clock->to_realtime_ns(t.start_ns));
  if (ev.kind() == VIGIL_KIND_EXEC) {
    write_image(w, image_of(ev));
  } else if (lin.self && lin.self->image) {
    write_image(w, image_of(*lin.self->image));
  }
  w.end_object();
}

void write_parent(JsonWriter& w, const EventView& ev, const Lineage& lin,
                  const RenderContext& ctx) {
  w.key("parent").begin_object();
  w.field("pid", ev.task().ppid);
  w.key("start_time").time(ctx.clock->to_realtime_ns(ev.task().parent_start_ns));
  if (lin.parent && lin.parent->image) {
    const ProcessImage& img = *lin.parent->image;
    w.field("exe", std::string_view(img.exe)).field("name", std::string_view(img.name));
    w.field("cmdline", std::string_view(img.cmdline));
  }
  w.end_object();
}

void write_event(JsonWriter& w, const EventView& ev) {
  w.key("event").begin_object();
  w.field("kind", kind_name(ev.kind()));
  w.field("ts_ns", ev.hdr().ts_ns);
  switch (ev.kind()) {
    case VIGIL_KIND_EXEC: {
      const auto& e = ev.as<vigil_exec>();
      w.field("filename", ev.str(e.filename));
      w.field("exe_deleted", bool(e.flags & VIGIL_EXEC_EXE_DELETED));
      w.field("exe_memfd", bool(e.flags & VIGIL_EXEC_EXE_MEMFD));
      w.field("exe_dev", e.exe_dev).field("exe_ino", e.exe_ino).field("exe_size", e.exe_size);
      w.key("exe_mtime").time(static_cast<int64_t>(e.exe_mtime_ns));
      if (e.flags &
          (VIGIL_EXEC_EXE_TRUNCATED | VIGIL_EXEC_CWD_TRUNCATED | VIGIL_EXEC_FILENAME_TRUNCATED)) {
        w.field("paths_truncated", true);
      }
      if (e.flags & VIGIL_EXEC_ARGS_FAULT) w.field("args_unreadable", true);
      break;
    }
    case VIGIL_KIND_FORK: {
      const auto& f = ev.as<vigil_fork>();
      w.field("thread", bool(f.flags & VIGIL_FORK_THREAD));
      w.field("creator_pid", f.creator_pid).field("creator_tid", f.creator_tid);
      break;
    }
    case VIGIL_KIND_EXIT: {
      const auto& x = ev.as<vigil_exit>();
      w.field("thread", bool(x.flags & VIGIL_EXIT_THREAD));
      w.field("status", x.status);
      if ((x.status & 0x7f) == 0) {
        w.field("code", (x.status >> 8) & 0xff);
      } else {
        w.field("signal", x.status & 0x7f).field("core_dumped", bool(x.status & 0x80));
      }
      break;
    }
    default:
      break;
  }
  w.end_object();
}

void write_body(JsonWriter& w, const EventView& ev, const Lineage& lin, const RenderContext& ctx) {
  w.field("host", std::string_view(ctx.host));
  write_event(w, ev);
  write_proc(w, ev, lin, ctx);
  write_parent(w, ev, lin, ctx);
}

}  // namespace

void render_event(std::string& out, const EventView& ev, const Lineage& lin,
                  const RenderContext& ctx) {
  JsonWriter w(out);
  w.begin_object();
  w.key("time").time(ctx.clock->to_realtime_ns(ev.hdr().ts_ns));
  write_body(w, ev, lin, ctx);
  w.end_object();
  out.push_back('\n');
}

void render_alert(std::string& out, const rules::Rule& rule, const EventView& ev,
                  const Lineage& lin, const RenderContext& ctx) {
  JsonWriter w(out);
  w.begin_object();
  w.key("time").time(ctx.clock->to_realtime_ns(ev.hdr().ts_ns));
  w.field("rule", std::string_view(rule.id));
  w.field("severity", rules::severity_name(rule.severity));
  w.field("description", std::string_view(rule.description));
  w.key("tags").begin_array();
  for (const auto& tag : rule.tags) w.string(tag);
  w.end_array();
  write_body(w, ev, lin, ctx);
  w.end_object();
  out.push_back('\n');
}

}  // namespace vigil
