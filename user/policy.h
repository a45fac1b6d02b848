/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The policy key file (docs/policy.md has the grammar): parsed and validated
 * as a whole, every error reported as "file:line: key: message", nothing
 * returned unless the whole file is valid.
 *
 * Error lines: an error about a key names that key and its line. An error
 * between two keys (bps-total with bps-read, -max below the base rate...)
 * names the later of the two keys in file order and its line. An error about
 * something missing (no match, no limit) names the group header's line and
 * the missing key ("match") or the section ("[group web]"). Errors are
 * sorted by line.
 */
#ifndef IORATE_POLICY_H
#define IORATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>	/* iorate.h uses __u32 */
#include "glob.h"
#include "iorate.h"

/* Caps, so that no input can make the parser hang or eat memory. */
#define POLICY_MAX_LINE		4096	/* bytes, without the newline */
#define POLICY_MAX_FILE		(4 << 20)	/* policy_parse_file only */
#define POLICY_MAX_GROUPS	1024
#define POLICY_MAX_MATCHES	64	/* per group */
#define POLICY_MAX_DEVICES	64	/* per group */
#define POLICY_MAX_ERRORS	100	/* then one "too many errors" line */
#define POLICY_MAX_NAME		64	/* group name */
#define POLICY_VALUE_MAX	1000000000000000ULL	/* QEMU's THROTTLE_VALUE_MAX */

#define POLICY_DEFAULT_TICK_NS		100000000ULL
#define POLICY_MIN_TICK_NS		10000000ULL
#define POLICY_MAX_TICK_NS		10000000000ULL
#define POLICY_DEFAULT_METRICS		"127.0.0.1:9477"
#define POLICY_DEFAULT_SOCKET		"/run/iorate/iorate.sock"
#define POLICY_DEFAULT_STATE_DIR	"/run/iorate"
#define POLICY_DEFAULT_MOVE_TO		"/iorate.slice"
#define POLICY_DEFAULT_LIBVIRT_DIR	"/run/libvirt/qemu"

enum policy_limit_id {	/* QEMU's BucketType order */
	POLICY_BPS_TOTAL, POLICY_BPS_READ, POLICY_BPS_WRITE,
	POLICY_IOPS_TOTAL, POLICY_IOPS_READ, POLICY_IOPS_WRITE,
	POLICY_NR_LIMITS,
};
/* id / 3 is the kind (0 bps, 1 iops), id % 3 the direction (0 total,
 * 1 read, 2 write): controller.c, metrics.c, top_source.c count on it. */
_Static_assert(POLICY_BPS_READ == POLICY_BPS_TOTAL + 1 && POLICY_BPS_WRITE == POLICY_BPS_TOTAL + 2 &&
	       POLICY_IOPS_TOTAL == POLICY_BPS_TOTAL + 3 && POLICY_IOPS_READ == POLICY_IOPS_TOTAL + 1 &&
	       POLICY_IOPS_WRITE == POLICY_IOPS_TOTAL + 2 && POLICY_NR_LIMITS == 6 &&
	       POLICY_BPS_TOTAL == 0, "limit id = kind * 3 + (0 total, 1 read, 2 write)");

/* 0 = unset (QEMU: unlimited). max_length_s is 1 when max is set without a
 * length (QEMU's default) and 0 whenever max is unset. */
struct policy_limit { uint64_t avg; uint64_t max; uint32_t max_length_s; };

/* cluster: pooled across hosts too, each host's daemon taking a fair share
 * of the limits through Redis (cluster.h); on one host it is a pool. */
enum policy_share { POLICY_SHARE_EACH, POLICY_SHARE_POOLED, POLICY_SHARE_CLUSTER };
static inline bool policy_share_pooled(enum policy_share s) { return s != POLICY_SHARE_EACH; }
/* How io.max moves (docs/enforcement.md): follow the buckets every tick,
 * or hold base rates on kernels that lose throttle state when io.max
 * changes; auto picks by the running kernel's blk-throttle. */
enum policy_iomax_mode { POLICY_IOMAX_AUTO, POLICY_IOMAX_FOLLOW, POLICY_IOMAX_STEADY };
enum policy_match_kind { POLICY_MATCH_CGROUP, POLICY_MATCH_VM, POLICY_MATCH_PID, POLICY_MATCH_EXE };

