/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * libvirt domain XML -> iorate policy, the part that needs no host: read a
 * domain's <disk> <iotune> and <blkiotune>, then (given where each disk's
 * source lives, from a caller's resolver) write policy groups.
 *
 * The mapping (DESIGN §6): QEMU limits each drive on its own, iorate limits
 * a cgroup per host disk. So the drives of one VM that land on the same
 * host disk are summed into one group for that disk; a QEMU throttle group
 * (<group_name>) counts once in that sum, however many drives name it.
 * <blkiotune> device limits are already host-side: imported as they are.
 */
#ifndef IORATE_LIBVIRT_XML_H
#define IORATE_LIBVIRT_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "policy.h"

#define LV_MAX_HOSTDISKS	8	/* physical disks under one source (dm/md) */
#define LV_MAX_NAME		256

/* One drive's (or one throttle group's) limits, in the policy's terms. */
struct lv_limits {
	struct policy_limit l[POLICY_NR_LIMITS];	/* max_length_s raw: 0 = unset */
	uint64_t iops_size;
};

enum lv_source {
	LV_SRC_NONE,		/* no <source>: an empty cdrom */
	LV_SRC_FILE,		/* <source file=...> */
	LV_SRC_BLOCK,		/* <source dev=...> */
	LV_SRC_NETWORK,		/* rbd, iscsi, nbd, gluster...: not a local disk */
	LV_SRC_VOLUME,		/* a storage pool volume: needs the pool to resolve */
	LV_SRC_OTHER,		/* dir (vvfat), nvme (vfio), vhostuser... */
};

struct lv_disk {
	char *target;		/* <target dev=...>, "vda"; "disk#N" when absent */
	char *device;		/* device= attribute: "disk", "cdrom", ... */
	enum lv_source kind;
	char *source;		/* the path; for network "rbd pool/img"; for volume "pool/vol" */
	char *type;		/* the <disk type=...> as written */
	bool has_iotune;	/* an <iotune> with at least one non-zero limit */
	struct lv_limits limits;
	char *group_name;	/* <group_name>, NULL when none */
};

struct lv_blkio {
	char *path;		/* <blkiotune><device><path> */
	struct lv_limits limits;	/* only avg of the read/write limits */
};

struct lv_domain {
	char *name;
	struct lv_disk *disks;
	int nr_disks;
	struct lv_blkio *blkio;
	int nr_blkio;
	/* Oddities met while parsing (unknown <iotune> child...), one per line. */
	char *notes;
};

/*
 * Parse one domain document (as `virsh dumpxml` prints it, or libvirt's
 * status file, whose <domstatus> holds the live <domain>). No network, no
 * entity expansion, no DTD. 0, or -EINVAL with the reason in err (a
 * malformed document, no <domain>/<name>, a number that is not one).
 * On failure *out is empty (free-safe).
 */
int lv_domain_parse(const char *xml, size_t len, struct lv_domain *out,
		    char *err, size_t errlen);
void lv_domain_free(struct lv_domain *d);

/* The physical disks a source lives on, and how that was found. */
struct lv_hostdisk { uint32_t dev; char name[64]; };	/* name: "/dev/sdd" */
struct lv_mapping {
	int nr;
	struct lv_hostdisk disks[LV_MAX_HOSTDISKS];
	char how[512];		/* "file on /dev/sdd1, partition of sdd" */
};

/* 0 with *out filled, or -1 with why a disk cannot be mapped in why. */
typedef int (*lv_resolve_fn)(void *ctx, const struct lv_disk *disk, struct lv_mapping *out,
			     char *why, size_t whylen);

struct lv_report {
	int groups;		/* [group] sections written */
	int unmapped;		/* drives with limits that got no group */
	int warnings;
};

/*
 * Write the groups for nr domains to out (comments say where each number
 * came from) and every warning, one line each, to warn (may be NULL).
 * Returns 0, or -ENOMEM / -EIO. A drive that cannot be mapped is a comment
 * and a warning, counted in rep->unmapped, not an error.
 */
int lv_policy_write(FILE *out, FILE *warn, const struct lv_domain *doms, int nr,
		    lv_resolve_fn resolve, void *ctx, struct lv_report *rep);

/*
 * One domain's groups, as lv_policy_write writes them but without the
 * file's header, each group's name after prefix ("vms." for the daemon's
 * limits = libvirt; warnings then start "warning: " alone). Same returns.
 */
int lv_domain_write(FILE *out, FILE *warn, const struct lv_domain *dom, const char *prefix,
		    lv_resolve_fn resolve, void *ctx, struct lv_report *rep);

/*
 * Sum the limits of drives sharing one host disk: each limit kind (bps,
 * iops) is summed over the drives that limit it; a drive without it adds
 * nothing (and its I/O then counts against the others' sum). When some
 * drives limit the total and others read/write, read+write fold into the
 * total (a policy group cannot have both). Bursts: -max sums each drive's
 * max (or its base rate when it has no burst), -max-length is the length
 * that keeps the summed burst allowance. notes gets one line per
 * approximation made (NULL: none wanted).
 */
void lv_limits_sum(const struct lv_limits *in, int n, struct lv_limits *out,
		   char *notes, size_t noteslen);

/* An iorate group name from free text: [A-Za-z0-9_.-], at most len-1. */
void lv_group_name(const char *in, char *out, size_t len);
/* A glob matching exactly the name (escapes * ? [ \ # ; and blanks). */
void lv_glob_escape(const char *in, char *out, size_t len);

#endif
