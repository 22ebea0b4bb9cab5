// Rules: loading them from YAML, and matching events against all of them at
// once with Hyperscan.
//
// Loading and compiling happen at start-up (and on reload); they throw
// RuleError naming the file, line, column and what is wrong. Matching is the
// hot path: it never throws and never allocates once its scratch is warm.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/fields.h"

namespace vigil::rules {

enum class Severity : uint8_t { Info, Low, Medium, High, Critical };

std::string_view severity_name(Severity s);

//! A configuration error in a rule file. what() reads "file:line:col: message".
class RuleError : public std::runtime_error {
 public:
  RuleError(std::string file, int line, int column, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  std::string file_;
  int line_;
  int column_;
};

struct Rule {
  std::string id;  //!< unique name, as written after "rule:"
  std::string description;
  Severity severity = Severity::Medium;
  std::vector<std::string> tags;  //!< e.g. "mitre.execution", "mitre.T1059.004"
  uint64_t kinds = 0;             //!< bit (1 << vigil_kind) per kind the rule applies to
  std::string file;               //!< where it was defined
  int line = 0;
  bool enabled = true;  //!< a disabled rule is loaded and checked but never matches
};

//! A loaded, compiled set of rules. Immutable and shared read-only by every
//! shard; each shard matches with its own Scratch.
class RuleSet {
 public:
  //! Loads every file given; a directory contributes its *.yaml and *.yml
  //! files in name order. Throws RuleError on the first error found.
  static std::shared_ptr<const RuleSet> load(const std::vector<std::string>& paths);
  //! Same, from YAML text (for tests); `name` stands in for the file name.
  static std::shared_ptr<const RuleSet> parse(std::string_view yaml, std::string_view name);

  ~RuleSet();
  const std::vector<Rule>& rules() const;

  //! Literal prefixes at least one of which `field` must start with for any
  //! enabled rule of `kind` to match: what every such rule requires through
  //! a case-sensitive startswith, equals or in test on `field` (under all/
  //! any, never under not). nullopt when some rule of `kind` can match
  //! without (it has no such test, or only case-insensitive ones). Shorter
  //! prefixes absorb longer ones. For drivers that filter in the kernel.
  //! Thread-safe; never throws but std::bad_alloc.
  std::optional<std::vector<std::string>> required_prefixes(FieldId field, uint16_t kind) const;

  //! Per-thread matching state (Hyperscan scratch, hit lists). Not
  //! thread-safe: one per shard, never shared.
  class Scratch {
   public:
    explicit Scratch(const RuleSet& set);
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    //! Hyperscan scans that failed (none unless the library misbehaves); an
    //! event whose scan failed may miss alerts. Read it from the owning thread.
    uint64_t scan_errors() const;

   private:
    friend class RuleSet;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  //! Appends to `out` every enabled rule whose kinds include ev.kind and whose
  //! condition holds for `ev`, each once, in rule order. Thread-safe with a
  //! Scratch per thread; never throws.
  void match(const EventFields& ev, Scratch& scratch, std::vector<const Rule*>& out) const;

 private:
  RuleSet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::rules
