// SPDX-License-Identifier: GPL-2.0-only
/* The maps and knobs every program shares; declared in vigil.bpf.h. */
#include "vigil.bpf.h"

const volatile __u32 vigil_self_tgid = 0;
const volatile bool vigil_threads = false;

struct vigil_ringbuf vigil_events SEC(".maps");
struct vigil_stats_map vigil_stats SEC(".maps");
struct vigil_record_map vigil_records SEC(".maps");
struct vigil_path_map vigil_paths SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
