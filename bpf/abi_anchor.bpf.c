// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compiled for the BPF target with the drivers' own flags, so that its BTF
 * shows how clang lays out every ABI struct there. abi_layout_test.cpp
 * compares that with the host compiler's layout.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "vigil_event.h"

struct vigil_hdr vigil_anchor_hdr;
struct vigil_task vigil_anchor_task;
struct vigil_str vigil_anchor_str;
struct vigil_exec vigil_anchor_exec;
struct vigil_fork vigil_anchor_fork;
struct vigil_exit vigil_anchor_exit;
struct vigil_exec_failed vigil_anchor_exec_failed;
struct vigil_file vigil_anchor_file;
struct vigil_net vigil_anchor_net;
struct vigil_priv vigil_anchor_priv;
struct vigil_stats vigil_anchor_stats;

char LICENSE[] SEC("license") = "GPL";
