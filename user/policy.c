// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The policy key file: a hand-written line parser (inih and GKeyFile cannot
 * keep repeated keys, inline comments and a line for every error), then
 * QEMU's throttle_is_valid() rules per group. Every error is collected; the
 * result is handed out only when there are none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "cluster_url.h"
#include "policy.h"
#include "units.h"

#define POLICY_MAX_PID		4194304		/* the kernel's PID_MAX_LIMIT */
#define POLICY_MAX_MAJOR	4095		/* 12 bits */
#define POLICY_MAX_MINOR	1048575		/* 20 bits */
#define POLICY_MAX_SOCKET_PATH	107		/* sun_path minus the NUL */
#define POLICY_MAX_SHOWN	64		/* bytes of a key or value quoted in a message */

enum policy_section { SEC_NONE, SEC_DAEMON, SEC_GROUP, SEC_SKIP };

enum policy_daemon_key {
	DKEY_TICK, DKEY_ACCOUNTING, DKEY_METRICS, DKEY_SOCKET, DKEY_SOCKET_GROUP,
	DKEY_STATE_DIR, DKEY_MOVE_TO, DKEY_IOMAX_MODE, DKEY_LIBVIRT_DIR, DKEY_CLUSTER,
	DKEY_CLUSTER_HOST, DKEY_CLUSTER_PASSWORD_FILE, DKEY_NR,
};

static const char *const policy_daemon_keys[DKEY_NR] = {
	"tick", "accounting", "metrics", "socket", "socket-group", "state-dir", "move-to",
	"iomax-mode", "libvirt-dir", "cluster", "cluster-host", "cluster-password-file",
};

enum policy_limit_field { FIELD_AVG, FIELD_MAX, FIELD_LEN, FIELD_NR };
/* A limit's keys are GKEY_LIMIT0 + id * FIELD_NR + field, named from
 * policy_limit_names[] and policy_field_suffix[] in these orders; ids at or
 * above POLICY_IOPS_TOTAL are counts, below it rates. */
_Static_assert(FIELD_AVG == 0 && FIELD_NR == 3, "three fields a limit");
_Static_assert(POLICY_IOPS_TOTAL == POLICY_NR_LIMITS / 2, "bps limits, then iops");

/* Group keys: the named ones, then limit id x field. */
enum policy_group_key {
	GKEY_MATCH, GKEY_DEVICE, GKEY_SHARE, GKEY_IOPS_SIZE, GKEY_MOVE, GKEY_LIMITS,
	GKEY_CLUSTER_FALLBACK, GKEY_LIMIT0,
	GKEY_NR = GKEY_LIMIT0 + POLICY_NR_LIMITS * FIELD_NR,
};

static const char *const policy_limit_names[POLICY_NR_LIMITS] = {
	"bps-total", "bps-read", "bps-write", "iops-total", "iops-read", "iops-write",
};

static const char *const policy_field_suffix[FIELD_NR] = { "", "-max", "-max-length" };

struct policy_error_item {
	int line;
	int seq;	/* keeps the order of errors on one line */
	char *text;
};

struct policy_parser {
	const char *name;
	struct policy *p;
	struct policy_error_item *errs;
	int nr_errs, cap_errs;
	bool stopped;		/* too many errors */
	bool oom;
	enum policy_section section;
	int line;
	int daemon_line;			/* 0: no [daemon] yet */
	int daemon_keys[DKEY_NR];		/* line each key was set on */
	int group_keys[GKEY_NR];		/* same, for the current group */
	char group_key_as[GKEY_NR][40];		/* and its name as written (an alias) */
	/* errors already reported in the current group, so that its missing
	 * match or limit is not reported a second time */
	bool group_bad_line, group_match_err, group_limit_err;
	int cap_groups;
	bool too_many_groups;
	/* one note per alias used in the file (policy.h: notes) */
	char **notes;
	int nr_notes;
	char *noted[32];	/* the aliases already noted */
	int nr_noted;
};

const char *policy_limit_name(enum policy_limit_id id)
{
	return (unsigned)id < POLICY_NR_LIMITS ? policy_limit_names[id] : "?";
}

static void policy_group_key_name(int k, char *buf, size_t len)
{
	static const char *const named[GKEY_LIMIT0] = {
		"match", "device", "share", "iops-size", "move", "limits", "cluster-fallback",
	};

	if (k < GKEY_LIMIT0) {
		snprintf(buf, len, "%s", named[k]);
		return;
	}
	k -= GKEY_LIMIT0;
	snprintf(buf, len, "%s%s", policy_limit_names[k / FIELD_NR],
		 policy_field_suffix[k % FIELD_NR]);
}

static int policy_group_key_lookup(const char *key)
{
	char name[64];

	for (int k = 0; k < GKEY_NR; k++) {
		policy_group_key_name(k, name, sizeof(name));
		if (!strcmp(key, name))
			return k;
	}
	return -1;
}

static int policy_limit_key(enum policy_limit_id id, enum policy_limit_field f)
{
	return GKEY_LIMIT0 + (int)id * FIELD_NR + (int)f;
}

/*
 * The names operators already have: libvirt's <iotune> elements and QEMU's
 * legacy -drive options (total_iops_sec, read_bytes_sec_max,
 * write_iops_sec_max_length, size_iops_sec, group_name) and QEMU's
 * throttling.* -drive options (throttling.iops-total, throttling.group).
 * Each is accepted as the canonical key it stands for; a group name means
 * the drives share one limit, which is this group's share = pooled.
 */
static const char *const policy_legacy_limit[POLICY_NR_LIMITS] = {
	"total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
	"total_iops_sec", "read_iops_sec", "write_iops_sec",
};
static const char *const policy_legacy_suffix[FIELD_NR] = { "", "_max", "_max_length" };

/* The group key an alias stands for, or -1; *pooled when it names a
 * throttle group. */
