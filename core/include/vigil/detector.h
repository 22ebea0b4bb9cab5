// The shard handlers: Detector matches events against the rules and emits
// alerts; Tracer emits every event. One instance per shard, each used only by
// its shard's worker thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/counters.h"
#include "vigil/metrics.h"
#include "vigil/output.h"
#include "vigil/pipeline.h"
#include "vigil/process_table.h"
#include "vigil/render.h"
#include "vigil/rules.h"

namespace vigil {

//! Storage for the field values fill_fields() builds rather than points to.
struct FieldScratch {
  std::string cmdline;       //!< the arguments joined by spaces
  std::string path, path2;   //!< normalised file paths
  std::string saddr, daddr;  //!< addresses as text
  std::string unix_path;     //!< a unix socket address, abstract names as "@name"
};

//! Fills `fields` for `ev`: the process's own fields from the exec record (or
//! from `lin.self` for other kinds), the parent's from `lin.parent`, and the
//! file, network and privilege fields of the record. The views in `fields`
//! point into `scratch`, the record and the images, so all must outlive
//! their use. Never throws but std::bad_alloc.
void fill_fields(rules::EventFields& fields, FieldScratch& scratch, const EventView& ev,
                 const Lineage& lin);

class Detector : public ShardHandler {
 public:
  Detector(std::shared_ptr<const rules::RuleSet> rules, const ProcessTable& table, OutputSet& sink,
           const RenderContext& ctx);

  void on_event(const EventView& ev) override;

  //! The kinds any enabled rule of `rules` applies to, bit (1 << kind) each.
  static uint64_t kinds_of(const rules::RuleSet& rules);

  //! Events evaluated and alerts emitted; any thread may read them.
  uint64_t evaluated() const { return evaluated_.get(); }
  uint64_t alerts() const { return alerts_.get(); }
  //! Matches of rules()[i] of the rule set; any thread.
  uint64_t rule_matches(size_t i) const { return rule_matches_[i].get(); }
  //! Time spent matching one event (fields, Hyperscan, conditions); any thread.
  const LatencyHistogram& match_latency() const { return match_latency_; }
  const rules::RuleSet& rules() const { return *rules_; }

 private:
  std::shared_ptr<const rules::RuleSet> rules_;
  rules::RuleSet::Scratch scratch_;
  uint64_t kinds_ = 0;  // kinds any enabled rule applies to
  const ProcessTable& table_;
  OutputSet& sink_;
  const RenderContext& ctx_;

  // Reused per event so the steady state allocates nothing but alerts.
  rules::EventFields fields_;
  FieldScratch scratch_fields_;
  std::vector<const rules::Rule*> matched_;
  ProcessInfo self_, parent_;

  Counter evaluated_;
  Counter alerts_;
  std::unique_ptr<Counter[]> rule_matches_;
  LatencyHistogram match_latency_;
};

class Tracer : public ShardHandler {
 public:
  //! `kinds` is a bit mask (1 << kind) of the kinds to emit.
  Tracer(uint64_t kinds, const ProcessTable& table, OutputSet& sink, const RenderContext& ctx);
  void on_event(const EventView& ev) override;

 private:
  uint64_t kinds_;
  const ProcessTable& table_;
  OutputSet& sink_;
  const RenderContext& ctx_;
  ProcessInfo self_, parent_;
};

}  // namespace vigil
