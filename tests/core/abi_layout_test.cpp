// Pins the event ABI (core/abi/vigil_event.h): the size and offset of every
// field, and that the BPF object was compiled with the very same layout.
// A failure here means the ABI changed: bump VIGIL_ABI_VERSION, update every
// driver and this test together.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>

#include "vigil_event.h"

namespace {

TEST(AbiLayout, vigil_hdr_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_hdr), 16u);
  EXPECT_EQ(offsetof(struct vigil_hdr, size), 0u);
  EXPECT_EQ(offsetof(struct vigil_hdr, kind), 4u);
  EXPECT_EQ(offsetof(struct vigil_hdr, cpu), 6u);
  EXPECT_EQ(offsetof(struct vigil_hdr, ts_ns), 8u);
}

TEST(AbiLayout, vigil_task_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_task), 96u);
  EXPECT_EQ(offsetof(struct vigil_task, start_ns), 0u);
  EXPECT_EQ(offsetof(struct vigil_task, parent_start_ns), 8u);
  EXPECT_EQ(offsetof(struct vigil_task, cgroup_id), 16u);
  EXPECT_EQ(offsetof(struct vigil_task, pid), 24u);
  EXPECT_EQ(offsetof(struct vigil_task, tid), 28u);
  EXPECT_EQ(offsetof(struct vigil_task, ppid), 32u);
  EXPECT_EQ(offsetof(struct vigil_task, ns_pid), 36u);
  EXPECT_EQ(offsetof(struct vigil_task, uid), 40u);
  EXPECT_EQ(offsetof(struct vigil_task, gid), 44u);
  EXPECT_EQ(offsetof(struct vigil_task, euid), 48u);
  EXPECT_EQ(offsetof(struct vigil_task, egid), 52u);
  EXPECT_EQ(offsetof(struct vigil_task, auid), 56u);
  EXPECT_EQ(offsetof(struct vigil_task, sessionid), 60u);
  EXPECT_EQ(offsetof(struct vigil_task, tty), 64u);
  EXPECT_EQ(offsetof(struct vigil_task, pidns), 68u);
  EXPECT_EQ(offsetof(struct vigil_task, mntns), 72u);
  EXPECT_EQ(offsetof(struct vigil_task, netns), 76u);
  EXPECT_EQ(offsetof(struct vigil_task, comm), 80u);
}

TEST(AbiLayout, vigil_str_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_str), 4u);
  EXPECT_EQ(offsetof(struct vigil_str, off), 0u);
  EXPECT_EQ(offsetof(struct vigil_str, len), 2u);
}

TEST(AbiLayout, vigil_exec_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_exec), 184u);
  EXPECT_EQ(offsetof(struct vigil_exec, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_exec, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_ino), 112u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_size), 120u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_mtime_ns), 128u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe_dev), 136u);
  EXPECT_EQ(offsetof(struct vigil_exec, argc), 140u);
  EXPECT_EQ(offsetof(struct vigil_exec, flags), 144u);
  EXPECT_EQ(offsetof(struct vigil_exec, old_pid), 148u);
  EXPECT_EQ(offsetof(struct vigil_exec, syscall), 152u);
  EXPECT_EQ(offsetof(struct vigil_exec, _pad), 154u);
  EXPECT_EQ(offsetof(struct vigil_exec, at_flags), 156u);
  EXPECT_EQ(offsetof(struct vigil_exec, dirfd), 160u);
  EXPECT_EQ(offsetof(struct vigil_exec, _pad2), 164u);
  EXPECT_EQ(offsetof(struct vigil_exec, filename), 168u);
  EXPECT_EQ(offsetof(struct vigil_exec, exe), 172u);
  EXPECT_EQ(offsetof(struct vigil_exec, args), 176u);
  EXPECT_EQ(offsetof(struct vigil_exec, cwd), 180u);
}

TEST(AbiLayout, vigil_exec_failed_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_exec_failed), 144u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, ret), 112u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, syscall), 120u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, _pad), 122u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, at_flags), 124u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, dirfd), 128u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, flags), 132u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, filename), 136u);
  EXPECT_EQ(offsetof(struct vigil_exec_failed, path), 140u);
}