static int policy_group_alias(const char *key, bool *pooled)
{
	const char *tail;
	char name[64];

	*pooled = false;
	if (!strcmp(key, "group_name") || !strcmp(key, "throttling.group")) {
		*pooled = true;
		return GKEY_SHARE;
	}
	if (!strcmp(key, "size_iops_sec") || !strcmp(key, "throttling.iops-size"))
		return GKEY_IOPS_SIZE;
	tail = !strncmp(key, "throttling.", 11) ? key + 11 : NULL;
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		for (int f = 0; f < FIELD_NR; f++) {
			snprintf(name, sizeof(name), "%s%s", policy_legacy_limit[i],
				 policy_legacy_suffix[f]);
			if (!strcmp(key, name))
				return policy_limit_key(i, f);
			snprintf(name, sizeof(name), "%s%s", policy_limit_names[i],
				 policy_field_suffix[f]);
			if (tail && !strcmp(tail, name))
				return policy_limit_key(i, f);
		}
	}
	return -1;
}

/* ---- errors ---- */

/* Control bytes from a hostile file must not reach a terminal. */
static void policy_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void policy_error_add(struct policy_parser *ps, int line, char *text)
{
	if (ps->nr_errs == ps->cap_errs) {
		int cap = ps->cap_errs ? ps->cap_errs * 2 : 16;
		struct policy_error_item *n = realloc(ps->errs, cap * sizeof(*n));

		if (!n) {
			free(text);
			ps->oom = true;
			return;
		}
		ps->errs = n;
		ps->cap_errs = cap;
	}
	ps->errs[ps->nr_errs].line = line;
	ps->errs[ps->nr_errs].seq = ps->nr_errs;
	ps->errs[ps->nr_errs].text = text;
	ps->nr_errs++;
}

__attribute__((format(printf, 4, 5)))
static void policy_error(struct policy_parser *ps, int line, const char *key,
			 const char *fmt, ...)
{
	char msg[512];
	char *text;
	va_list ap;

	if (ps->stopped)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&text, "%s:%d: %.*s: %s", ps->name, line, POLICY_MAX_SHOWN,
		     key, msg) < 0) {
		ps->oom = true;
		return;
	}
	policy_sanitize(text);
	policy_error_add(ps, line, text);
	if (ps->nr_errs >= POLICY_MAX_ERRORS) {
		if (asprintf(&text, "%s:%d: errors: too many errors, stopped after %d",
			     ps->name, line, POLICY_MAX_ERRORS) < 0) {
			ps->oom = true;
		} else {
			policy_sanitize(text);
			policy_error_add(ps, line, text);
		}
		ps->stopped = true;
	}
}

/* Group key k as the file spells it: an error names the key the
 * operator wrote (total_iops_sec), not its canonical name. */
static void policy_group_key_written(const struct policy_parser *ps, int k, char *buf, size_t len)
{
	if (ps->group_key_as[k][0])
		snprintf(buf, len, "%s", ps->group_key_as[k]);
	else
		policy_group_key_name(k, buf, len);
}

/* An error about group key k, on the line it was set. */
static void policy_error_gkey(struct policy_parser *ps, int k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void policy_error_gkey(struct policy_parser *ps, int k, const char *fmt, ...)
{
	char key[64], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	policy_group_key_written(ps, k, key, sizeof(key));
	policy_error(ps, ps->group_keys[k], key, "%s", msg);
}

/* Cross-key errors go on the later of the two keys (see policy.h). */
static void policy_error_pair(struct policy_parser *ps, int k1, int k2, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void policy_error_pair(struct policy_parser *ps, int k1, int k2, const char *fmt, ...)
{
	int later = ps->group_keys[k1] > ps->group_keys[k2] ? k1 : k2;
	char key[64], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	policy_group_key_written(ps, later, key, sizeof(key));
	policy_error(ps, ps->group_keys[later], key, "%s", msg);
}

static int policy_error_cmp(const void *a, const void *b)
{
	const struct policy_error_item *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- small helpers ---- */

static bool policy_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *policy_trim(char *s)
{
	char *end;

	while (policy_is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && policy_is_blank(end[-1]))
		*--end = '\0';
	return s;
}

static char *policy_strdup(struct policy_parser *ps, const char *s)
{
	char *d = strdup(s);

	if (!d)
		ps->oom = true;
	return d;
}

static bool policy_valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* NULL when s is an absolute path with no ".." component, else why not. */
static const char *policy_check_abs_path(const char *s)
{
	const char *p;

	if (s[0] != '/')
		return "must be an absolute path";
	for (p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3]))
			return "must not contain '..' components";
	}
	return NULL;
}

/* move-to: a cgroup below the root, one that iorate may create; plain
 * names only, so that it never reaches outside the cgroup mount. */
static const char *policy_check_cgroup_path(const char *s)
{
	const char *why = policy_check_abs_path(s);

	if (why)
		return why;
	if (!s[1])
		return "must be a cgroup below the root, not the root";
	for (const char *p = s; *p; p++) {
		if (p[0] == '/' && (p[1] == '/' || p[1] == '.' || !p[1]))
			return "components must be plain names (no '.', '..', '//' or trailing '/')";
		if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '?' || *p == '[')
			return "must be a literal path (no globs or control bytes)";
	}
	if (strlen(s) > 256)
		return "too long (at most 256 bytes)";
	return NULL;
}

