#include "vigil/render.h"

#include <sys/socket.h>

#include <cstdio>

#include "vigil/event_text.h"
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

// Capability sets and other 64-bit masks as hex text: JSON numbers past
// 2^53 lose bits in many readers.
void hex_field(JsonWriter& w, std::string_view key, uint64_t v) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "0x%016llx", static_cast<unsigned long long>(v));
  w.field(key, std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0));
}

void ids_field(JsonWriter& w, std::string_view key, const __u32 (&ids)[4]) {
  w.key(key).begin_array();
  for (uint32_t id : ids) w.number(id);
  w.end_array();
}

// The result of a call: its value, and the error's name when it failed.
void write_result(JsonWriter& w, int64_t ret) {
  w.field("ret", ret);
  if (const std::string_view e = error_name(ret); !e.empty()) w.field("error", e);
}

void write_file(JsonWriter& w, const EventView& ev) {
  const auto& f = ev.as<vigil_file>();
  const uint16_t kind = ev.kind();
  std::string scratch;
  w.key("file").begin_object();
  w.field("path", file_path(ev, false, scratch));
  w.field("requested", ev.str(f.requested));
  w.field("path_lexical", bool(f.info & VIGIL_FILE_LEXICAL));
  if (kind == VIGIL_KIND_RENAME || kind == VIGIL_KIND_LINK || kind == VIGIL_KIND_MOUNT ||
      kind == VIGIL_KIND_SYMLINK) {
    if (kind != VIGIL_KIND_SYMLINK) {
      w.field("path2", file_path(ev, true, scratch));
      w.field("path2_lexical", bool(f.info & VIGIL_FILE_LEXICAL2));
    }
    w.field("requested2", ev.str(f.requested2));
  }
  if (kind == VIGIL_KIND_MOUNT) w.field("fstype", ev.str(f.fstype));
  w.field("flags", f.flags);
  if (kind == VIGIL_KIND_OPEN || kind == VIGIL_KIND_MKDIR || kind == VIGIL_KIND_CHMOD) {
    w.field("mode", f.mode);
  }
  if (kind == VIGIL_KIND_OPEN) {
    w.field("created", bool(f.info & VIGIL_FILE_CREATED));
    if (f.syscall == VIGIL_SYS_OPENAT2) w.field("resolve", f.resolve);
  }
  if (kind == VIGIL_KIND_CHOWN) w.field("uid", f.uid).field("gid", f.gid);
  if (kind == VIGIL_KIND_TRUNCATE) w.field("length", f.length);
  w.field("fd", f.fd);
  if (kind == VIGIL_KIND_RENAME || kind == VIGIL_KIND_LINK || kind == VIGIL_KIND_MOUNT) {
    w.field("fd2", f.fd2);
  }
  if (f.ino != 0) w.field("ino", f.ino).field("dev", f.dev);
  if (f.info & VIGIL_FILE_IO_URING) w.field("io_uring", true);
  if (f.info & VIGIL_FILE_TRUNCATED) w.field("truncated", true);
  if (f.info & VIGIL_FILE_FAULT) w.field("incomplete", true);
  w.end_object();
}

std::string_view family_name(uint16_t family) {
  switch (family) {
    case AF_UNIX:
      return "unix";
    case AF_INET:
      return "inet";
    case AF_INET6:
      return "inet6";
    default:
      return "other";
  }
}

void write_net(JsonWriter& w, const EventView& ev) {
  const auto& n = ev.as<vigil_net>();
  std::string text;
  w.key("net").begin_object();
  w.field("family", family_name(n.family));
  w.field("type", n.type);
  if (n.family == AF_UNIX) {
    const std::string_view raw = ev.str(n.unix_path);
    format_unix_path(raw, text);
    w.field("unix_path", std::string_view(text));
    w.field("unix_abstract", !raw.empty() && raw[0] == '\0');
  } else {
    w.field("protocol", n.protocol);
    format_address(n.family, n.saddr, text);
    w.field("saddr", std::string_view(text)).field("sport", n.sport);
    format_address(n.family, n.daddr, text);
    w.field("daddr", std::string_view(text)).field("dport", n.dport);
  }
  w.field("fd", n.fd);
  if (ev.kind() == VIGIL_KIND_LISTEN) w.field("backlog", n.arg);
  if (ev.kind() == VIGIL_KIND_ACCEPT) w.field("accept_flags", n.arg);
  if (n.info & VIGIL_NET_UNIX_TRUNCATED) w.field("truncated", true);
  if (n.info & VIGIL_NET_FAULT) w.field("incomplete", true);
  w.end_object();
}