TEST(AbiLayout, vigil_fork_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_fork), 136u);
  EXPECT_EQ(offsetof(struct vigil_fork, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_fork, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_fork, creator_pid), 112u);
  EXPECT_EQ(offsetof(struct vigil_fork, creator_tid), 116u);
  EXPECT_EQ(offsetof(struct vigil_fork, flags), 120u);
  EXPECT_EQ(offsetof(struct vigil_fork, syscall), 124u);
  EXPECT_EQ(offsetof(struct vigil_fork, _pad), 126u);
  EXPECT_EQ(offsetof(struct vigil_fork, clone_flags), 128u);
}

TEST(AbiLayout, vigil_exit_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_exit), 120u);
  EXPECT_EQ(offsetof(struct vigil_exit, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_exit, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_exit, status), 112u);
  EXPECT_EQ(offsetof(struct vigil_exit, flags), 116u);
}

TEST(AbiLayout, vigil_file_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_file), 200u);
  EXPECT_EQ(offsetof(struct vigil_file, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_file, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_file, ret), 112u);
  EXPECT_EQ(offsetof(struct vigil_file, flags), 120u);
  EXPECT_EQ(offsetof(struct vigil_file, ino), 128u);
  EXPECT_EQ(offsetof(struct vigil_file, length), 136u);
  EXPECT_EQ(offsetof(struct vigil_file, dev), 144u);
  EXPECT_EQ(offsetof(struct vigil_file, mode), 148u);
  EXPECT_EQ(offsetof(struct vigil_file, uid), 152u);
  EXPECT_EQ(offsetof(struct vigil_file, gid), 156u);
  EXPECT_EQ(offsetof(struct vigil_file, resolve), 160u);
  EXPECT_EQ(offsetof(struct vigil_file, fd), 164u);
  EXPECT_EQ(offsetof(struct vigil_file, fd2), 168u);
  EXPECT_EQ(offsetof(struct vigil_file, info), 172u);
  EXPECT_EQ(offsetof(struct vigil_file, syscall), 176u);
  EXPECT_EQ(offsetof(struct vigil_file, _pad), 178u);
  EXPECT_EQ(offsetof(struct vigil_file, path), 180u);
  EXPECT_EQ(offsetof(struct vigil_file, requested), 184u);
  EXPECT_EQ(offsetof(struct vigil_file, path2), 188u);
  EXPECT_EQ(offsetof(struct vigil_file, requested2), 192u);
  EXPECT_EQ(offsetof(struct vigil_file, fstype), 196u);
}

TEST(AbiLayout, vigil_net_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_net), 184u);
  EXPECT_EQ(offsetof(struct vigil_net, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_net, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_net, ret), 112u);
  EXPECT_EQ(offsetof(struct vigil_net, saddr), 120u);
  EXPECT_EQ(offsetof(struct vigil_net, daddr), 136u);
  EXPECT_EQ(offsetof(struct vigil_net, sport), 152u);
  EXPECT_EQ(offsetof(struct vigil_net, dport), 154u);
  EXPECT_EQ(offsetof(struct vigil_net, family), 156u);
  EXPECT_EQ(offsetof(struct vigil_net, type), 158u);
  EXPECT_EQ(offsetof(struct vigil_net, protocol), 160u);
  EXPECT_EQ(offsetof(struct vigil_net, syscall), 162u);
  EXPECT_EQ(offsetof(struct vigil_net, fd), 164u);
  EXPECT_EQ(offsetof(struct vigil_net, arg), 168u);
  EXPECT_EQ(offsetof(struct vigil_net, info), 172u);
  EXPECT_EQ(offsetof(struct vigil_net, unix_path), 176u);
  EXPECT_EQ(offsetof(struct vigil_net, _pad), 180u);
}

