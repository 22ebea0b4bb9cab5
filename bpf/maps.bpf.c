// SPDX-License-Identifier: GPL-2.0-only
/* The maps and knobs every program shares; declared in vigil.bpf.h. */
#include "vigil.bpf.h"

const volatile __u32 vigil_self_tgid = 0;
const volatile bool vigil_threads = false;
const volatile __u64 vigil_kinds = 0;
const volatile __u64 vigil_wakeup_bytes = 0;
const volatile __u32 vigil_open_prefix_count = 0;
const volatile struct vigil_prefix vigil_open_prefixes[VIGIL_PREFIX_MAX] = {};

struct vigil_ringbuf vigil_events SEC(".maps");
struct vigil_stats_map vigil_stats SEC(".maps");
struct vigil_record_map vigil_records SEC(".maps");
struct vigil_path_map vigil_paths SEC(".maps");
struct vigil_stash_map vigil_stash SEC(".maps");
struct vigil_uring_map vigil_uring_opens SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
