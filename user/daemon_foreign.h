/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Writeback charged elsewhere: a member dirties a file whose writeback the
 * kernel charges to another cgroup (an image libvirt, qemu-img or a copy
 * made outside the VM's cgroup). Its flushes then pass under that cgroup's
 * io.max, not the member's, until the kernel has seen enough foreign
 * flushing to move the inode: about 30 s at a VM's pace (DESIGN.md
 * "Measured later").
 *
 * The daemon says so by name, and shortens the escape: it flushes the file
 * itself (sync_file_range through the dirtier's own descriptor, which
 * starts writeback and does not wait for it) every DAEMON_FOREIGN_FLUSH_NS,
 * so that the kernel's foreign history fills in seconds, not in one round
 * per dirty expiry. The flushes run on a thread of their own: starting
 * writeback can still block, on the journal or on request slots, for as
 * long as the owner's io.max holds the file's earlier writeback (measured:
 * 4 flushes in 27 s with the owner capped at 100 w/s, the tick stalled
 * meanwhile), and the tick must not wait on a disk.
 *
 * Where the owner can be capped, it gets the member's line, and the two
 * share it: at the hand-over the owner still has seconds of the file's
 * writeback queued under its io.max while the member's own flushes start
 * under its line (measured: 100 + 100 w/s against one limit of 100 for
 * 12 s, 6.12), so the line is divided between them max-min fair by their
 * rates at the disk, as a pooled group's is between its members (split.h).
 */
#ifndef IORATE_DAEMON_FOREIGN_H
#define IORATE_DAEMON_FOREIGN_H

#include <stdbool.h>
#include <stdint.h>
#include "iomax.h"
#include "iorate.h"

struct daemon;

struct foreign_inode {
	uint32_t dev;		/* its filesystem's (MKDEV encoding) */
	uint64_t ino;
	uint64_t dirtier_id;	/* the cgroup dirtying it */
	uint64_t member_id;	/* the member that cgroup is (or is below) */
	uint64_t owner_id;	/* the cgroup charged with its writeback */
	char owner_path[256];	/* below the cgroup root; "" unknown */
	uint32_t disk;		/* where the member's line for it is */
	bool cap_owner;		/* the owner gets the member's line meanwhile */
	int pid;		/* a dirtying process */
	int fd;			/* the file, to flush; -1: not found */
	uint64_t first_ns, last_ns;
	uint32_t flushes;
	/* the owner's rate on disk, smoothed, and its part of the member's
	 * line (split.h); [0] ops/s, [1] bytes/s */
	double owner_rate[2];
	double owner_alloc[2];
	char who[300];		/* "VM web-1 (/machine.slice/...)" */
};

struct foreign_flusher;

/* A member's rates on a disk that followed inodes share, smoothed as their
 * owners' are. */
struct foreign_member_rate {
	uint64_t member_id;
	uint32_t disk;
	double rate[2];
	double budget[2];	/* its whole line at the last tick, 0 = none */
	double alloc[2];	/* its part of that */
};

struct daemon_foreign {
	struct foreign_inode *v;
	int nr, cap;
	struct foreign_member_rate *members;	/* one per (member, disk) in v */
	int nr_members;
	struct foreign_flusher *flusher;	/* started with the first inode */
	uint64_t events;	/* foreign-dirty events seen */
	uint64_t escapes;	/* inodes of members found charged elsewhere */
	bool no_flush;		/* IORATE_FOREIGN_FLUSH=off (measurements) */
};

void daemon_foreign_event(struct daemon *d, const struct iorate_event *ev);
/* Each tick: flush what is still foreign, forget what is not. */
void daemon_foreign_tick(struct daemon *d);
/* After the meter's read: the owners' and members' rates at the disk, from
 * the daemon's two newest snapshots. */
void daemon_foreign_measure(struct daemon *d, double dt_s);
/* Scale a line for its part: the member's (owner_id 0) or an owner's, of a
 * member's line on disk that followed inodes share. Unchanged where none. */
void daemon_foreign_share(struct daemon_foreign *fo, uint64_t member_id, uint32_t disk,
			  uint64_t owner_id, struct iomax *line);
void daemon_foreign_free(struct daemon_foreign *f);

#endif
