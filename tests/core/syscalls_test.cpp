// The system call numbers the BPF dispatchers switch on (bpf/vigil_syscalls.h)
// are the C library's: a wrong one would route a call to the wrong handler.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include "vigil_syscalls.h"

namespace {

#define EXPECT_NR(upper, name) EXPECT_EQ(VIGIL_NR_##upper, SYS_##name) << #name

TEST(SyscallNumbers, match_the_c_library) {
#if defined(__x86_64__)
  EXPECT_NR(CLONE, clone);
  EXPECT_NR(FORK, fork);
  EXPECT_NR(VFORK, vfork);
  EXPECT_NR(EXECVE, execve);
  EXPECT_NR(EXECVEAT, execveat);
  EXPECT_NR(CLONE3, clone3);
  EXPECT_NR(OPEN, open);
  EXPECT_NR(OPENAT, openat);
  EXPECT_NR(OPENAT2, openat2);
  EXPECT_NR(CREAT, creat);
  EXPECT_NR(TRUNCATE, truncate);
  EXPECT_NR(FTRUNCATE, ftruncate);
  EXPECT_NR(UNLINK, unlink);
  EXPECT_NR(UNLINKAT, unlinkat);
  EXPECT_NR(RMDIR, rmdir);
  EXPECT_NR(RENAME, rename);
  EXPECT_NR(RENAMEAT, renameat);
  EXPECT_NR(RENAMEAT2, renameat2);
  EXPECT_NR(CHMOD, chmod);
  EXPECT_NR(FCHMOD, fchmod);
  EXPECT_NR(FCHMODAT, fchmodat);
  EXPECT_NR(CHOWN, chown);
  EXPECT_NR(FCHOWN, fchown);
  EXPECT_NR(LCHOWN, lchown);
  EXPECT_NR(FCHOWNAT, fchownat);
  EXPECT_NR(LINK, link);
  EXPECT_NR(LINKAT, linkat);
  EXPECT_NR(SYMLINK, symlink);
  EXPECT_NR(SYMLINKAT, symlinkat);
  EXPECT_NR(MKDIR, mkdir);
  EXPECT_NR(MKDIRAT, mkdirat);
  EXPECT_NR(MOUNT, mount);
  EXPECT_NR(MOVE_MOUNT, move_mount);
  EXPECT_NR(UMOUNT2, umount2);
  EXPECT_NR(MEMFD_CREATE, memfd_create);
  EXPECT_NR(CONNECT, connect);
  EXPECT_NR(ACCEPT, accept);
  EXPECT_NR(ACCEPT4, accept4);
  EXPECT_NR(BIND, bind);
  EXPECT_NR(LISTEN, listen);
  EXPECT_NR(SETUID, setuid);
  EXPECT_NR(SETGID, setgid);
  EXPECT_NR(SETREUID, setreuid);
  EXPECT_NR(SETREGID, setregid);
  EXPECT_NR(SETRESUID, setresuid);
  EXPECT_NR(SETRESGID, setresgid);
  EXPECT_NR(SETFSUID, setfsuid);
  EXPECT_NR(SETFSGID, setfsgid);
  EXPECT_NR(CAPSET, capset);
  EXPECT_NR(PTRACE, ptrace);
  EXPECT_NR(INIT_MODULE, init_module);
  EXPECT_NR(FINIT_MODULE, finit_module);
  EXPECT_NR(DELETE_MODULE, delete_module);
  EXPECT_NR(BPF, bpf);
  EXPECT_NR(UNSHARE, unshare);
  EXPECT_NR(SETNS, setns);
  EXPECT_NR(KILL, kill);
  EXPECT_NR(TKILL, tkill);
  EXPECT_NR(TGKILL, tgkill);
  EXPECT_NR(PRCTL, prctl);
#ifdef SYS_fchmodat2
  EXPECT_NR(FCHMODAT2, fchmodat2);
#else
  // Newer than Debian 12's headers: the kernel's own table says 452.
  EXPECT_EQ(VIGIL_NR_FCHMODAT2, 452);
#endif
#else
  GTEST_SKIP() << "the BPF programs know x86-64's numbers only";
#endif
}

}  // namespace
