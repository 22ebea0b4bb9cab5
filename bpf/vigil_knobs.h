/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layouts of the knobs the loader writes into the programs' read-only data
 * before they load: shared by the BPF programs and bpf/loader (C++), which
 * includes this before the generated skeleton.
 */
#ifndef VIGIL_KNOBS_H
#define VIGIL_KNOBS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * A path prefix an open must fall under to be reported, when every rule on
 * opens names some. Kept as 8-byte words so that a comparison is a few word
 * compares: words[0, words - 1) whole, the last one under last_mask.
 */
#define VIGIL_PREFIX_WORDS 8
#define VIGIL_PREFIX_MAX 16
struct vigil_prefix {
	__u64 word[VIGIL_PREFIX_WORDS];
	__u64 last_mask; /* bytes of the last word that count */
	__u32 words; /* words to compare, the last one masked */
	__u32 len;
};

#endif /* VIGIL_KNOBS_H */
