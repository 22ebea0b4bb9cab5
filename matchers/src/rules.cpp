// Compiling a Program into Hyperscan databases, and matching events.
//
// Each atom (one operator of a field test) becomes one Hyperscan pattern per
// value; a pattern id indexes its database's PatternRef, which names the test
// and the atom's bit. A test hits when every one of its atom bits was seen in
// the same scan unit (the field's value, or one item of a List field).
#include "vigil/rules.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "program.h"
#include "vigil_event.h"

namespace vigil::rules {
namespace {

using detail::Atom;
using detail::NodeOp;
using detail::Op;
using detail::Program;
using detail::Where;

// Kinds fit a uint32_t bitmask (Rule::kinds), so at most 32 of them.
constexpr size_t kMaxKinds = 32;

// Which test and which of its atoms a pattern id stands for.
struct PatternRef {
  uint32_t test;
  uint32_t bit;  // the atom's bit; 0 when the test has one atom (a hit is a test hit)
};

struct Database {
  hs_database_t* db = nullptr;
  std::vector<PatternRef> refs;
};

// Hyperscan text for `v`, every byte exact: alphanumerics as they are, the
// rest as \xHH.
std::string escape(std::string_view v) {
  std::string out;
  out.reserve(v.size() * 4);
  for (unsigned char c : v) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// The expression for a literal operator. `whole_list`: the value is a whole
// NUL-separated List buffer, so item boundaries are NULs as well as the ends.
std::string literal_expression(Op op, std::string_view v, bool whole_list) {
  const std::string_view begin = whole_list ? "(?:\\A|\\x00)" : "\\A";
  const std::string_view end = whole_list ? "(?:\\x00|\\z)" : "\\z";
  switch (op) {
    case Op::Equals:
    case Op::In:
      return fmt::format("{}{}{}", begin, escape(v), end);
    case Op::StartsWith:
      return fmt::format("{}{}", begin, escape(v));
    case Op::EndsWith:
      return fmt::format("{}{}", escape(v), end);
    case Op::Contains:
    case Op::Regex:
      break;
  }
  return escape(v);
}

// Patterns of one database, being gathered.
struct PatternList {
  std::vector<std::string> exprs;
  std::vector<unsigned> flags;
  std::vector<PatternRef> refs;
  std::vector<const Atom*> atoms;  // for errors
};

void free_info(hs_expr_info_t* info) { free(info); }  // NOLINT: Hyperscan's allocator is malloc

// The per-thread state of matching: what hit in the current event.
struct MatchState {
  hs_scratch_t* hs = nullptr;
  const uint32_t* test_rule = nullptr;  // the rule set's test -> rule
  const uint32_t* test_full = nullptr;  // the rule set's test -> all atom bits
  uint32_t gen = 0;                     // event generation: stamps equal to it are this event's
  uint32_t unit = 0;                    // scan unit generation, for tests of several atoms
  std::vector<uint32_t> test_gen;       // test hit in this event
  std::vector<uint32_t> rule_gen;       // rule already a candidate in this event
  std::vector<uint32_t> atom_unit;      // unit that atom_mask belongs to
  std::vector<uint32_t> atom_mask;      // atom bits seen in that unit
  std::vector<uint32_t> candidates;
  uint64_t scan_errors = 0;

  void begin_event() {
    if (++gen == 0) {
      std::fill(test_gen.begin(), test_gen.end(), 0);
      std::fill(rule_gen.begin(), rule_gen.end(), 0);
      gen = 1;
    }
    begin_unit();
    candidates.clear();
  }

  void begin_unit() {
    if (++unit == 0) {
      std::fill(atom_unit.begin(), atom_unit.end(), 0);
      unit = 1;
    }
  }

  void add_candidate(uint32_t rule) {
    if (rule_gen[rule] != gen) {
      rule_gen[rule] = gen;
      candidates.push_back(rule);
    }
  }

  void hit_test(uint32_t test) {
    if (test_gen[test] == gen) return;
    test_gen[test] = gen;
    add_candidate(test_rule[test]);
  }

  void hit(const PatternRef& ref) {
    if (ref.bit == 0) return hit_test(ref.test);
    if (atom_unit[ref.test] != unit) {
      atom_unit[ref.test] = unit;
      atom_mask[ref.test] = 0;
    }
    atom_mask[ref.test] |= ref.bit;
    if (atom_mask[ref.test] == test_full[ref.test]) hit_test(ref.test);
  }
};

struct ScanContext {
  MatchState* state;
  const PatternRef* refs;
};

}  // namespace

struct RuleSet::Impl {
  std::vector<Rule> rules;
  std::vector<uint32_t> roots;
  std::vector<detail::Node> nodes;
  std::vector<uint32_t> kids;
  std::vector<uint32_t> test_rule;          // test -> rule
  std::vector<uint32_t> test_full;          // test -> every atom bit of it (0 for a one-atom test)
  std::array<Database, kFieldCount> whole;  // one scan of the field's value
  std::array<Database, kFieldCount> per_item;  // List fields: one scan per item
  // Per event kind: bit f to scan whole[f], bit 32 + f to scan per_item[f].
  std::array<uint64_t, kMaxKinds> scan{};
  // Per event kind: enabled rules whose condition holds with no test hit.
  std::array<std::vector<uint32_t>, kMaxKinds> always;

