/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * limits = libvirt: each running domain's limits, from the status file
 * libvirt keeps for it (libvirt-dir, /run/libvirt/qemu/NAME.xml). libvirt
 * rewrites that file on every change of the live definition, `virsh
 * blkdeviotune` included, so a watch on the directory is all it takes to
 * follow a change.
 *
 * A template group (limits = libvirt, vm: matches only) is replaced by one
 * group per matching domain and host disk, built as import-libvirt builds
 * it (libvirt_xml.h: drives on one disk summed, a throttle group once),
 * named "TEMPLATE.VM-DISK". The daemon then holds them as any group.
 */
#ifndef IORATE_LIBVIRT_LIVE_H
#define IORATE_LIBVIRT_LIVE_H

#include <stdbool.h>
#include "libvirt_xml.h"
#include "policy.h"

/* The watch on libvirt-dir. */
struct libvirt_live {
	int fd;			/* inotify; -1 when not watching */
	char *dir;		/* what fd watches */
	bool missing_said;	/* "does not exist" logged once per absence */
};

/* What one expansion found, for the log line. */
struct libvirt_live_report {
	int files;		/* status files read */
	int bad;		/* files that could not be read or parsed */
	int domains;		/* domains some template matched */
	int groups;		/* groups written in the templates' place */
	int unmapped;		/* drives with limits that got no group */
};

void libvirt_live_init(struct libvirt_live *lv);
void libvirt_live_close(struct libvirt_live *lv);
/* Whether p has a limits = libvirt group. */
bool libvirt_live_wanted(const struct policy *p);
/*
 * Watch dir (a no-op when already watching it): 0, or a negative errno
 * (-ENOENT while libvirtd has not made it yet: call again later).
 */
int libvirt_live_watch(struct libvirt_live *lv, const char *dir);
int libvirt_live_fd(const struct libvirt_live *lv);
/* Drain the watch; true when a status file was written, renamed into
 * place or removed (the directory itself gone included). */
bool libvirt_live_changed(struct libvirt_live *lv);

/*
 * Replace every limits = libvirt group of p by the groups of the running
 * domains in dir it matches (a domain goes to the first template that
 * matches it). A file that cannot be read or parsed, a domain whose groups
 * the policy parser refuses, a generated name some group already has: a
 * warning each, and that domain gets no group. A missing dir means no
 * domain runs. 0, or -ENOMEM (p is then unchanged).
 */
int libvirt_live_expand(struct policy *p, const char *dir, lv_resolve_fn resolve, void *ctx,
			struct libvirt_live_report *rep);

#endif