/* "HOST:PORT" with HOST an IPv4 address, a host name or "[IPv6]". */
static const char *policy_check_hostport(const char *v)
{
	char host[256];
	const char *colon, *port;
	uint64_t n;
	size_t hlen;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		unsigned char addr[16];

		if (!close)
			return "missing ']' after the IPv6 address";
		hlen = (size_t)(close - v - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return "bad IPv6 address";
		memcpy(host, v + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return "bad IPv6 address";
		if (close[1] != ':')
			return "expected HOST:PORT, [IPv6]:PORT or off";
		port = close + 2;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return "expected HOST:PORT, [IPv6]:PORT or off";
		hlen = (size_t)(colon - v);
		if (hlen == 0 || hlen >= sizeof(host))
			return "missing host before ':'";
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		if (strchr(host, ':'))
			return "an IPv6 address needs brackets: [::1]:9477";
		for (const char *h = host; *h; h++) {
			char c = *h;

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-'))
				return "bad host name";
		}
		port = colon + 1;
	}
	if (!*port)
		return "missing port";
	if (units_parse_count(port, &n, NULL) || n < 1 || n > 65535)
		return "port must be a number from 1 to 65535";
	return NULL;
}

/* ---- sections ---- */

static struct policy_group *policy_cur_group(struct policy_parser *ps)
{
	return &ps->p->groups[ps->p->nr_groups - 1];
}

static bool policy_limit_any(const struct policy_group *g)
{
	for (int i = 0; i < POLICY_NR_LIMITS; i++)
		if (g->limits[i].avg || g->limits[i].max)
			return true;
	return false;
}

static void policy_group_check_kind(struct policy_parser *ps, struct policy_group *g,
				    enum policy_limit_id total)
{
	for (enum policy_limit_id rw = total + 1; rw <= total + 2; rw++) {
		bool avg = g->limits[total].avg && g->limits[rw].avg;
		bool max = g->limits[total].max && g->limits[rw].max;

		if (avg)
			policy_error_pair(ps, policy_limit_key(total, FIELD_AVG),
					  policy_limit_key(rw, FIELD_AVG),
					  "%s and %s cannot be used together: a total limit excludes read/write limits of the same kind",
					  policy_limit_names[total], policy_limit_names[rw]);
		else if (max)
			policy_error_pair(ps, policy_limit_key(total, FIELD_MAX),
					  policy_limit_key(rw, FIELD_MAX),
					  "%s-max and %s-max cannot be used together: a total limit excludes read/write limits of the same kind",
					  policy_limit_names[total], policy_limit_names[rw]);
	}
}

/*
 * limits = libvirt: the limits, the disks and the throttle groups all come
 * from each domain's XML, so a key that says one of them here would be
 * silently overruled. A domain is found by its name, so only vm: matches.
 */
static void policy_group_finish_libvirt(struct policy_parser *ps, struct policy_group *g)
{
	static const int own[] = { GKEY_DEVICE, GKEY_SHARE, GKEY_IOPS_SIZE, GKEY_CLUSTER_FALLBACK };

	for (int i = 0; i < g->nr_matches; i++)
		if (g->matches[i].kind != POLICY_MATCH_VM)
			policy_error(ps, g->matches[i].line, "match",
				     "limits = libvirt finds running domains by name: use vm:PATTERN");
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (ps->group_keys[own[i]])
			policy_error_gkey(ps, own[i],
					  "limits = libvirt takes the disks, the limits and the throttle groups from each domain's XML: remove this key");
	for (int k = GKEY_LIMIT0; k < GKEY_NR; k++)
		if (ps->group_keys[k])
			policy_error_gkey(ps, k,
					  "limits = libvirt takes the limits from each domain's <iotune>: remove this key");
}

/* QEMU's throttle_is_valid(), reporting every failure instead of the first. */
static void policy_group_finish(struct policy_parser *ps)
{
	struct policy_group *g = policy_cur_group(ps);
	char hdr[POLICY_MAX_NAME + 16];

	snprintf(hdr, sizeof(hdr), "[group %s]", g->name);
	/* A bad "match = ..." line has its own error: saying that the match
	 * is missing too would only add noise. */
	if (!g->nr_matches && !ps->group_match_err && !ps->group_bad_line)
		policy_error(ps, g->line, "match",
			     "group '%s' needs at least one match (cgroup:, vm:, pid: or exe:)",
			     g->name);
	if (g->from_libvirt)
		policy_group_finish_libvirt(ps, g);
	else if (!policy_limit_any(g) && !ps->group_limit_err && !ps->group_bad_line)
		policy_error(ps, g->line, hdr,
			     "group '%s' sets no limit (bps-* or iops-*; 0 means unlimited)",
			     g->name);
	policy_group_check_kind(ps, g, POLICY_BPS_TOTAL);
	policy_group_check_kind(ps, g, POLICY_IOPS_TOTAL);
	if (ps->group_keys[GKEY_CLUSTER_FALLBACK] && g->share != POLICY_SHARE_CLUSTER &&
	    !g->from_libvirt)
		policy_error_gkey(ps, GKEY_CLUSTER_FALLBACK, "needs share = cluster");
	if (g->iops_size && !g->limits[POLICY_IOPS_TOTAL].avg &&
	    !g->limits[POLICY_IOPS_READ].avg && !g->limits[POLICY_IOPS_WRITE].avg)
		policy_error_gkey(ps, GKEY_IOPS_SIZE, "needs an iops limit (iops-total, iops-read or iops-write)");
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		struct policy_limit *l = &g->limits[i];
		int kavg = policy_limit_key(i, FIELD_AVG);
		int kmax = policy_limit_key(i, FIELD_MAX);
		int klen = policy_limit_key(i, FIELD_LEN);
		const char *name = policy_limit_names[i];

		if (l->max_length_s > 1 && !l->max)
			policy_error_gkey(ps, klen, "burst length set without burst rate: %s-max-length needs %s-max",
				     name, name);
		if (l->max && l->max_length_s > POLICY_VALUE_MAX / l->max)
			policy_error_pair(ps, kmax, klen,
					  "burst length too high for this burst rate: %s-max x %s-max-length must not exceed %llu",
					  name, name, POLICY_VALUE_MAX);
		if (l->max && !l->avg)
			policy_error_gkey(ps, kmax, "a burst rate needs the base rate: %s-max needs %s", name, name);
		if (l->max && l->avg && l->max < l->avg)
			policy_error_pair(ps, kavg, kmax,
					  "%s-max (%llu) cannot be lower than %s (%llu)",
					  name, (unsigned long long)l->max, name,
					  (unsigned long long)l->avg);
		/* QEMU's defaults: a burst without a length lasts 1 s; without a
		 * burst rate the length means nothing. */
		if (!l->max)
			l->max_length_s = 0;
		else if (!l->max_length_s)
			l->max_length_s = 1;
	}
	if (!g->nr_devices) {
		g->devices = calloc(1, sizeof(*g->devices));
		if (!g->devices) {
			ps->oom = true;
			return;
		}
		g->devices[0].any = true;
		g->devices[0].spec = policy_strdup(ps, "*");
		g->nr_devices = 1;
	}
}

static void policy_section_end(struct policy_parser *ps)
{
	if (ps->section == SEC_GROUP)
		policy_group_finish(ps);
	ps->section = SEC_SKIP;
}