TEST(AbiLayout, vigil_priv_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_priv), 272u);
  EXPECT_EQ(offsetof(struct vigil_priv, hdr), 0u);
  EXPECT_EQ(offsetof(struct vigil_priv, task), 16u);
  EXPECT_EQ(offsetof(struct vigil_priv, ret), 112u);
  EXPECT_EQ(offsetof(struct vigil_priv, flags), 120u);
  EXPECT_EQ(offsetof(struct vigil_priv, ino), 128u);
  EXPECT_EQ(offsetof(struct vigil_priv, caps), 136u);
  EXPECT_EQ(offsetof(struct vigil_priv, old_caps), 160u);
  EXPECT_EQ(offsetof(struct vigil_priv, ids), 184u);
  EXPECT_EQ(offsetof(struct vigil_priv, old_ids), 200u);
  EXPECT_EQ(offsetof(struct vigil_priv, new_ids), 216u);
  EXPECT_EQ(offsetof(struct vigil_priv, request), 232u);
  EXPECT_EQ(offsetof(struct vigil_priv, target_pid), 236u);
  EXPECT_EQ(offsetof(struct vigil_priv, target_tid), 240u);
  EXPECT_EQ(offsetof(struct vigil_priv, signal), 244u);
  EXPECT_EQ(offsetof(struct vigil_priv, fd), 248u);
  EXPECT_EQ(offsetof(struct vigil_priv, info), 252u);
  EXPECT_EQ(offsetof(struct vigil_priv, syscall), 256u);
  EXPECT_EQ(offsetof(struct vigil_priv, _pad), 258u);
  EXPECT_EQ(offsetof(struct vigil_priv, name), 260u);
  EXPECT_EQ(offsetof(struct vigil_priv, path), 264u);
  EXPECT_EQ(offsetof(struct vigil_priv, _pad2), 268u);
}

TEST(AbiLayout, vigil_stats_is_pinned) {
  EXPECT_EQ(sizeof(struct vigil_stats), 1320u);
}

TEST(AbiLayout, constants_are_pinned) {
  EXPECT_EQ(VIGIL_ABI_VERSION, 2);
  EXPECT_EQ(VIGIL_RECORD_MAX, 32768);
  EXPECT_EQ(VIGIL_ARGS_MAX, 16383);
  EXPECT_EQ(VIGIL_PATH_MAX, 4095);
  EXPECT_EQ(VIGIL_NAME_MAX, 255);
  EXPECT_EQ(VIGIL_KIND_MAX, 33);
  EXPECT_EQ(VIGIL_SYS_MAX, 62);
  EXPECT_EQ(VIGIL_CNT_MAX, 5);
  // Kind and system call numbers are stable: spot-check both ends.
  EXPECT_EQ(VIGIL_KIND_EXEC_FAILED, 4);
  EXPECT_EQ(VIGIL_KIND_OPEN, 5);
  EXPECT_EQ(VIGIL_KIND_CONNECT, 18);
  EXPECT_EQ(VIGIL_KIND_SETUID, 22);
  EXPECT_EQ(VIGIL_KIND_PRCTL, 32);
  EXPECT_EQ(VIGIL_SYS_OPENAT, 8);
  EXPECT_EQ(VIGIL_SYS_PRCTL, 61);
}

// Every struct must have, in the BTF clang emits for the BPF target (with the
// drivers' flags, see abi_anchor.bpf.c), the size and offsets it has here.
class BpfAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    btf_ = btf__parse(VIGIL_ABI_ANCHOR, nullptr);
    ASSERT_NE(btf_, nullptr) << "cannot read BTF of " << VIGIL_ABI_ANCHOR;
  }
  void TearDown() override { btf__free(btf_); }

  // Size of struct `name` in the BPF object, and the byte offset of `member`.
  void expect_member(const char* name, const char* member, size_t host_size, size_t host_off) {
    const int id = btf__find_by_name_kind(btf_, name, BTF_KIND_STRUCT);
    ASSERT_GT(id, 0) << name << " not in the BPF object's BTF";
    const btf_type* t = btf__type_by_id(btf_, id);
    EXPECT_EQ(t->size, host_size) << name;
    const btf_member* m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
      if (std::string(btf__name_by_offset(btf_, m->name_off)) == member) {
        EXPECT_EQ(btf_member_bit_offset(t, i) / 8, host_off) << name << "." << member;
        return;
      }
    }
    ADD_FAILURE() << name << "." << member << " not in the BPF object";
  }

  btf* btf_ = nullptr;
};

