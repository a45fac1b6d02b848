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
 * per dirty expiry.
 */
#ifndef IORATE_DAEMON_FOREIGN_H
#define IORATE_DAEMON_FOREIGN_H

#include <stdbool.h>
#include <stdint.h>
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
	uint64_t first_ns, last_ns, flushed_ns;
	uint32_t flushes;
	char who[300];		/* "VM web-1 (/machine.slice/...)" */
};

struct daemon_foreign {
	struct foreign_inode *v;
	int nr, cap;
	uint64_t events;	/* foreign-dirty events seen */
	uint64_t escapes;	/* inodes of members found charged elsewhere */
	bool no_flush;		/* IORATE_FOREIGN_FLUSH=off (measurements) */
};

void daemon_foreign_event(struct daemon *d, const struct iorate_event *ev);
/* Each tick: flush what is still foreign, forget what is not. */
void daemon_foreign_tick(struct daemon *d);
void daemon_foreign_free(struct daemon_foreign *f);

#endif
