// JSON renderings of events and alerts, one object per line. The field
// names are the vocabulary of rules (proc.exe is "exe" inside "proc").
// README.md documents the format.
#pragma once

#include <string>
#include <string_view>

#include "vigil/event.h"
#include "vigil/process_table.h"
#include "vigil/rules.h"

namespace vigil {

//! What every rendering needs besides the event.
struct RenderContext {
  std::string host;        //!< host name, on every line
  const BootClock* clock;  //!< boot-clock to wall-clock conversion
};

//! What is known about the process an event is about and about its parent.
//! For an exec, the record itself describes the process; for other kinds,
//! `self` does. Either pointer may be null when nothing is known.
struct Lineage {
  const ProcessInfo* self = nullptr;
  const ProcessInfo* parent = nullptr;
};

//! Appends one line for `vigil trace`: time, host, the event and its process.
void render_event(std::string& out, const EventView& ev, const Lineage& lin,
                  const RenderContext& ctx);

//! Appends one alert line: the rule, then everything render_event() writes.
void render_alert(std::string& out, const rules::Rule& rule, const EventView& ev,
                  const Lineage& lin, const RenderContext& ctx);

//! Appends the alert as an OCSF 1.1 Detection Finding (class 2004), one line.
//! Strings keep json.h's lossless escaping. README.md, "OCSF", has the mapping.
void render_alert_ocsf(std::string& out, const rules::Rule& rule, const EventView& ev,
                       const Lineage& lin, const RenderContext& ctx);

//! Appends the event as an OCSF 1.1 activity, one line: exec, fork and exit as
//! Process Activity (class 1007).
void render_event_ocsf(std::string& out, const EventView& ev, const Lineage& lin,
                       const RenderContext& ctx);

//! Appends the alert as Falco's alert JSON (output, priority, rule, time,
//! output_fields, source, tags, hostname): what falcosidekick takes. One line.
//! README.md, "Webhook", has the mapping.
void render_alert_falco(std::string& out, const rules::Rule& rule, const EventView& ev,
                        const Lineage& lin, const RenderContext& ctx);

}  // namespace vigil
