/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86-64 system call numbers the programs dispatch on: one program per
 * family is attached to the exit tracepoint of each call it serves and tells
 * them apart by the number the tracepoint carries. Plain C, so that
 * tests/core/syscalls_test.cpp can check each against the C library's.
 * Only x86-64 so far: bpf/vmlinux/vmlinux.h is x86-64's too.
 */
#ifndef VIGIL_SYSCALLS_H
#define VIGIL_SYSCALLS_H

/* process */
#define VIGIL_NR_CLONE 56
#define VIGIL_NR_FORK 57
#define VIGIL_NR_VFORK 58
#define VIGIL_NR_EXECVE 59
#define VIGIL_NR_EXECVEAT 322
#define VIGIL_NR_CLONE3 435

/* file */
#define VIGIL_NR_OPEN 2
#define VIGIL_NR_OPENAT 257
#define VIGIL_NR_OPENAT2 437
#define VIGIL_NR_CREAT 85
#define VIGIL_NR_TRUNCATE 76
#define VIGIL_NR_FTRUNCATE 77
#define VIGIL_NR_UNLINK 87
#define VIGIL_NR_UNLINKAT 263
#define VIGIL_NR_RMDIR 84
#define VIGIL_NR_RENAME 82
#define VIGIL_NR_RENAMEAT 264
#define VIGIL_NR_RENAMEAT2 316
#define VIGIL_NR_CHMOD 90
#define VIGIL_NR_FCHMOD 91
#define VIGIL_NR_FCHMODAT 268
#define VIGIL_NR_FCHMODAT2 452 /* since 6.6 */
#define VIGIL_NR_CHOWN 92
#define VIGIL_NR_FCHOWN 93
#define VIGIL_NR_LCHOWN 94
#define VIGIL_NR_FCHOWNAT 260
#define VIGIL_NR_LINK 86
#define VIGIL_NR_LINKAT 265
#define VIGIL_NR_SYMLINK 88
#define VIGIL_NR_SYMLINKAT 266
#define VIGIL_NR_MKDIR 83
#define VIGIL_NR_MKDIRAT 258
#define VIGIL_NR_MOUNT 165
#define VIGIL_NR_MOVE_MOUNT 429
#define VIGIL_NR_UMOUNT2 166
#define VIGIL_NR_MEMFD_CREATE 319

/* network */
#define VIGIL_NR_CONNECT 42
#define VIGIL_NR_ACCEPT 43
#define VIGIL_NR_ACCEPT4 288
#define VIGIL_NR_BIND 49
#define VIGIL_NR_LISTEN 50

/* privilege */
#define VIGIL_NR_SETUID 105
#define VIGIL_NR_SETGID 106
#define VIGIL_NR_SETREUID 113
#define VIGIL_NR_SETREGID 114
#define VIGIL_NR_SETRESUID 117
#define VIGIL_NR_SETRESGID 119
#define VIGIL_NR_SETFSUID 122
#define VIGIL_NR_SETFSGID 123
#define VIGIL_NR_CAPSET 126
#define VIGIL_NR_PTRACE 101
#define VIGIL_NR_INIT_MODULE 175
#define VIGIL_NR_FINIT_MODULE 313
#define VIGIL_NR_DELETE_MODULE 176
#define VIGIL_NR_BPF 321
#define VIGIL_NR_UNSHARE 272
#define VIGIL_NR_SETNS 308
#define VIGIL_NR_KILL 62
#define VIGIL_NR_TKILL 200
#define VIGIL_NR_TGKILL 234
#define VIGIL_NR_PRCTL 157

#endif /* VIGIL_SYSCALLS_H */