#define EXPECT_BPF_MEMBER(type, member) \
  expect_member(#type, #member, sizeof(struct type), offsetof(struct type, member))

TEST_F(BpfAbi, bpf_object_uses_the_same_layout) {
  EXPECT_BPF_MEMBER(vigil_hdr, size);
  EXPECT_BPF_MEMBER(vigil_hdr, kind);
  EXPECT_BPF_MEMBER(vigil_hdr, cpu);
  EXPECT_BPF_MEMBER(vigil_hdr, ts_ns);
  EXPECT_BPF_MEMBER(vigil_task, start_ns);
  EXPECT_BPF_MEMBER(vigil_task, parent_start_ns);
  EXPECT_BPF_MEMBER(vigil_task, cgroup_id);
  EXPECT_BPF_MEMBER(vigil_task, pid);
  EXPECT_BPF_MEMBER(vigil_task, tid);
  EXPECT_BPF_MEMBER(vigil_task, ppid);
  EXPECT_BPF_MEMBER(vigil_task, ns_pid);
  EXPECT_BPF_MEMBER(vigil_task, uid);
  EXPECT_BPF_MEMBER(vigil_task, gid);
  EXPECT_BPF_MEMBER(vigil_task, euid);
  EXPECT_BPF_MEMBER(vigil_task, egid);
  EXPECT_BPF_MEMBER(vigil_task, auid);
  EXPECT_BPF_MEMBER(vigil_task, sessionid);
  EXPECT_BPF_MEMBER(vigil_task, tty);
  EXPECT_BPF_MEMBER(vigil_task, pidns);
  EXPECT_BPF_MEMBER(vigil_task, mntns);
  EXPECT_BPF_MEMBER(vigil_task, netns);
  EXPECT_BPF_MEMBER(vigil_task, comm);
  EXPECT_BPF_MEMBER(vigil_str, off);
  EXPECT_BPF_MEMBER(vigil_str, len);
  EXPECT_BPF_MEMBER(vigil_exec, hdr);
  EXPECT_BPF_MEMBER(vigil_exec, task);
  EXPECT_BPF_MEMBER(vigil_exec, exe_ino);
  EXPECT_BPF_MEMBER(vigil_exec, argc);
  EXPECT_BPF_MEMBER(vigil_exec, flags);
  EXPECT_BPF_MEMBER(vigil_fork, hdr);
  EXPECT_BPF_MEMBER(vigil_fork, task);
  EXPECT_BPF_MEMBER(vigil_exec, old_pid);
  EXPECT_BPF_MEMBER(vigil_exec, syscall);
  EXPECT_BPF_MEMBER(vigil_exec, _pad);
  EXPECT_BPF_MEMBER(vigil_exec, at_flags);
  EXPECT_BPF_MEMBER(vigil_exec, dirfd);
  EXPECT_BPF_MEMBER(vigil_exec, _pad2);
  EXPECT_BPF_MEMBER(vigil_exec, filename);
  EXPECT_BPF_MEMBER(vigil_exec, exe);
  EXPECT_BPF_MEMBER(vigil_exec, args);
  EXPECT_BPF_MEMBER(vigil_exec, cwd);
  EXPECT_BPF_MEMBER(vigil_exec_failed, hdr);
  EXPECT_BPF_MEMBER(vigil_exec_failed, task);
  EXPECT_BPF_MEMBER(vigil_exec_failed, ret);
  EXPECT_BPF_MEMBER(vigil_exec_failed, syscall);
  EXPECT_BPF_MEMBER(vigil_exec_failed, _pad);
  EXPECT_BPF_MEMBER(vigil_exec_failed, at_flags);
  EXPECT_BPF_MEMBER(vigil_exec_failed, dirfd);
  EXPECT_BPF_MEMBER(vigil_exec_failed, flags);
  EXPECT_BPF_MEMBER(vigil_exec_failed, filename);
  EXPECT_BPF_MEMBER(vigil_exec_failed, path);
  EXPECT_BPF_MEMBER(vigil_fork, creator_pid);
  EXPECT_BPF_MEMBER(vigil_fork, creator_tid);
  EXPECT_BPF_MEMBER(vigil_fork, flags);
  EXPECT_BPF_MEMBER(vigil_fork, syscall);
  EXPECT_BPF_MEMBER(vigil_fork, _pad);
  EXPECT_BPF_MEMBER(vigil_fork, clone_flags);
  EXPECT_BPF_MEMBER(vigil_file, hdr);
  EXPECT_BPF_MEMBER(vigil_file, task);
  EXPECT_BPF_MEMBER(vigil_file, ret);
  EXPECT_BPF_MEMBER(vigil_file, flags);
  EXPECT_BPF_MEMBER(vigil_file, ino);
  EXPECT_BPF_MEMBER(vigil_file, length);
  EXPECT_BPF_MEMBER(vigil_file, dev);
  EXPECT_BPF_MEMBER(vigil_file, mode);
  EXPECT_BPF_MEMBER(vigil_file, uid);
  EXPECT_BPF_MEMBER(vigil_file, gid);
  EXPECT_BPF_MEMBER(vigil_file, resolve);
  EXPECT_BPF_MEMBER(vigil_file, fd);
  EXPECT_BPF_MEMBER(vigil_file, fd2);
  EXPECT_BPF_MEMBER(vigil_file, info);
  EXPECT_BPF_MEMBER(vigil_file, syscall);
  EXPECT_BPF_MEMBER(vigil_file, _pad);
  EXPECT_BPF_MEMBER(vigil_file, path);
  EXPECT_BPF_MEMBER(vigil_file, requested);
  EXPECT_BPF_MEMBER(vigil_file, path2);
  EXPECT_BPF_MEMBER(vigil_file, requested2);
  EXPECT_BPF_MEMBER(vigil_file, fstype);
  EXPECT_BPF_MEMBER(vigil_net, hdr);
  EXPECT_BPF_MEMBER(vigil_net, task);
  EXPECT_BPF_MEMBER(vigil_net, ret);
  EXPECT_BPF_MEMBER(vigil_net, saddr);
  EXPECT_BPF_MEMBER(vigil_net, daddr);
  EXPECT_BPF_MEMBER(vigil_net, sport);
  EXPECT_BPF_MEMBER(vigil_net, dport);
  EXPECT_BPF_MEMBER(vigil_net, family);
  EXPECT_BPF_MEMBER(vigil_net, type);
  EXPECT_BPF_MEMBER(vigil_net, protocol);
  EXPECT_BPF_MEMBER(vigil_net, syscall);
  EXPECT_BPF_MEMBER(vigil_net, fd);
  EXPECT_BPF_MEMBER(vigil_net, arg);
  EXPECT_BPF_MEMBER(vigil_net, info);
  EXPECT_BPF_MEMBER(vigil_net, unix_path);
  EXPECT_BPF_MEMBER(vigil_net, _pad);
  EXPECT_BPF_MEMBER(vigil_priv, hdr);
  EXPECT_BPF_MEMBER(vigil_priv, task);
  EXPECT_BPF_MEMBER(vigil_priv, ret);
  EXPECT_BPF_MEMBER(vigil_priv, flags);
  EXPECT_BPF_MEMBER(vigil_priv, ino);
  EXPECT_BPF_MEMBER(vigil_priv, caps);
  EXPECT_BPF_MEMBER(vigil_priv, old_caps);
  EXPECT_BPF_MEMBER(vigil_priv, ids);
  EXPECT_BPF_MEMBER(vigil_priv, old_ids);
  EXPECT_BPF_MEMBER(vigil_priv, new_ids);
  EXPECT_BPF_MEMBER(vigil_priv, request);
  EXPECT_BPF_MEMBER(vigil_priv, target_pid);
  EXPECT_BPF_MEMBER(vigil_priv, target_tid);
  EXPECT_BPF_MEMBER(vigil_priv, signal);
  EXPECT_BPF_MEMBER(vigil_priv, fd);
  EXPECT_BPF_MEMBER(vigil_priv, info);
  EXPECT_BPF_MEMBER(vigil_priv, syscall);
  EXPECT_BPF_MEMBER(vigil_priv, _pad);
  EXPECT_BPF_MEMBER(vigil_priv, name);
  EXPECT_BPF_MEMBER(vigil_priv, path);
  EXPECT_BPF_MEMBER(vigil_priv, _pad2);
  EXPECT_BPF_MEMBER(vigil_exit, hdr);
  EXPECT_BPF_MEMBER(vigil_exit, task);
  EXPECT_BPF_MEMBER(vigil_exit, status);
  EXPECT_BPF_MEMBER(vigil_exit, flags);
}

}  // namespace
