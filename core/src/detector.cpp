#include "vigil/detector.h"

#include <sys/socket.h>

#include <chrono>

#include "vigil/event_text.h"

namespace vigil {
namespace {

using rules::FieldId;

// Looks up the process and its parent. The exec record describes the process
// itself, so for an exec only the parent is looked up.
Lineage lineage_of(const EventView& ev, const ProcessTable& table, ProcessInfo& self,
                   ProcessInfo& parent) {
  Lineage lin;
  if (ev.kind() != VIGIL_KIND_EXEC && table.lookup(ev.task().pid, self)) lin.self = &self;
  if (table.lookup(ev.task().ppid, parent)) lin.parent = &parent;
  return lin;
}

}  // namespace

void fill_fields(rules::EventFields& fields, FieldScratch& scratch, const EventView& ev,
                 const Lineage& lin) {
  std::string& cmdline = scratch.cmdline;
  fields = {};
  fields.kind = ev.kind();

  if (ev.kind() == VIGIL_KIND_EXEC) {
    const auto& e = ev.as<vigil_exec>();
    const std::string_view exe = ev.str(e.exe), args = ev.str(e.args);
    cmdline.assign(args);
    if (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    fields.set(FieldId::ProcExe, exe);
    fields.set(FieldId::ProcName, exec_name(ev.str(e.filename), exe));
    fields.set(FieldId::ProcArgs, args);
    fields.set(FieldId::ProcCmdline, cmdline);
    fields.set(FieldId::ProcCwd, ev.str(e.cwd));
  } else if (lin.self && lin.self->image) {
    const ProcessImage& img = *lin.self->image;
    fields.set(FieldId::ProcExe, img.exe);
    fields.set(FieldId::ProcName, img.name);
    fields.set(FieldId::ProcArgs, img.args);
    fields.set(FieldId::ProcCmdline, img.cmdline);
    fields.set(FieldId::ProcCwd, img.cwd);
  }

  if (lin.parent && lin.parent->image) {
    const ProcessImage& img = *lin.parent->image;
    fields.set(FieldId::ParentExe, img.exe);
    fields.set(FieldId::ParentName, img.name);
    fields.set(FieldId::ParentCmdline, img.cmdline);
  }

  switch (kind_family(ev.kind())) {
    case Family::ExecFailed: {
      const auto& e = ev.as<vigil_exec_failed>();
      fields.set(FieldId::FilePath, exec_failed_path(ev, scratch.path));
      fields.set(FieldId::FileRequested, ev.str(e.filename));
      break;
    }
    case Family::File: {
      const auto& f = ev.as<vigil_file>();
      const uint16_t kind = ev.kind();
      fields.set(FieldId::FilePath, file_path(ev, false, scratch.path));
      fields.set(FieldId::FileRequested, ev.str(f.requested));
      if (kind == VIGIL_KIND_RENAME || kind == VIGIL_KIND_LINK || kind == VIGIL_KIND_MOUNT) {
        fields.set(FieldId::FilePath2, file_path(ev, true, scratch.path2));
      }
      if (kind == VIGIL_KIND_RENAME || kind == VIGIL_KIND_LINK || kind == VIGIL_KIND_MOUNT ||
          kind == VIGIL_KIND_SYMLINK) {
        fields.set(FieldId::FileRequested2, ev.str(f.requested2));
      }
      if (kind == VIGIL_KIND_MOUNT) fields.set(FieldId::FileFstype, ev.str(f.fstype));
      break;
    }
    case Family::Net: {
      const auto& n = ev.as<vigil_net>();
      if (n.family == AF_UNIX) {
        format_unix_path(ev.str(n.unix_path), scratch.unix_path);
        fields.set(FieldId::NetUnixPath, scratch.unix_path);
      } else {
        format_address(n.family, n.saddr, scratch.saddr);
        format_address(n.family, n.daddr, scratch.daddr);
        fields.set(FieldId::NetSaddr, scratch.saddr);
        fields.set(FieldId::NetDaddr, scratch.daddr);
      }
      break;
    }
    case Family::Priv: {
      const auto& p = ev.as<vigil_priv>();
      if (p.name.len > 0) fields.set(FieldId::PrivName, ev.str(p.name));
      if (p.path.len > 0) fields.set(FieldId::FilePath, ev.str(p.path));
      break;
    }
    default:
      break;
  }
}

Detector::Detector(std::shared_ptr<const rules::RuleSet> rules, const ProcessTable& table,
                   OutputSet& sink, const RenderContext& ctx)
    : rules_(std::move(rules)),
      scratch_(*rules_),
      table_(table),
      sink_(sink),
      ctx_(ctx),
      rule_matches_(std::make_unique<Counter[]>(rules_->rules().size())) {
  kinds_ = kinds_of(*rules_);
}

uint64_t Detector::kinds_of(const rules::RuleSet& rules) {
  uint64_t kinds = 0;
  for (const auto& r : rules.rules()) {
    if (r.enabled) kinds |= r.kinds;
  }
  return kinds;
}

void Detector::on_event(const EventView& ev) {
  if (!(kinds_ & kind_bit(ev.kind()))) return;
  evaluated_.add();

  const auto start = std::chrono::steady_clock::now();
  const Lineage lin = lineage_of(ev, table_, self_, parent_);
  fill_fields(fields_, scratch_fields_, ev, lin);
  matched_.clear();
  rules_->match(fields_, scratch_, matched_);
  const auto took = std::chrono::steady_clock::now() - start;
  match_latency_.record(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());

  for (const rules::Rule* rule : matched_) {
    sink_.alert(*rule, ev, lin, ctx_);
    rule_matches_[static_cast<size_t>(rule - rules_->rules().data())].add();
    alerts_.add();
  }
}

Tracer::Tracer(uint64_t kinds, const ProcessTable& table, OutputSet& sink, const RenderContext& ctx)
    : kinds_(kinds), table_(table), sink_(sink), ctx_(ctx) {}

void Tracer::on_event(const EventView& ev) {
  if (!(kinds_ & kind_bit(ev.kind()))) return;
  const Lineage lin = lineage_of(ev, table_, self_, parent_);
  sink_.event(ev, lin, ctx_);
}

}  // namespace vigil