/* pattern is what follows "KIND:" (a glob, or the pid's digits). */
struct policy_match {
	enum policy_match_kind kind;
	char *pattern;
	int line;
	struct glob glob;	/* the pattern compiled (not for pid:) */
};
/* Whether s (a cgroup path, VM name or executable) matches m's glob. */
static inline bool policy_match_glob(const struct policy_match *m, const char *s)
{
	return glob_matches(&m->glob, s);
}

/* spec as written: "/dev/sdd", "8:48" or "*"; line 0 for the default "*". */
struct policy_device { bool any; char *spec; uint32_t major, minor; bool has_majmin; int line; };

struct policy_group {
	char *name; int line;
	struct policy_match *matches; int nr_matches;
	struct policy_device *devices; int nr_devices;	/* default: one "*" entry */
	enum policy_share share;
	struct policy_limit limits[POLICY_NR_LIMITS];
	uint64_t iops_size;	/* 0 = unset */
	bool move;		/* a matched process not alone in its cgroup is
				 * moved to one of its own under move-to */
	/* limits = libvirt: a template, no limits of its own. The daemon
	 * puts in its place one group per running domain it matches and
	 * host disk, from the domain's live XML (libvirt_live.h). */
	bool from_libvirt;
	/* share = cluster: the line that says so, and the fraction of each
	 * limit this host keeps once Redis has been lost for long
	 * (cluster-fallback; 0: the limit / the hosts last seen) */
	int cluster_line;
	double cluster_fallback;
};

struct policy_daemon {
	uint64_t tick_ns;
	int accounting;		/* enum iorate_level */
	char *metrics;		/* "HOST:PORT", "[V6]:PORT"; NULL = off */
	char *socket_path;
	char *socket_group;	/* NULL = unset */
	char *state_dir;
	char *move_to;		/* cgroup for the processes iorate moves */
	enum policy_iomax_mode iomax_mode;
	char *libvirt_dir;	/* libvirt's qemu status XML, for limits = libvirt */
	/* share = cluster (docs/cluster.md): the Redis ("redis://HOST:PORT
	 * [/PREFIX]"), this host's name among the others (NULL: the host
	 * name), a root-only file holding the password (NULL: none) */
	char *cluster;
	char *cluster_host;
	char *cluster_password_file;
	int cluster_line, cluster_password_line;
};

/* notes: "file:line: key: note: ..." for keys accepted under QEMU's or
 * libvirt's name (total_iops_sec, throttling.iops-total), once per name:
 * iorate check prints them, the daemon logs them. */
struct policy {
	char *path; struct policy_daemon daemon; struct policy_group *groups; int nr_groups;
	char **notes; int nr_notes;
};

struct policy_errors { char **lines; int nr; };	/* each "file:line: key: message" */

/*
 * 0 with *out filled, or a negative errno: -EINVAL when the text has errors
 * (all in *errs), or the error reading the file (errs then empty; -EFBIG
 * over POLICY_MAX_FILE, -EISDIR...). On failure *out is empty (free-safe).
 * *errs is always initialised; free it with policy_errors_free.
 */
int policy_parse_file(const char *path, struct policy *out, struct policy_errors *errs);
/* name is used in messages; text need not be NUL-terminated. */
int policy_parse_buffer(const char *name, const char *text, size_t len,
			struct policy *out, struct policy_errors *errs);
void policy_free(struct policy *p);
/* One group's memory (policy_free does every group's). */
void policy_group_free(struct policy_group *g);
void policy_errors_free(struct policy_errors *e);

/* Whether a reload may keep a group's buckets: same limits, iops-size and
 * share (a change of share changes what a bucket stands for). */
bool policy_group_equal_limits(const struct policy_group *a, const struct policy_group *b);

/* Whether two policies hold the same groups, in the same order, with the
 * same names, matches, devices and limits ([daemon] not compared). */
bool policy_groups_equal(const struct policy *a, const struct policy *b);

/* "bps-total" ... "iops-write". */
const char *policy_limit_name(enum policy_limit_id id);

/*
 * sshd's StrictModes for the policy file: 0 if the file is a regular file
 * owned by root (or the caller's euid) and not writable by group or others,
 * and so is every directory above it (a world-writable directory passes
 * only with the sticky bit, as /tmp); else -1 with the reason in err.
 * Checks mode bits and owners, not access(2), so it means the same as root.
 */
int policy_check_file_mode(const char *path, char *err, size_t errlen);

#endif
