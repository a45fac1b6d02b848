/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the running kernel's blk-throttle does with an io.max change, read
 * from its BTF rather than guessed from its version string (distribution
 * kernels backport fixes).
 *
 * Debian 12's 6.1 carries a group's budget across an io.max change in
 * unsigned counters (struct throtl_grp.carryover_ios/_bytes).
 * A change made while bios are queued and the group is ahead of its budget
 * stores a negative carryover that wraps; the group then runs unthrottled
 * until its queue empties at the end of a slice, which a steady stream of
 * writeback never lets happen (docs/enforcement.md has the measurements).
 * 6.12's counters are signed, and 6.18 has none (both read from their BTF).
 */
#ifndef IORATE_KQUIRKS_H
#define IORATE_KQUIRKS_H

#include <stdbool.h>

struct btf;

/* How throtl_grp carries a group's budget across an io.max write. */
enum kquirk_carryover {
	KQUIRK_CARRYOVER_NONE = 0,	/* no such field: 6.16 and later */
	KQUIRK_CARRYOVER_SIGNED,	/* 6.12: a debt */
	KQUIRK_CARRYOVER_UNSIGNED,	/* 6.1: a debt wraps */
};

/* btf's carryover (enum kquirk_carryover), or a negative errno when it
 * has no usable throtl_grp. */
int kquirk_carryover(const struct btf *btf);

/* The same question of the running kernel (/sys/kernel/btf/vmlinux). */
int kquirk_running_carryover(void);

/* 1 when btf's writeback_dirty_folio tracepoint passes a struct folio
 * (what the BPF program reads: 5.17 and later; before, the tracepoint is
 * writeback_dirty_page), 0 when it passes something else, -ENOENT when
 * btf has no such tracepoint or no cgroup writeback (no
 * track_foreign_dirty tracepoint). */
int kquirk_foreign_dirty_folio(const struct btf *btf);

#endif