  ~Impl() {
    for (Database& d : whole) hs_free_database(d.db);
    for (Database& d : per_item) hs_free_database(d.db);
  }

  // Evaluates a condition node; hit(test) tells whether a test hit.
  template <class Hit>
  bool eval(uint32_t n, const Hit& hit) const {
    const detail::Node& node = nodes[n];
    switch (node.op) {
      case NodeOp::Test:
        return hit(node.a);
      case NodeOp::Not:
        return !eval(node.a, hit);
      case NodeOp::All:
        for (uint32_t i = node.a; i < node.a + node.n; ++i) {
          if (!eval(kids[i], hit)) return false;
        }
        return true;
      case NodeOp::Any:
        for (uint32_t i = node.a; i < node.a + node.n; ++i) {
          if (eval(kids[i], hit)) return true;
        }
        return false;
    }
    return false;
  }

  void compile(Program& p);
  void compile_database(const Program& p, PatternList& list, Database& out) const;
};

RuleError::RuleError(std::string file, int line, int column, const std::string& message)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, message)
                                  : fmt::format("{}: {}", file, message)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Info:
      return "info";
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
    case Severity::Critical:
      return "critical";
  }
  return "unknown";
}

void RuleSet::Impl::compile_database(const Program& p, PatternList& list, Database& out) const {
  if (list.exprs.empty()) return;
  std::vector<const char*> exprs;
  std::vector<unsigned> ids;
  for (size_t i = 0; i < list.exprs.size(); ++i) {
    exprs.push_back(list.exprs[i].c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_compile_error_t* err = nullptr;
  const hs_error_t rc =
      hs_compile_multi(exprs.data(), list.flags.data(), ids.data(),
                       static_cast<unsigned>(ids.size()), HS_MODE_BLOCK, nullptr, &out.db, &err);
  if (rc != HS_SUCCESS) {
    const std::string message = err ? err->message : "unknown error";
    const int at = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (at >= 0 && static_cast<size_t>(at) < list.atoms.size()) {
      const Atom& a = *list.atoms[at];
      const Rule& rule = rules[p.tests[list.refs[at].test].rule];
      p.fail(a.where, fmt::format("{} in rule '{}' rejected by hyperscan: {}",
                                  a.op == Op::Regex ? "regex" : "pattern", rule.id, message));
    }
    throw RuleError(p.files.empty() ? "<rules>" : p.files.front(), 0, 0,
                    "hyperscan could not compile the rules: " + message);
  }
  out.refs = std::move(list.refs);
}

void RuleSet::Impl::compile(Program& p) {
  rules = std::move(p.rules);
  roots = std::move(p.roots);
  nodes = std::move(p.nodes);
  kids = std::move(p.kids);
  test_rule.resize(p.tests.size());
  test_full.resize(p.tests.size());

  // Every regex is checked on its own first, disabled rules' too, so that an
  // error points at its node.
  std::vector<std::vector<bool>> allow_empty(p.tests.size());
  for (size_t t = 0; t < p.tests.size(); ++t) {
    for (const Atom& a : p.tests[t].atoms) {
      bool empty = a.values.empty() || a.values[0].empty();
      if (a.op == Op::Regex) {
        hs_expr_info_t* info = nullptr;
        hs_compile_error_t* err = nullptr;
        const unsigned flags =
            HS_FLAG_DOTALL | HS_FLAG_ALLOWEMPTY | (a.nocase ? HS_FLAG_CASELESS : 0u);
        if (hs_expression_info(a.values[0].c_str(), flags, &info, &err) != HS_SUCCESS) {
          const std::string message = err ? err->message : "unknown error";
          hs_free_compile_error(err);
          p.fail(a.where, fmt::format("regex in rule '{}' rejected by hyperscan: {}",
                                      rules[p.tests[t].rule].id, message));
        }
        empty = info->min_width == 0;
        free_info(info);
      }
      allow_empty[t].push_back(empty);
    }
  }

  std::array<PatternList, kFieldCount> whole_lists, item_lists;
  for (size_t t = 0; t < p.tests.size(); ++t) {
    const detail::Test& test = p.tests[t];
    test_rule[t] = test.rule;
    const Rule& rule = rules[test.rule];
    if (!rule.enabled) continue;

    const size_t f = static_cast<size_t>(test.field);
    const bool list_field = all_fields()[f].type == FieldType::List;
    // A literal with a NUL would match across items in a single scan.
    const bool one_literal =
        test.atoms.size() == 1 && test.atoms[0].op != Op::Regex &&
        std::none_of(test.atoms[0].values.begin(), test.atoms[0].values.end(),
                     [](const std::string& v) { return v.find('\0') != std::string::npos; });
    const bool whole_list = list_field && one_literal;
    PatternList& out = list_field && !one_literal ? item_lists[f] : whole_lists[f];
    const uint64_t scan_bit = list_field && !one_literal ? 1ull << (32 + f) : 1ull << f;
    for (uint32_t k = 0; k < kMaxKinds; ++k) {
      if (rule.kinds & (1u << k)) scan[k] |= scan_bit;
    }

    if (test.atoms.size() > 1) test_full[t] = (1u << test.atoms.size()) - 1;
    for (size_t i = 0; i < test.atoms.size(); ++i) {
      const Atom& a = test.atoms[i];
      const uint32_t bit = test.atoms.size() > 1 ? 1u << i : 0;
      unsigned flags = HS_FLAG_SINGLEMATCH;
      if (a.nocase) flags |= HS_FLAG_CASELESS;
      if (a.op == Op::Regex) flags |= HS_FLAG_DOTALL;
      for (const std::string& v : a.values) {
        out.exprs.push_back(a.op == Op::Regex ? v : literal_expression(a.op, v, whole_list));
        const bool empty = a.op == Op::Regex ? allow_empty[t][i] : v.empty();
        out.flags.push_back(flags | (empty ? HS_FLAG_ALLOWEMPTY : 0u));
        out.refs.push_back({static_cast<uint32_t>(t), bit});
        out.atoms.push_back(&a);
      }
    }
  }

  for (size_t f = 0; f < kFieldCount; ++f) {
    compile_database(p, whole_lists[f], whole[f]);
    compile_database(p, item_lists[f], per_item[f]);
  }

  // Rules that can hold with no hit at all are candidates for every event of
  // their kinds.
  for (uint32_t r = 0; r < rules.size(); ++r) {
    if (!rules[r].enabled || !eval(roots[r], [](uint32_t) { return false; })) continue;
    for (uint32_t k = 0; k < kMaxKinds; ++k) {
      if (rules[r].kinds & (1u << k)) always[k].push_back(r);
    }
  }
}

RuleSet::RuleSet() : impl_(std::make_unique<Impl>()) {}
RuleSet::~RuleSet() = default;

const std::vector<Rule>& RuleSet::rules() const { return impl_->rules; }

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw RuleError(path.string(), 0, 0,
                    fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::load(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  Program p;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      throw RuleError(path, 0, 0, fmt::format("no such file or directory: '{}'", path));
    }
    if (!fs::is_directory(st)) {
      p.add_file(read_file(path), path);
      continue;
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
      const std::string ext = e.path().extension().string();
      if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file()) files.push_back(e.path());
    }
    if (ec) throw RuleError(path, 0, 0, fmt::format("cannot list '{}': {}", path, ec.message()));
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) p.add_file(read_file(f), f.string());
  }
  p.resolve();
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  set->impl_->compile(p);
  return set;
}

