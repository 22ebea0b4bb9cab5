// The file, network and privilege families: validation of their strings,
// their JSON renderings and the rule fields filled from them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "vigil/detector.h"
#include "vigil/event_text.h"
#include "vigil/record_builder.h"
#include "vigil/render.h"

namespace vigil {
namespace {

using nlohmann::json;
using rules::FieldId;

// Lays out a record of body `Body`: `body` with its strings appended in the
// order given, each vigil_str member pointed at its bytes.
template <class Body>
RecordBuffer build(Body body, uint16_t kind,
                   std::initializer_list<std::pair<vigil_str Body::*, std::string>> strings) {
  size_t total = sizeof(Body);
  for (const auto& s : strings) total += s.second.size();
  RecordBuffer buf;
  buf.resize((total + 7) & ~size_t{7});
  body.hdr.size = static_cast<uint32_t>(buf.size());
  body.hdr.kind = kind;
  size_t off = sizeof(Body);
  for (const auto& [member, value] : strings) {
    (body.*member).off = static_cast<uint16_t>(off);
    (body.*member).len = static_cast<uint16_t>(value.size());
    std::memcpy(buf.data() + off, value.data(), value.size());
    off += value.size();
  }
  std::memcpy(buf.data(), &body, sizeof(body));
  return buf;
}

json render(const RecordBuffer& rec) {
  BootClock clock;
  RenderContext ctx{"h", &clock};
  std::string line;
  render_event(line, EventView(rec.data()), {}, ctx);
  return json::parse(line);
}

RecordBuffer lexical_rename() {
  vigil_file f{};
  f.task = make_task(10, 1);
  f.ret = 0;
  f.fd = -100;
  f.fd2 = 5;
  f.syscall = VIGIL_SYS_RENAMEAT;
  f.info = VIGIL_FILE_LEXICAL | VIGIL_FILE_LEXICAL2;
  return build<vigil_file>(f, VIGIL_KIND_RENAME,
                           {{&vigil_file::requested, "../etc/./passwd"},
                            {&vigil_file::path, "/home/u/../etc/./passwd"},
                            {&vigil_file::requested2, "x"},
                            {&vigil_file::path2, "/tmp//d/x"}});
}

TEST(FileRecord, lexical_paths_are_normalised_in_json_and_fields) {
  const auto rec = lexical_rename();
  ASSERT_EQ(validate_record({rec.data(), rec.size()}), RecordError::None);
  const json j = render(rec);
  EXPECT_EQ(j["event"]["kind"], "rename");
  EXPECT_EQ(j["event"]["syscall"], "renameat");
  EXPECT_EQ(j["event"]["ret"], 0);
  EXPECT_EQ(j["file"]["path"], "/home/etc/passwd");
  EXPECT_EQ(j["file"]["requested"], "../etc/./passwd");
  EXPECT_EQ(j["file"]["path2"], "/tmp/d/x");
  EXPECT_EQ(j["file"]["fd2"], 5);
  EXPECT_EQ(j["file"]["path_lexical"], true);

  rules::EventFields fields;
  FieldScratch scratch;
  fill_fields(fields, scratch, EventView(rec.data()), {});
  EXPECT_EQ(fields.get(FieldId::FilePath), "/home/etc/passwd");
  EXPECT_EQ(fields.get(FieldId::FileRequested), "../etc/./passwd");
  EXPECT_EQ(fields.get(FieldId::FilePath2), "/tmp/d/x");
  EXPECT_EQ(fields.get(FieldId::FileRequested2), "x");
  EXPECT_FALSE(fields.has(FieldId::NetDaddr));
}

TEST(FileRecord, string_outside_the_record_is_rejected) {
  auto rec = lexical_rename();
  vigil_file f;
  std::memcpy(&f, rec.data(), sizeof(f));
  f.path2.len = 4000;
  std::memcpy(rec.data(), &f, sizeof(f));
  EXPECT_EQ(validate_record({rec.data(), rec.size()}), RecordError::BadString);
  f.path2.len = 1;
  f.path2.off = 8;  // inside the fixed part
  std::memcpy(rec.data(), &f, sizeof(f));
  EXPECT_EQ(validate_record({rec.data(), rec.size()}), RecordError::BadString);
}

TEST(FileRecord, failed_call_names_its_error) {
  vigil_file f{};
  f.task = make_task(10, 1);
  f.ret = -13;
  f.syscall = VIGIL_SYS_OPENAT;
  f.flags = 01101;
  const auto rec = build<vigil_file>(
      f, VIGIL_KIND_OPEN,
      {{&vigil_file::requested, "/etc/shadow"}, {&vigil_file::path, "/etc/shadow"}});
  const json j = render(rec);
  EXPECT_EQ(j["event"]["error"], "EACCES");
  EXPECT_EQ(j["file"]["flags"], 01101);
  EXPECT_EQ(j["file"]["created"], false);
}

TEST(NetRecord, addresses_render_as_text_and_abstract_names_are_marked) {
  vigil_net n{};
  n.task = make_task(10, 1);
  n.family = AF_INET6;
  n.syscall = VIGIL_SYS_CONNECT;
  inet_pton(AF_INET6, "2001:db8::1", n.daddr);
  n.dport = 443;
  const auto inet = build<vigil_net>(n, VIGIL_KIND_CONNECT, {});
  ASSERT_EQ(validate_record({inet.data(), inet.size()}), RecordError::None);
  json j = render(inet);
  EXPECT_EQ(j["net"]["family"], "inet6");
  EXPECT_EQ(j["net"]["daddr"], "2001:db8::1");
  EXPECT_EQ(j["net"]["dport"], 443);

  vigil_net u{};
  u.task = make_task(10, 1);
  u.family = AF_UNIX;
  u.syscall = VIGIL_SYS_CONNECT;
  const auto unix_rec = build<vigil_net>(u, VIGIL_KIND_CONNECT,
                                         {{&vigil_net::unix_path, std::string("\0abs\0x", 6)}});
  j = render(unix_rec);
  EXPECT_EQ(j["net"]["unix_path"], std::string("@abs\0x", 6));
  EXPECT_EQ(j["net"]["unix_abstract"], true);
  rules::EventFields fields;
  FieldScratch scratch;
  fill_fields(fields, scratch, EventView(unix_rec.data()), {});
  EXPECT_EQ(fields.get(FieldId::NetUnixPath), std::string("@abs\0x", 6));
}

TEST(PrivRecord, setuid_renders_ids_and_prctl_its_name) {
  vigil_priv p{};
  p.task = make_task(10, 1);
  p.syscall = VIGIL_SYS_SETRESUID;
  const uint32_t ids[4] = {1, 2, 3, 0xffffffffu}, old[4] = {0, 0, 0, 0}, now[4] = {1, 2, 3, 2};
  std::memcpy(p.ids, ids, sizeof(ids));
  std::memcpy(p.old_ids, old, sizeof(old));
  std::memcpy(p.new_ids, now, sizeof(now));
  json j = render(build<vigil_priv>(p, VIGIL_KIND_SETUID, {}));
  EXPECT_EQ(j["priv"]["ids"], json({1, 2, 3, 4294967295u}));
  EXPECT_EQ(j["priv"]["new_ids"], json({1, 2, 3, 2}));

  vigil_priv n{};
  n.task = make_task(10, 1);
  n.syscall = VIGIL_SYS_PRCTL;
  n.request = 15;
  const auto rec = build<vigil_priv>(n, VIGIL_KIND_PRCTL, {{&vigil_priv::name, "kworker/0:1"}});
  j = render(rec);
  EXPECT_EQ(j["priv"]["name"], "kworker/0:1");
  rules::EventFields fields;
  FieldScratch scratch;
  fill_fields(fields, scratch, EventView(rec.data()), {});
  EXPECT_EQ(fields.get(FieldId::PrivName), "kworker/0:1");
}

TEST(Kinds, every_kind_has_a_name_that_maps_back) {
  for (uint16_t k = 1; k < kKindCount; ++k) {
    EXPECT_NE(kind_name(k), "unknown") << k;
    EXPECT_EQ(kind_from_name(kind_name(k)), k) << kind_name(k);
    EXPECT_NE(kind_family(k), Family::None) << kind_name(k);
  }
  EXPECT_EQ(kind_from_name("memfd_create"), VIGIL_KIND_MEMFD_CREATE);
  EXPECT_EQ(syscall_name(VIGIL_SYS_OPENAT2), "openat2");
}

TEST(NormalizePath, resolves_dots_and_slashes_as_text) {
  std::string out;
  normalize_path("/a/./b//c/../d/", out);
  EXPECT_EQ(out, "/a/b/d");
  normalize_path("/../..", out);
  EXPECT_EQ(out, "/");
  normalize_path("/", out);
  EXPECT_EQ(out, "/");
}

}  // namespace
}  // namespace vigil