void write_priv(JsonWriter& w, const EventView& ev) {
  const auto& p = ev.as<vigil_priv>();
  w.key("priv").begin_object();
  switch (ev.kind()) {
    case VIGIL_KIND_SETUID:
    case VIGIL_KIND_SETGID:
      ids_field(w, "ids", p.ids);
      ids_field(w, "old_ids", p.old_ids);
      ids_field(w, "new_ids", p.new_ids);
      break;
    case VIGIL_KIND_CAPSET:
      w.field("target_pid", p.target_pid);
      hex_field(w, "cap_effective", p.caps[0]);
      hex_field(w, "cap_permitted", p.caps[1]);
      hex_field(w, "cap_inheritable", p.caps[2]);
      hex_field(w, "old_cap_effective", p.old_caps[0]);
      hex_field(w, "old_cap_permitted", p.old_caps[1]);
      hex_field(w, "old_cap_inheritable", p.old_caps[2]);
      break;
    case VIGIL_KIND_PTRACE:
      w.field("request", p.request).field("target_pid", p.target_pid);
      break;
    case VIGIL_KIND_MODULE_LOAD:
      w.field("params", ev.str(p.name)).field("path", ev.str(p.path));
      w.field("fd", p.fd).field("flags", p.flags);
      if (p.ino != 0) w.field("ino", p.ino);
      break;
    case VIGIL_KIND_MODULE_DELETE:
      w.field("name", ev.str(p.name)).field("flags", p.flags);
      break;
    case VIGIL_KIND_BPF:
      w.field("command", p.request);
      if (p.name.len > 0 || p.flags != 0) w.field("type", p.flags).field("name", ev.str(p.name));
      break;
    case VIGIL_KIND_UNSHARE:
      hex_field(w, "flags", p.flags);
      break;
    case VIGIL_KIND_SETNS:
      w.field("fd", p.fd);
      hex_field(w, "flags", p.flags);
      if (p.name.len > 0) {
        w.field("namespace", ev.str(p.name)).field("ns_ino", p.ino);
      } else {
        w.field("path", ev.str(p.path));
      }
      break;
    case VIGIL_KIND_KILL:
      w.field("target_pid", p.target_pid).field("target_tid", p.target_tid);
      w.field("signal", p.signal);
      break;
    case VIGIL_KIND_PRCTL:
      w.field("option", p.request).field("name", ev.str(p.name));
      break;
    default:
      break;
  }
  if (p.info & VIGIL_PRIV_TRUNCATED) w.field("truncated", true);
  if (p.info & VIGIL_PRIV_FAULT) w.field("incomplete", true);
  w.end_object();
}

void write_event(JsonWriter& w, const EventView& ev) {
  w.key("event").begin_object();
  w.field("kind", kind_name(ev.kind()));
  w.field("ts_ns", ev.hdr().ts_ns);
  switch (kind_family(ev.kind())) {
    case Family::Exec: {
      const auto& e = ev.as<vigil_exec>();
      if (e.syscall != VIGIL_SYS_NONE) w.field("syscall", syscall_name(e.syscall));
      w.field("filename", ev.str(e.filename));
      if (e.syscall == VIGIL_SYS_EXECVEAT) {
        w.field("dirfd", e.dirfd).field("at_flags", e.at_flags);
      }
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
    case Family::ExecFailed: {
      const auto& e = ev.as<vigil_exec_failed>();
      std::string scratch;
      w.field("syscall", syscall_name(e.syscall));
      write_result(w, e.ret);
      w.field("filename", ev.str(e.filename));
      w.field("path", exec_failed_path(ev, scratch));
      if (e.syscall == VIGIL_SYS_EXECVEAT) {
        w.field("dirfd", e.dirfd).field("at_flags", e.at_flags);
      }
      if (e.flags & VIGIL_EXEC_FAILED_TRUNCATED) w.field("paths_truncated", true);
      break;
    }
    case Family::Fork: {
      const auto& f = ev.as<vigil_fork>();
      if (f.syscall != VIGIL_SYS_NONE) w.field("syscall", syscall_name(f.syscall));
      w.field("thread", bool(f.flags & VIGIL_FORK_THREAD));
      w.field("creator_pid", f.creator_pid).field("creator_tid", f.creator_tid);
      hex_field(w, "clone_flags", f.clone_flags);
      break;
    }
    case Family::Exit: {
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
    case Family::File: {
      const auto& f = ev.as<vigil_file>();
      w.field("syscall", syscall_name(f.syscall));
      write_result(w, f.ret);
      break;
    }
    case Family::Net: {
      const auto& n = ev.as<vigil_net>();
      w.field("syscall", syscall_name(n.syscall));
      write_result(w, n.ret);
      break;
    }
    case Family::Priv: {
      const auto& p = ev.as<vigil_priv>();
      w.field("syscall", syscall_name(p.syscall));
      write_result(w, p.ret);
      break;
    }
    case Family::None:
      break;
  }
  w.end_object();
}

void write_body(JsonWriter& w, const EventView& ev, const Lineage& lin, const RenderContext& ctx) {
  w.field("host", std::string_view(ctx.host));
  write_event(w, ev);
  switch (kind_family(ev.kind())) {
    case Family::File:
      write_file(w, ev);
      break;
    case Family::Net:
      write_net(w, ev);
      break;
    case Family::Priv:
      write_priv(w, ev);
      break;
    default:
      break;
  }
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