std::shared_ptr<const RuleSet> RuleSet::parse(std::string_view yaml, std::string_view name) {
  Program p;
  p.add_file(yaml, std::string(name));
  p.resolve();
  auto set = std::shared_ptr<RuleSet>(new RuleSet());
  set->impl_->compile(p);
  return set;
}

struct RuleSet::Scratch::Impl : MatchState {
  const RuleSet::Impl* set = nullptr;
};

RuleSet::Scratch::Scratch(const RuleSet& set) : impl_(std::make_unique<Impl>()) {
  const RuleSet::Impl& s = *set.impl_;
  impl_->set = &s;
  impl_->test_rule = s.test_rule.data();
  impl_->test_full = s.test_full.data();
  auto alloc = [&](const Database& d) {
    if (d.db && hs_alloc_scratch(d.db, &impl_->hs) != HS_SUCCESS) {
      hs_free_scratch(impl_->hs);
      throw std::bad_alloc();
    }
  };
  for (const Database& d : s.whole) alloc(d);
  for (const Database& d : s.per_item) alloc(d);
  impl_->test_gen.assign(s.test_rule.size(), 0);
  impl_->atom_unit.assign(s.test_rule.size(), 0);
  impl_->atom_mask.assign(s.test_rule.size(), 0);
  impl_->rule_gen.assign(s.rules.size(), 0);
  impl_->candidates.reserve(s.rules.size());
}