static void policy_group_start(struct policy_parser *ps, const char *hdr, const char *name)
{
	struct policy *p = ps->p;
	struct policy_group *g;

	/* First, so that a million headers cost no million name lookups. */
	if (p->nr_groups >= POLICY_MAX_GROUPS) {
		if (!ps->too_many_groups)
			policy_error(ps, ps->line, hdr, "too many groups (at most %d)",
				     POLICY_MAX_GROUPS);
		ps->too_many_groups = true;
		return;
	}
	if (!policy_valid_name(name, POLICY_MAX_NAME)) {
		policy_error(ps, ps->line, hdr,
			     "invalid group name (letters, digits, '_', '.', '-'; at most %d)",
			     POLICY_MAX_NAME);
		return;
	}
	for (int i = 0; i < p->nr_groups; i++) {
		if (!strcmp(p->groups[i].name, name)) {
			policy_error(ps, ps->line, hdr,
				     "duplicate group name '%s' (first at line %d)",
				     name, p->groups[i].line);
			return;
		}
	}
	if (p->nr_groups == ps->cap_groups) {
		int cap = ps->cap_groups ? ps->cap_groups * 2 : 8;
		struct policy_group *n = realloc(p->groups, cap * sizeof(*n));

		if (!n) {
			ps->oom = true;
			return;
		}
		p->groups = n;
		ps->cap_groups = cap;
	}
	g = &p->groups[p->nr_groups];
	memset(g, 0, sizeof(*g));
	g->name = policy_strdup(ps, name);
	if (!g->name)
		return;
	g->line = ps->line;
	g->share = POLICY_SHARE_EACH;
	g->move = true;
	p->nr_groups++;
	memset(ps->group_keys, 0, sizeof(ps->group_keys));
	memset(ps->group_key_as, 0, sizeof(ps->group_key_as));
	ps->group_bad_line = ps->group_match_err = ps->group_limit_err = false;
	ps->section = SEC_GROUP;
}

/* buf: a trimmed line starting with '['. */
static void policy_section(struct policy_parser *ps, char *buf)
{
	size_t len = strlen(buf);
	char *inner, *word, *rest;

	policy_section_end(ps);
	if (buf[len - 1] != ']') {
		policy_error(ps, ps->line, buf, "a section header must end with ']'");
		return;
	}
	buf[len - 1] = '\0';
	inner = policy_trim(buf + 1);
	word = inner;
	rest = inner + strcspn(inner, " \t\r\v\f");
	if (*rest) {
		*rest++ = '\0';
		rest = policy_trim(rest);
	}
	/* the header as the "key" of its errors, rebuilt after the split */
	char hdr[POLICY_MAX_SHOWN + 4];
	snprintf(hdr, sizeof(hdr), "[%s%s%s]", word, *rest ? " " : "", rest);

	if (!strcmp(word, "daemon")) {
		if (*rest) {
			policy_error(ps, ps->line, hdr, "[daemon] takes no name");
			return;
		}
		if (ps->daemon_line) {
			policy_error(ps, ps->line, hdr, "repeated section (first at line %d)",
				     ps->daemon_line);
			return;
		}
		ps->daemon_line = ps->line;
		ps->section = SEC_DAEMON;
	} else if (!strcmp(word, "group")) {
		if (!*rest) {
			policy_error(ps, ps->line, hdr, "a group needs a name: [group NAME]");
			return;
		}
		policy_group_start(ps, hdr, rest);
	} else if (!*word) {
		policy_error(ps, ps->line, hdr, "empty section header");
	} else {
		policy_error(ps, ps->line, hdr,
			     "unknown section (sections are [daemon] and [group NAME])");
	}
}

/* ---- [daemon] ---- */

/* A key whose value is one of a few words: the word's index, or -1 after
 * an error that lists them all ("must be a, b or c"). */
static int policy_choice(struct policy_parser *ps, const char *key, const char *value,
			 const char *const *words, int nr)
{
	char list[128] = "";
	size_t used = 0;

	for (int i = 0; i < nr; i++)
		if (!strcmp(value, words[i]))
			return i;
	for (int i = 0; i < nr && used < sizeof(list); i++)
		used += snprintf(list + used, sizeof(list) - used, "%s%s",
				 i == 0 ? "" : i == nr - 1 ? " or " : ", ", words[i]);
	policy_error(ps, ps->line, key, "'%.*s': must be %s", POLICY_MAX_SHOWN, value, list);
	return -1;
}

static void policy_daemon_key(struct policy_parser *ps, const char *key, const char *value)
{
	struct policy_daemon *d = &ps->p->daemon;
	const char *why = NULL;
	uint64_t ns;
	int k, choice;
	char **slot = NULL;

	for (k = 0; k < DKEY_NR; k++)
		if (!strcmp(key, policy_daemon_keys[k]))
			break;
	/* the name the value does not say is a path: the same key */
	if (!strcmp(key, "cluster-password"))
		k = DKEY_CLUSTER_PASSWORD_FILE;
	if (k == DKEY_NR) {
		policy_error(ps, ps->line, key,
			     "unknown key in [daemon] (tick, accounting, metrics, socket, socket-group, state-dir, move-to, iomax-mode, libvirt-dir, cluster, cluster-host, cluster-password-file)");
		return;
	}
	if (ps->daemon_keys[k]) {
		policy_error(ps, ps->line, key, "repeated key (first set at line %d)",
			     ps->daemon_keys[k]);
		return;
	}
	ps->daemon_keys[k] = ps->line;
	if (!*value) {
		policy_error(ps, ps->line, key, "empty value");
		return;
	}
	switch (k) {
	case DKEY_TICK:
		if (units_parse_duration(value, &ns, &why)) {
			policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		} else if (ns < POLICY_MIN_TICK_NS || ns > POLICY_MAX_TICK_NS) {
			policy_error(ps, ps->line, key, "'%.*s': must be from 10ms to 10s",
				     POLICY_MAX_SHOWN, value);
		} else {
			d->tick_ns = ns;
		}
		return;
	case DKEY_ACCOUNTING: {
		static const char *const levels[] = { "device", "bio" };

		choice = policy_choice(ps, key, value, levels, 2);
		if (choice >= 0)
			d->accounting = choice ? IORATE_LEVEL_BIO : IORATE_LEVEL_DEVICE;
		return;
	}
	case DKEY_IOMAX_MODE: {
		/* in enum policy_iomax_mode's order */
		static const char *const modes[] = { "auto", "follow", "steady" };

		choice = policy_choice(ps, key, value, modes, 3);
		if (choice >= 0)
			d->iomax_mode = choice;
		return;
	}
	case DKEY_METRICS:
		if (!strcmp(value, "off")) {
			free(d->metrics);
			d->metrics = NULL;
			return;
		}
		why = policy_check_hostport(value);
		slot = &d->metrics;
		break;
	case DKEY_SOCKET:
		why = policy_check_abs_path(value);
		if (!why && strlen(value) > POLICY_MAX_SOCKET_PATH)
			why = "too long for a unix socket (at most 107 bytes)";
		slot = &d->socket_path;
		break;
	case DKEY_SOCKET_GROUP:
		if (!policy_valid_name(value, 32) || value[0] == '-')
			why = "not a valid group name";
		slot = &d->socket_group;
		break;
	case DKEY_STATE_DIR:
		why = policy_check_abs_path(value);
		slot = &d->state_dir;
		break;
	case DKEY_MOVE_TO:
		why = policy_check_cgroup_path(value);
		slot = &d->move_to;
		break;
	case DKEY_LIBVIRT_DIR:
		why = policy_check_abs_path(value);
		slot = &d->libvirt_dir;
		break;
	case DKEY_CLUSTER: {
		struct cluster_url url;

		why = cluster_url_parse(value, &url);
		slot = &d->cluster;
		d->cluster_line = ps->line;
		break;
	}
	case DKEY_CLUSTER_HOST:
		if (!policy_valid_name(value, CLUSTER_MAX_HOST_NAME))
			why = "not a valid host name (letters, digits, '_', '.', '-'; at most 63)";
		slot = &d->cluster_host;
		break;
	case DKEY_CLUSTER_PASSWORD_FILE:
		why = policy_check_abs_path(value);
		slot = &d->cluster_password_file;
		d->cluster_password_line = ps->line;
		break;
	}
	if (why) {
		policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		return;
	}
	free(*slot);
	*slot = policy_strdup(ps, value);
}

