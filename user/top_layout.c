// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top's columns and the names in them, without curses or I/O: which
 * columns fit a width, how wide each is, and how a name too long for its
 * column is cut. An operator knows VMs by name and policy groups by name,
 * not cgroups by path, so at 80 columns the row still says which VM and
 * which group it is; the path comes back on wider screens (CGROUP) or with
 * the `c` key (top_view.c).
 */
#include <stdio.h>
#include <string.h>
#include "members.h"
#include "top.h"

#define TOP_NAME_ROOM	24	/* names up to this long push extras out */
#define TOP_NAME_MAX	48	/* wider names are cut to this */
#define TOP_GROUP_MAX	16
#define TOP_CGROUP_MAX	(TOP_CUT_MAX - 8)
#define TOP_EXTRA_DROP	4	/* FILL and above: left out for a name's room */
#define TOP_CUT		".."

const struct top_col_def top_cols[TOP_NR_COLS] = {
	[COL_NAME] = { "MEMBER", 12, true, false, 0, TOP_SORT_NAME },
	[COL_GROUP] = { "GROUP", 10, true, true, 1, -1 },
	[COL_DEVICE] = { "DEVICE", 7, true, false, 0, -1 },
	[COL_RIOPS] = { "r/s", 7, false, false, 0, TOP_SORT_READ },
	[COL_WIOPS] = { "w/s", 7, false, false, 0, TOP_SORT_WRITE },
	[COL_RMB] = { "rMB/s", 6, false, false, 3, TOP_SORT_RBYTES },
	[COL_WMB] = { "wMB/s", 6, false, false, 2, TOP_SORT_WBYTES },
	[COL_LIMIT] = { "LIMIT", 6, false, true, 0, -1 },
	[COL_PCT] = { "%LIM", 4, false, true, 0, TOP_SORT_PCT },
	[COL_FILL] = { "FILL", 4, false, true, 4, TOP_SORT_FILL },
	[COL_THROT] = { "THROT", 6, false, true, 6, TOP_SORT_THROTTLED },
	[COL_AWAIT] = { "AWAIT", 6, false, false, 5, TOP_SORT_AWAIT },
	[COL_IOMAX] = { "IO.MAX", 22, true, true, 7, -1 },
	[COL_CGROUP] = { "CGROUP", 16, true, false, 9, -1 },
};

static int top_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Leave out the shown column ranked highest (at least min_drop). */
static bool top_drop(struct top_layout *lay, int min_drop)
{
	int worst = -1;

	for (int c = 0; c < TOP_NR_COLS; c++)
		if (lay->on[c] && top_cols[c].drop >= min_drop &&
		    (worst < 0 || top_cols[c].drop > top_cols[worst].drop))
			worst = c;
	if (worst < 0)
		return false;
	lay->on[worst] = false;
	lay->used -= lay->width[worst] + 1;
	return true;
}

void top_layout_fit(int cols, bool daemon, bool groups, const struct top_layout_want *want,
		    struct top_layout *lay)
{
	int name_min = top_cols[COL_NAME].width, spare, grow;
	int name_want = top_clamp(want->name, name_min, TOP_NAME_MAX);
	int room = top_clamp(want->name, name_min, TOP_NAME_ROOM);

	memset(lay, 0, sizeof(*lay));
	for (int c = 0; c < TOP_NR_COLS; c++) {
		lay->on[c] = !top_cols[c].daemon || daemon;
		if (c == COL_GROUP && groups)
			lay->on[c] = false;	/* the name is the group */
		if (c == COL_CGROUP && (groups || want->cgroup <= 0))
			lay->on[c] = false;	/* NAME shows the paths */
		lay->width[c] = top_cols[c].width;
		if (c == COL_GROUP)
			lay->width[c] = top_clamp(want->group, strlen(top_cols[c].title), TOP_GROUP_MAX);
		if (lay->on[c])
			lay->used += c == COL_NAME ? lay->width[c] : lay->width[c] + 1;
	}
	/* what does not fit goes, highest-ranked first */
	while (lay->used > cols && top_drop(lay, 1))
		;
	/* a name that is cut to its minimum says less than the extras */
	while (cols - lay->used < room - name_min && top_drop(lay, TOP_EXTRA_DROP))
		;
	spare = cols > lay->used ? cols - lay->used : 0;
	grow = spare < name_want - name_min ? spare : name_want - name_min;
	lay->width[COL_NAME] += grow;
	lay->used += grow;
	spare -= grow;
	if (lay->on[COL_CGROUP]) {
		grow = top_clamp(want->cgroup, 0, TOP_CGROUP_MAX) - lay->width[COL_CGROUP];
		grow = grow < 0 ? 0 : grow > spare ? spare : grow;
		lay->width[COL_CGROUP] += grow;
		lay->used += grow;
	}
}

const char *top_fit(const char *text, int width, char *buf, size_t len)
{
	size_t n = strlen(text), cut = sizeof(TOP_CUT) - 1;
	const char *tail;

	if (width < 0)
		width = 0;
	if (n <= (size_t)width)
		return text;
	if ((size_t)width <= cut) {
		snprintf(buf, len, "%s", text + n - width);
		return buf;
	}
	tail = text + n - (width - cut);
	/* not in the middle of a UTF-8 character */
	while (*tail && (*tail & 0xc0) == 0x80)
		tail++;
	snprintf(buf, len, "%s%s", TOP_CUT, tail);
	return buf;
}

const char *top_vm_of_path(const char *path, char *name, size_t len)
{
	const char *p = path;
	bool in_move_to = false;

	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char comp[256];

		if (n && n < sizeof(comp)) {
			memcpy(comp, p, n);
			comp[n] = '\0';
			if (members_vm_name(comp, name, len))
				return p + n;
			/* a bare QEMU the daemon moved, under the default
			 * move-to (daemon_procs.c: vm-NAME): named here only,
			 * for top and explain; a policy's vm: does not match
			 * a cgroup by that name alone */
			if (in_move_to && n > 3 && !strncmp(comp, "vm-", 3)) {
				snprintf(name, len, "%s", comp + 3);
				return p + n;
			}
			in_move_to = !strcmp(comp, POLICY_DEFAULT_MOVE_TO + 1);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return NULL;
}

bool top_path_within(const char *path, const char *member)
{
	size_t n = strlen(member);

	if (!strcmp(member, "/"))
		return path[0] == '/';
	return !strncmp(path, member, n) && (path[n] == '\0' || path[n] == '/');
}

const char *top_row_label(const struct top_opts *o, const struct top_row *r)
{
	return !o->paths && r->vm ? r->vm : r->name;
}

int top_known_match(const struct top_known *known, size_t nr, const char *path,
		    const char *device, int *idx, int max, const char **vm)
{
	int n = 0;

	*vm = NULL;
	for (size_t i = 0; i < nr; i++) {
		if (!top_path_within(path, known[i].cgroup))
			continue;
		if (!*vm && known[i].vm)
			*vm = known[i].vm;
		if (!strcmp(device, known[i].device) && n < max)
			idx[n++] = (int)i;
	}
	return n;
}