RuleSet::Scratch::~Scratch() { hs_free_scratch(impl_->hs); }

uint64_t RuleSet::Scratch::scan_errors() const { return impl_->scan_errors; }

namespace {

int on_match(unsigned id, unsigned long long /*from*/, unsigned long long /*to*/,
             unsigned /*flags*/, void* context) {
  auto* c = static_cast<ScanContext*>(context);
  c->state->hit(c->refs[id]);
  return 0;
}

void scan_value(const Database& d, std::string_view v, MatchState& s) {
  ScanContext c{&s, d.refs.data()};
  if (hs_scan(d.db, v.data(), static_cast<unsigned>(v.size()), 0, s.hs, on_match, &c) !=
      HS_SUCCESS) {
    ++s.scan_errors;
  }
}

// The items of a List value as one buffer: no items when empty, else without
// the last item's terminator so that a trailing NUL does not read as one more
// (empty) item.
std::string_view list_body(std::string_view v) {
  if (!v.empty() && v.back() == '\0') v.remove_suffix(1);
  return v;
}

}  // namespace

void RuleSet::match(const EventFields& ev, Scratch& scratch, std::vector<const Rule*>& out) const {
  const Impl& set = *impl_;
  Scratch::Impl& s = *scratch.impl_;
  if (ev.kind >= kMaxKinds || s.set != &set) return;
  const uint64_t todo = set.scan[ev.kind];
  const std::vector<uint32_t>& always = set.always[ev.kind];
  if (todo == 0 && always.empty()) return;

  s.begin_event();

  // One scan of each present field that some rule of this kind tests.
  for (uint32_t fields = static_cast<uint32_t>(todo) & ev.present; fields != 0;
       fields &= fields - 1) {
    const size_t f = static_cast<size_t>(__builtin_ctz(fields));
    std::string_view v = ev.value[f];
    if (all_fields()[f].type == FieldType::List) {
      if (v.empty()) continue;
      v = list_body(v);
    }
    scan_value(set.whole[f], v, s);
  }

  // List fields with regex or several-operator tests: one scan per item.
  for (uint32_t fields = static_cast<uint32_t>(todo >> 32) & ev.present; fields != 0;
       fields &= fields - 1) {
    const size_t f = static_cast<size_t>(__builtin_ctz(fields));
    std::string_view rest = ev.value[f];
    while (!rest.empty()) {
      const size_t nul = rest.find('\0');
      const std::string_view item = rest.substr(0, nul);
      s.begin_unit();
      scan_value(set.per_item[f], item, s);
      rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    }
  }

  // Candidates: rules with a hit test, and rules that may hold without one.
  for (uint32_t r : always) s.add_candidate(r);
  std::sort(s.candidates.begin(), s.candidates.end());

  const uint32_t kind_bit = 1u << ev.kind;
  const uint32_t* test_gen = s.test_gen.data();
  const uint32_t gen = s.gen;
  auto hit = [test_gen, gen](uint32_t t) { return test_gen[t] == gen; };
  for (uint32_t r : s.candidates) {
    const Rule& rule = set.rules[r];
    if ((rule.kinds & kind_bit) && set.eval(set.roots[r], hit)) out.push_back(&rule);
  }
}

}  // namespace vigil::rules