/* ---- [group NAME] ---- */

static void policy_group_match(struct policy_parser *ps, struct policy_group *g,
			       const char *value)
{
	static const char *const kinds[] = { "cgroup", "vm", "pid", "exe" };
	const char *colon = strchr(value, ':'), *pattern, *why = NULL;
	char canon[32];
	size_t klen;
	uint64_t pid;
	int kind = -1;

	if (g->nr_matches >= POLICY_MAX_MATCHES) {
		policy_error(ps, ps->line, "match", "too many matches in one group (at most %d)",
			     POLICY_MAX_MATCHES);
		return;
	}
	if (!colon) {
		policy_error(ps, ps->line, "match",
			     "'%.*s': expected KIND:PATTERN with KIND cgroup, vm, pid or exe",
			     POLICY_MAX_SHOWN, value);
		return;
	}
	klen = (size_t)(colon - value);
	for (int i = 0; i < 4; i++)
		if (strlen(kinds[i]) == klen && !strncmp(value, kinds[i], klen))
			kind = i;
	pattern = colon + 1;
	if (kind < 0) {
		policy_error(ps, ps->line, "match",
			     "unknown kind '%.*s' (cgroup, vm, pid or exe)",
			     (int)(klen < POLICY_MAX_SHOWN ? klen : POLICY_MAX_SHOWN), value);
		return;
	}
	switch (kind) {
	case POLICY_MATCH_CGROUP:
		if (pattern[0] != '/')
			why = "a cgroup pattern must start with '/' (the cgroup v2 root)";
		else
			why = policy_check_abs_path(pattern);
		if (!why)
			for (const char *p = pattern; *p && !why; p++)
				if (p[0] == '/' && p[1] == '.' && (p[2] == '/' || !p[2]))
					why = "must not contain '.' components";
		if (!why)
			why = glob_check(pattern);
		break;
	case POLICY_MATCH_VM:
		why = glob_check(pattern);
		break;
	case POLICY_MATCH_PID:
		if (units_parse_count(pattern, &pid, NULL) || !pid || pid > POLICY_MAX_PID) {
			why = "a pid must be a whole number from 1 to 4194304";
		} else {
			snprintf(canon, sizeof(canon), "%llu", (unsigned long long)pid);
			pattern = canon;
		}
		break;
	case POLICY_MATCH_EXE:
		why = policy_check_abs_path(pattern);
		if (!why)
			why = glob_check(pattern);
		break;
	}
	if (why) {
		policy_error(ps, ps->line, "match", "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		return;
	}
	for (int i = 0; i < g->nr_matches; i++) {
		if (g->matches[i].kind == (enum policy_match_kind)kind &&
		    !strcmp(g->matches[i].pattern, pattern)) {
			policy_error(ps, ps->line, "match", "'%.*s': repeated (first at line %d)",
				     POLICY_MAX_SHOWN, value, g->matches[i].line);
			return;
		}
	}
	struct policy_match *n = realloc(g->matches, (g->nr_matches + 1) * sizeof(*n));
	if (!n) {
		ps->oom = true;
		return;
	}
	g->matches = n;
	memset(&n[g->nr_matches], 0, sizeof(*n));
	n[g->nr_matches].kind = kind;
	n[g->nr_matches].line = ps->line;
	n[g->nr_matches].pattern = policy_strdup(ps, pattern);
	if (!n[g->nr_matches].pattern)
		return;
	if (kind != POLICY_MATCH_PID && glob_compile(&n[g->nr_matches].glob, pattern)) {
		free(n[g->nr_matches].pattern);
		ps->oom = true;
		return;
	}
	g->nr_matches++;
}


/* "MAJ:MIN" into dev; false when value is not of that form. */
static bool policy_parse_majmin(const char *value, struct policy_device *dev, const char **why)
{
	const char *colon = strchr(value, ':');
	char maj[32];
	uint64_t a, b;
	size_t n;

	if (!colon || (n = (size_t)(colon - value)) == 0 || n >= sizeof(maj))
		return false;
	memcpy(maj, value, n);
	maj[n] = '\0';
	if (units_parse_count(maj, &a, NULL) || units_parse_count(colon + 1, &b, NULL))
		return false;
	if (a > POLICY_MAX_MAJOR || b > POLICY_MAX_MINOR) {
		*why = "major must be at most 4095 and minor at most 1048575";
		return true;
	}
	dev->major = (uint32_t)a;
	dev->minor = (uint32_t)b;
	dev->has_majmin = true;
	return true;
}

static void policy_group_device(struct policy_parser *ps, struct policy_group *g,
				const char *value)
{
	struct policy_device dev = { .line = ps->line };
	const char *why = NULL;

	if (g->nr_devices >= POLICY_MAX_DEVICES) {
		policy_error(ps, ps->line, "device", "too many devices in one group (at most %d)",
			     POLICY_MAX_DEVICES);
		return;
	}
	if (!strcmp(value, "*")) {
		dev.any = true;
	} else if (value[0] == '/') {
		if (strncmp(value, "/dev/", 5) || !value[5])
			why = "a device path must be under /dev/";
		else if (policy_check_abs_path(value))
			why = "must not contain '..' components";
		else if (value[strlen(value) - 1] == '/')
			why = "must name a device, not a directory";
		else if (strpbrk(value, " \t*?["))
			why = "a device path takes no blanks or glob characters";
	} else if (!policy_parse_majmin(value, &dev, &why)) {
		why = "expected /dev/NAME, MAJ:MIN or *";
	}
	if (why) {
		policy_error(ps, ps->line, "device", "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		return;
	}
	for (int i = 0; i < g->nr_devices; i++) {
		if (g->devices[i].any != dev.any) {
			policy_error(ps, ps->line, "device",
				     "'*' (every disk) cannot be combined with other devices (line %d)",
				     g->devices[i].line);
			return;
		}
		if (!strcmp(g->devices[i].spec, value) ||
		    (dev.has_majmin && g->devices[i].has_majmin &&
		     g->devices[i].major == dev.major && g->devices[i].minor == dev.minor)) {
			policy_error(ps, ps->line, "device", "'%.*s': repeated (first at line %d)",
				     POLICY_MAX_SHOWN, value, g->devices[i].line);
			return;
		}
	}
	struct policy_device *n = realloc(g->devices, (g->nr_devices + 1) * sizeof(*n));
	if (!n) {
		ps->oom = true;
		return;
	}
	g->devices = n;
	dev.spec = policy_strdup(ps, value);
	if (!dev.spec)
		return;
	n[g->nr_devices++] = dev;
}

/* Whole seconds >= 1: QEMU's burst length is an integer count of seconds. */
static int policy_parse_burst_length(const char *value, uint32_t *out, const char **why)
{
	uint64_t ns;

	if (units_parse_duration(value, &ns, why))
		return -EINVAL;
	if (ns < UNITS_NSEC_PER_SEC || ns % UNITS_NSEC_PER_SEC) {
		*why = "must be a whole number of seconds, at least 1 (QEMU counts bursts in seconds)";
		return -EINVAL;
	}
	if (ns / UNITS_NSEC_PER_SEC > UINT32_MAX) {
		*why = "too long (at most 4294967295 seconds)";
		return -ERANGE;
	}
	*out = (uint32_t)(ns / UNITS_NSEC_PER_SEC);
	return 0;
}

static void policy_group_limit(struct policy_parser *ps, struct policy_group *g, int k,
			       const char *key, const char *value)
{
	int id = (k - GKEY_LIMIT0) / FIELD_NR, field = (k - GKEY_LIMIT0) % FIELD_NR;
	struct policy_limit *l = &g->limits[id];
	const char *why = NULL;
	uint64_t v;
	int err;

	if (field == FIELD_LEN) {
		if (policy_parse_burst_length(value, &l->max_length_s, &why))
			policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		return;
	}
	if (id >= POLICY_IOPS_TOTAL)
		err = units_parse_count(value, &v, &why);
	else
		err = units_parse_rate(value, &v, &why);
	if (!err && v > POLICY_VALUE_MAX) {
		err = -ERANGE;
		why = "must be within [0, 1000000000000000] (QEMU's limit)";
	}
	if (err) {
		policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		return;
	}
	if (field == FIELD_AVG)
		l->avg = v;
	else
		l->max = v;
}

static void policy_group_key_value(struct policy_parser *ps, int k, const char *key,
				   const char *value);

/* "file:line: alias: note: ...", once per alias and file. */
static void policy_note_alias(struct policy_parser *ps, const char *key, int k, bool pooled)
{
	char canonical[64], *text;
	char **n;

	for (int i = 0; i < ps->nr_noted; i++)
		if (!strcmp(ps->noted[i], key))
			return;
	if (ps->nr_noted < (int)(sizeof(ps->noted) / sizeof(ps->noted[0]))) {
		ps->noted[ps->nr_noted] = strdup(key);
		if (ps->noted[ps->nr_noted])
			ps->nr_noted++;
	}
	policy_group_key_name(k, canonical, sizeof(canonical));
	if (pooled ? asprintf(&text, "%s:%d: %s: note: a QEMU throttle group: the group's members share its limits, as share = pooled",
			      ps->name, ps->line, key) < 0 :
		     asprintf(&text, "%s:%d: %s: note: iorate's name is %s",
			      ps->name, ps->line, key, canonical) < 0) {
		ps->oom = true;
		return;
	}
	policy_sanitize(text);
	n = realloc(ps->notes, (ps->nr_notes + 1) * sizeof(*n));
	if (!n) {
		free(text);
		ps->oom = true;
		return;
	}
	ps->notes = n;
	ps->notes[ps->nr_notes++] = text;
}

static void policy_group_key(struct policy_parser *ps, const char *key, const char *value)
{
	int before = ps->nr_errs;
	int k = policy_group_key_lookup(key);
	bool pooled = false;

	if (k < 0) {
		k = policy_group_alias(key, &pooled);
		if (k >= 0)
			policy_note_alias(ps, key, k, pooled);
		/* any throttle group's name: the value share = pooled means */
		if (pooled && *value)
			value = "pooled";
	}
	policy_group_key_value(ps, k, key, value);
	if (ps->nr_errs == before)
		return;
	if (k == GKEY_MATCH)
		ps->group_match_err = true;
	else if (k >= GKEY_LIMIT0 || k == GKEY_LIMITS)
		ps->group_limit_err = true;
}

/* k: the group key (an alias already resolved); key: as written, for
 * the messages. */
static void policy_group_key_value(struct policy_parser *ps, int k, const char *key,
				   const char *value)
{
	struct policy_group *g = policy_cur_group(ps);
	const char *why = NULL;
	uint64_t v;
	int choice;

	if (k < 0) {
		policy_error(ps, ps->line, key, "unknown key in [group %s]", g->name);
		return;
	}
	if (k != GKEY_MATCH && k != GKEY_DEVICE) {
		if (ps->group_keys[k]) {
			policy_error(ps, ps->line, key,
				     "repeated key (first set at line %d); only match and device may repeat",
				     ps->group_keys[k]);
			return;
		}
		ps->group_keys[k] = ps->line;
	} else if (!ps->group_keys[k]) {
		ps->group_keys[k] = ps->line;
	}
	if (ps->group_keys[k] == ps->line)
		snprintf(ps->group_key_as[k], sizeof(ps->group_key_as[k]), "%s", key);
	if (!*value) {
		policy_error(ps, ps->line, key, "empty value");
		return;
	}
	switch (k) {
	case GKEY_MATCH:
		policy_group_match(ps, g, value);
		break;
	case GKEY_DEVICE:
		policy_group_device(ps, g, value);
		break;
	case GKEY_SHARE: {
		/* in enum policy_share's order */
		static const char *const shares[] = { "each", "pooled", "cluster" };

		choice = policy_choice(ps, key, value, shares, 3);
		if (choice >= 0)
			g->share = choice;
		if (choice == POLICY_SHARE_CLUSTER)
			g->cluster_line = ps->line;
		break;
	}
	case GKEY_CLUSTER_FALLBACK:
		if (units_parse_percent(value, &g->cluster_fallback, &why))
			policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		break;
	case GKEY_MOVE: {
		static const char *const yes_no[] = { "yes", "no" };

		choice = policy_choice(ps, key, value, yes_no, 2);
		if (choice >= 0)
			g->move = choice == 0;
		break;
	}
	case GKEY_LIMITS: {
		static const char *const sources[] = { "policy", "libvirt" };

		choice = policy_choice(ps, key, value, sources, 2);
		if (choice >= 0)
			g->from_libvirt = choice == 1;
		break;
	}
	case GKEY_IOPS_SIZE:
		if (units_parse_size(value, &v, &why))
			policy_error(ps, ps->line, key, "'%.*s': %s", POLICY_MAX_SHOWN, value, why);
		else if (v > POLICY_VALUE_MAX)
			policy_error(ps, ps->line, key,
				     "'%.*s': must be within [0, 1000000000000000]",
				     POLICY_MAX_SHOWN, value);
		else
			g->iops_size = v;
		break;
	default:
		policy_group_limit(ps, g, k, key, value);
		break;
	}
}

/* share = cluster needs a Redis, and a Redis wants a group that uses it
 * ([daemon] may come after the groups, so this is checked at the end). */
static void policy_check_cluster(struct policy_parser *ps)
{
	const struct policy *p = ps->p;
	bool any = false;

	for (int i = 0; i < p->nr_groups; i++) {
		if (p->groups[i].share != POLICY_SHARE_CLUSTER)
			continue;
		any = true;
		/* a bad cluster = line has its own error */
		if (!p->daemon.cluster && !ps->daemon_keys[DKEY_CLUSTER])
			policy_error(ps, p->groups[i].cluster_line, "share",
				     "share = cluster needs cluster = redis://HOST:PORT in [daemon]");
	}
	if (!any && p->daemon.cluster)
		policy_error(ps, p->daemon.cluster_line, "cluster",
			     "no group has share = cluster");
}

/* ---- lines ---- */

/* Cut a comment: '#' or ';' at the start or after a blank. */
static void policy_strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || policy_is_blank(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static void policy_line(struct policy_parser *ps, char *buf)
{
	char *line, *eq, *key, *value;

	policy_strip_comment(buf);
	line = policy_trim(buf);
	if (!*line)
		return;
	if (line[0] == '[') {
		policy_section(ps, line);
		return;
	}
	eq = strchr(line, '=');
	if (!eq) {
		char word[40];

		snprintf(word, sizeof(word), "%.*s", (int)strcspn(line, " \t\r\v\f"), line);
		policy_error(ps, ps->line, word, "expected 'key = value'");
		ps->group_bad_line = true;
		return;
	}
	*eq = '\0';
	key = policy_trim(line);
	value = policy_trim(eq + 1);
	if (!*key) {
		policy_error(ps, ps->line, "=", "missing key before '='");
		return;
	}
	switch (ps->section) {
	case SEC_NONE:
		policy_error(ps, ps->line, key,
			     "key outside any section (start with [daemon] or [group NAME])");
		break;
	case SEC_DAEMON:
		policy_daemon_key(ps, key, value);
		break;
	case SEC_GROUP:
		policy_group_key(ps, key, value);
		break;
	case SEC_SKIP:	/* its header was already reported */
		break;
	}
}

static int policy_defaults(struct policy *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->daemon.tick_ns = POLICY_DEFAULT_TICK_NS;
	p->daemon.accounting = IORATE_LEVEL_DEVICE;
	p->path = strdup(name);
	p->daemon.metrics = strdup(POLICY_DEFAULT_METRICS);
	p->daemon.socket_path = strdup(POLICY_DEFAULT_SOCKET);
	p->daemon.state_dir = strdup(POLICY_DEFAULT_STATE_DIR);
	p->daemon.move_to = strdup(POLICY_DEFAULT_MOVE_TO);
	p->daemon.libvirt_dir = strdup(POLICY_DEFAULT_LIBVIRT_DIR);
	if (!p->path || !p->daemon.metrics || !p->daemon.socket_path || !p->daemon.state_dir ||
	    !p->daemon.move_to || !p->daemon.libvirt_dir)
		return -ENOMEM;
	return 0;
}

/* Hand the collected errors over, sorted by line. */
static int policy_errors_take(struct policy_parser *ps, struct policy_errors *errs)
{
	if (!ps->nr_errs)
		return 0;
	qsort(ps->errs, ps->nr_errs, sizeof(*ps->errs), policy_error_cmp);
	errs->lines = calloc(ps->nr_errs, sizeof(*errs->lines));
	if (!errs->lines)
		return -ENOMEM;
	for (int i = 0; i < ps->nr_errs; i++) {
		errs->lines[i] = ps->errs[i].text;
		ps->errs[i].text = NULL;
	}
	errs->nr = ps->nr_errs;
	return 0;
}

int policy_parse_buffer(const char *name, const char *text, size_t len,
			struct policy *out, struct policy_errors *errs)
{
	struct policy_parser ps = { .name = name ? name : "(policy)", .p = out };
	char *buf = NULL;
	size_t pos = 0;
	int err;

	errs->lines = NULL;
	errs->nr = 0;
	err = policy_defaults(out, ps.name);
	if (err)
		goto cleanup;
	buf = malloc(POLICY_MAX_LINE + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (pos < len && !ps.stopped && !ps.oom) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;

		pos += n + (nl ? 1 : 0);
		ps.line++;
		if (n && start[n - 1] == '\r')
			n--;
		if (n > POLICY_MAX_LINE) {
			policy_error(&ps, ps.line, "line", "longer than %d bytes", POLICY_MAX_LINE);
			ps.group_bad_line = true;
			continue;
		}
		if (memchr(start, '\0', n)) {
			policy_error(&ps, ps.line, "line", "contains a NUL byte");
			ps.group_bad_line = true;
			continue;
		}
		memcpy(buf, start, n);
		buf[n] = '\0';
		policy_line(&ps, buf);
	}
	if (!ps.oom) {
		policy_section_end(&ps);
		policy_check_cluster(&ps);
	}
	err = ps.oom ? -ENOMEM : 0;
	if (!err)
		err = policy_errors_take(&ps, errs);
	if (!err && ps.nr_errs)
		err = -EINVAL;
	if (!err) {
		out->notes = ps.notes;
		out->nr_notes = ps.nr_notes;
		ps.notes = NULL;
		ps.nr_notes = 0;
	}
cleanup:
	for (int i = 0; i < ps.nr_errs; i++)
		free(ps.errs[i].text);
	free(ps.errs);
	for (int i = 0; i < ps.nr_notes; i++)
		free(ps.notes[i]);
	free(ps.notes);
	for (int i = 0; i < ps.nr_noted; i++)
		free(ps.noted[i]);
	free(buf);
	if (err)
		policy_free(out);
	return err;
}

int policy_parse_file(const char *path, struct policy *out, struct policy_errors *errs)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, err;

	memset(out, 0, sizeof(*out));
	errs->lines = NULL;
	errs->nr = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *t;

			if (cap > POLICY_MAX_FILE) {
				err = -EFBIG;
				goto cleanup;
			}
			cap = cap ? cap * 2 : 16384;
			t = realloc(text, cap);
			if (!t) {
				err = -ENOMEM;
				goto cleanup;
			}
			text = t;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > POLICY_MAX_FILE) {
		err = -EFBIG;
		goto cleanup;
	}
	err = policy_parse_buffer(path, text, len, out, errs);
cleanup:
	free(text);
	close(fd);
	return err;
}

void policy_group_free(struct policy_group *g)
{
	free(g->name);
	for (int i = 0; i < g->nr_matches; i++) {
		free(g->matches[i].pattern);
		glob_free(&g->matches[i].glob);
	}
	free(g->matches);
	for (int i = 0; i < g->nr_devices; i++)
		free(g->devices[i].spec);
	free(g->devices);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nr_groups; i++)
		policy_group_free(&p->groups[i]);
	free(p->groups);
	for (int i = 0; i < p->nr_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->path);
	free(p->daemon.metrics);
	free(p->daemon.socket_path);
	free(p->daemon.socket_group);
	free(p->daemon.state_dir);
	free(p->daemon.move_to);
	free(p->daemon.libvirt_dir);
	free(p->daemon.cluster);
	free(p->daemon.cluster_host);
	free(p->daemon.cluster_password_file);
	memset(p, 0, sizeof(*p));
}

void policy_errors_free(struct policy_errors *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->nr; i++)
		free(e->lines[i]);
	free(e->lines);
	e->lines = NULL;
	e->nr = 0;
}

bool policy_group_equal_limits(const struct policy_group *a, const struct policy_group *b)
{
	if (a->share != b->share || a->iops_size != b->iops_size ||
	    a->from_libvirt != b->from_libvirt || a->cluster_fallback != b->cluster_fallback)
		return false;
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		if (a->limits[i].avg != b->limits[i].avg ||
		    a->limits[i].max != b->limits[i].max ||
		    a->limits[i].max_length_s != b->limits[i].max_length_s)
			return false;
	}
	return true;
}

/* ---- file mode ---- */

static int policy_check_owner_mode(const char *path, const struct stat *st, bool dir,
				   char *err, size_t errlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by root", path,
			 (unsigned)st->st_uid);
		return -1;
	}
	/* A sticky directory (as /tmp) keeps others from replacing our file. */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(dir && (st->st_mode & S_ISVTX))) {
		snprintf(err, errlen, "%s: writable by %s (mode %04o)", path,
			 (st->st_mode & S_IWOTH) ? "others" : "its group",
			 (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

int policy_check_file_mode(const char *path, char *err, size_t errlen)
{
	char *real = NULL, *slash;
	struct stat st;
	int ret = -1;

	real = realpath(path, NULL);
	if (!real) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (stat(real, &st)) {
		snprintf(err, errlen, "%s: %s", real, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", real);
		goto cleanup;
	}
	if (policy_check_owner_mode(real, &st, false, err, errlen))
		goto cleanup;
	/* Every directory above it: whoever can rename one can swap the file. */
	while ((slash = strrchr(real, '/'))) {
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &st)) {
			snprintf(err, errlen, "%s: %s", real, strerror(errno));
			goto cleanup;
		}
		if (policy_check_owner_mode(real, &st, true, err, errlen))
			goto cleanup;
		if (slash == real)
			break;
	}
	ret = 0;
cleanup:
	free(real);
	return ret;
}

bool policy_groups_equal(const struct policy *a, const struct policy *b)
{
	if (a->nr_groups != b->nr_groups)
		return false;
	for (int g = 0; g < a->nr_groups; g++) {
		const struct policy_group *x = &a->groups[g], *y = &b->groups[g];

		if (strcmp(x->name, y->name) || !policy_group_equal_limits(x, y) ||
		    x->move != y->move || x->nr_matches != y->nr_matches ||
		    x->nr_devices != y->nr_devices)
			return false;
		for (int i = 0; i < x->nr_matches; i++)
			if (x->matches[i].kind != y->matches[i].kind ||
			    strcmp(x->matches[i].pattern, y->matches[i].pattern))
				return false;
		for (int i = 0; i < x->nr_devices; i++)
			if (strcmp(x->devices[i].spec, y->devices[i].spec))
				return false;
	}
	return true;
}
