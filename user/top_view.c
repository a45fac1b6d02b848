// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top's screen (curses): a header with the daemon's state and the
 * host's per-disk totals, then one row per member (or group) and disk.
 * Columns that do not fit the terminal are dropped, least useful first, so
 * that 80x24 still shows the member's name and group, rates, the limit and
 * its use (top_layout.c decides). erase() + refresh()
 * only rewrite the cells that changed: no flicker.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>
#include "top.h"

void top_view_start(void)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
}

void top_view_stop(void)
{
	endwin();
}

/* One line at y, cut at the screen's width (never wrapped). */
static void top_line(int y, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (y >= LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mvaddnstr(y, 0, buf, COLS);
}

/* The columns for this screen: names as long as the sample's need (the
 * same for every sort, so that a key does not move columns about). */
static bool top_layout(const struct top_opts *o, const struct top_sample *s,
		       const struct top_row *rows, size_t nr, struct top_layout *lay)
{
	struct top_layout_want want = { .name = 0, .group = 0, .cgroup = 0 };
	bool vms = false;

	for (size_t i = 0; i < nr; i++) {
		int n = (int)strlen(top_row_label(o, &rows[i]));

		if (n > want.name)
			want.name = n;
		if (rows[i].vm && !o->paths) {
			vms = true;
			n = (int)strlen(rows[i].name);
			if (n > want.cgroup)
				want.cgroup = n;
		}
	}
	if (!vms)
		want.cgroup = 0;
	for (int g = 0; g < s->nr_groups; g++) {
		int n = (int)strlen(s->groups[g].name);

		if (n > want.group)
			want.group = n;
	}
	top_layout_fit(COLS, s->daemon, o->groups, &want, lay);
	return vms;	/* NAME shows a VM's name somewhere */
}

/* Sorts that can be seen: ops (no column of its own), and those whose
 * column is on. */
static bool top_sort_shown(const struct top_opts *o, const struct top_sample *s, int sort)
{
	struct top_layout lay;

	if (sort == TOP_SORT_OPS)
		return true;
	top_layout(o, s, s->rows, s->nr_rows, &lay);
	for (int c = 0; c < TOP_NR_COLS; c++)
		if (top_cols[c].sort == sort)
			return lay.on[c];
	return false;
}

static void top_amount(char *buf, size_t len, double v, bool bytes)
{
	if (!bytes)
		snprintf(buf, len, v >= 100000 ? "%.0fk" : "%.0f", v >= 100000 ? v / 1000 : v);
	else if (v >= 1073741824)
		snprintf(buf, len, "%.4gG", v / 1073741824);
	else if (v >= 1048576)
		snprintf(buf, len, "%.4gM", v / 1048576);
	else
		snprintf(buf, len, "%.4gK", v / 1024);
}

static void top_cell(char *buf, size_t len, int c, const struct top_opts *o, const struct top_row *r)
{
	const double *ops = r->ops_s[o->level], *bytes = r->bytes_s[o->level];

	switch (c) {
	case COL_RIOPS: snprintf(buf, len, "%.1f", ops[0]); break;
	case COL_WIOPS: snprintf(buf, len, "%.1f", ops[1]); break;
	case COL_RMB: snprintf(buf, len, "%.2f", bytes[0] / 1048576); break;
	case COL_WMB: snprintf(buf, len, "%.2f", bytes[1] / 1048576); break;
	case COL_LIMIT:
		if (r->limit > 0)
			top_amount(buf, len, r->limit, r->limit_bytes);
		else
			snprintf(buf, len, "-");
		break;
	case COL_PCT:
		if (r->pct >= 0)
			snprintf(buf, len, "%.0f", fmin(r->pct, 999));
		else
			snprintf(buf, len, "-");
		break;
	case COL_FILL:
		if (r->fill >= 0)
			snprintf(buf, len, "%.0f%%", fmin(r->fill * 100, 999));
		else
			snprintf(buf, len, "-");
		break;
	case COL_THROT:
		if (r->throttled_s < 0)
			snprintf(buf, len, "-");
		else if (r->throttled_s < 10000)
			snprintf(buf, len, "%.1fs", r->throttled_s);
		else
			snprintf(buf, len, "%.0fh", r->throttled_s / 3600);
		break;
	case COL_AWAIT:
		if (r->await_ms >= 0)
			snprintf(buf, len, r->await_ms < 100 ? "%.2f" : "%.0f", r->await_ms);
		else
			snprintf(buf, len, "-");
		break;
	case COL_IOMAX: snprintf(buf, len, "%s", r->iomax); break;
	default: buf[0] = '\0'; break;
	}
}

static void top_draw_help(void)
{
	static const char *const lines[] = {
		"iorate top: keys",
		"",
		"  q        quit",
		"  h        this help (any key goes back)",
		"  < >      sort by the column on the left / right (or arrow keys)",
		"  s        the next sort (as >)",
		"  g        group view (one row per group and disk) / member view",
		"  c        member names: VM names / cgroup paths",
		"  d        show one disk, the next one, ... then all again",
		"  p        pause: keep the screen, take no samples (or space)",
		"  l        device level (requests issued, iostat) / bio level (io.max)",
		"  e        explain view: each member's stages and the one that adds most",
		"  a        show or hide rows without I/O",
		"  + -      double / halve the delay between samples",
		"",
		"MEMBER is the VM's name where one is known (libvirt's scope, a QEMU's",
		"-name), else the cgroup path, cut at the front; CGROUP the path where",
		"the screen has room. GROUP the member's policy group.",
		"Columns: r/s w/s rMB/s wMB/s over the last window; LIMIT the group's",
		"limit used most (iops, or bytes/s with K/M/G) and %LIM its use; FILL",
		"the fullest burst bucket; THROT the time io.max held the member back",
		"(docs/status.md); AWAIT mean completion latency in ms; IO.MAX the line",
		"in force. The header's disk lines are /proc/diskstats, as iostat.",
		"Without a daemon top attaches its own meter: rates only.",
		"The explain view (iorate explain's, over the last 10 samples) shows the",
		"direction with more requests: SYSC/s its processes' syscalls, BIO/s",
		"bios past blk-throttle, SPLIT/s the pieces split bios made, REQ/s",
		"requests at the disk, WB% of them the flushers', DISK% its share of the",
		"disk's, PEAK/s the largest window; under it the stage that adds most.",
	};

	erase();
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		top_line((int)i, "%s", lines[i]);
	refresh();
}

static void top_fmt_uptime(char *buf, size_t len, double s)
{
	if (s >= 86400)
		snprintf(buf, len, "%dd%02dh", (int)(s / 86400), (int)fmod(s / 3600, 24));
	else if (s >= 3600)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

/* The disks worth a line: active ones, the filtered one, those in rows. */
static bool top_disk_shown(const struct top_opts *o, const struct top_sample *s,
			   const struct top_disk *d)
{
	if (o->device[0])
		return !strcmp(o->device, d->name);
	if (d->active)
		return true;
	for (size_t i = 0; i < s->nr_rows; i++)
		if (!strcmp(s->rows[i].device, d->name))
			return true;
	return false;
}

static int top_draw_header(const struct top_opts *o, const struct top_sample *s, size_t shown)
{
	time_t now = time(NULL);
	char up[32];
	struct tm tm;
	int y = 0, max_disks = LINES >= 30 ? 6 : LINES >= 20 ? 3 : 1, nd = 0, more = 0;

	localtime_r(&now, &tm);
	if (s->daemon) {
		top_fmt_uptime(up, sizeof(up), s->uptime_s);
		top_line(y++, "iorate top %02d:%02d:%02d  daemon pid %d  up %s  ticks %llu  "
			 "iomax errors %llu of %llu", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 s->pid, up, (unsigned long long)s->ticks,
			 (unsigned long long)s->iomax_errors, (unsigned long long)s->iomax_writes);
		if (s->error[0])	/* slow: its last answer */
			top_line(y++, "%s: the last answer shown", s->error);
		else
			top_line(y++, "policy %s  accounting %s  tick %.0fms  window %.2fs", s->policy,
				 s->accounting, s->tick_ms, s->interval_s);
	} else {
		top_line(y++, "iorate top %02d:%02d:%02d  NO DAEMON: observe-only, own meter",
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		top_line(y++, "%s  interval %.2fs", s->error[0] ? s->error : "-", s->interval_s);
	}
	top_line(y++, "level %s  delay %gs  %zu %s  sort %s  disk %s%s",
		 o->level == IORATE_LEVEL_DEVICE ? "device" : "bio", o->delay_s,
		 shown, o->all || o->groups ? "rows" : "active", top_sort_name(o->sort),
		 o->device[0] ? o->device : "all", o->paused ? "  PAUSED" : "");
	for (size_t i = 0; i < s->nr_disks; i++) {
		const struct top_disk *d = &s->disks[i];

		if (!top_disk_shown(o, s, d))
			continue;
		if (nd == max_disks) {
			more++;
			continue;
		}
		nd++;
		top_line(y++, "%-8s r/s %7.1f w/s %7.1f rMB/s %6.2f wMB/s %6.2f await %5.2f util %3.0f%%",
			 d->name, d->r_s, d->w_s, d->rmb_s, d->wmb_s, d->await_ms, d->util);
	}
	if (more) {
		y--;
		mvprintw(y, COLS > 12 ? COLS - 12 : 0, " +%d more", more);
		y++;
	}
	if (!nd)
		top_line(y++, "disk (no I/O)");
	top_line(y++, "q quit  h help  <>s sort  g view  e explain  c names  d disk  p pause  l level  a idle");
	return y;
}

static void top_rate(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, v >= 100000 ? "%.0fk" : v >= 100 ? "%.0f" : "%.1f",
			 v >= 100000 ? v / 1000 : v);
}

/* One line of the explain view: name, disk, then the columns. */
static void top_explain_line(char *line, size_t len, int name_w, const char *name,
			     const char *device, const char *const *cells, int nr, int cell_w)
{
	int off = snprintf(line, len, "%-*s %-8s", name_w, name, device);

	for (int c = 0; c < nr && off < (int)len; c++)
		off += snprintf(line + off, len - off, " %*s", cell_w, cells[c]);
}

/* The explain view: per member and disk, the direction with more requests
 * through each stage (iorate explain's, over top's last windows), and
 * under it the stage that adds most. */
static void top_draw_explain(struct top_opts *o, const struct top_sample *s)
{
	static const char *const titles[] = {
		"DIR", "SYSC/s", "BIO/s", "SPLIT/s", "REQ/s", "WB%", "DISK%", "PEAK/s", "WIN",
	};
	enum { NR_COLS = sizeof(titles) / sizeof(titles[0]), COL_W = 7 };
	struct top_row **shown = calloc(s->nr_rows + 1, sizeof(*shown));
	size_t n = shown ? top_select(o, s->rows, s->nr_rows, shown) : 0;
	char line[1024];
	int name_w = 6, y;

	for (size_t i = 0; i < n; i++) {
		int w = (int)strlen(top_row_label(o, shown[i]));

		if (w > name_w)
			name_w = w;
	}
	/* the columns first: a name gives up its front */
	if (name_w > COLS - 1 - 9 - (COL_W + 1) * NR_COLS)
		name_w = COLS - 1 - 9 - (COL_W + 1) * NR_COLS;
	if (name_w < 6)
		name_w = 6;
	erase();
	y = top_draw_header(o, s, n);
	top_explain_line(line, sizeof(line), name_w, s->daemon ? "MEMBER" : "CGROUP", "DEVICE",
			 titles, NR_COLS, COL_W);
	attron(A_REVERSE);
	mvprintw(y, 0, "%-*.*s", COLS, COLS, line);
	attroff(A_REVERSE);
	y++;
	if (o->groups)
		top_line(y++, "explain shows members (g: the group view is the table's)");
	for (size_t i = 0; i < n && y < LINES; i++) {
		const struct top_row *r = shown[i];
		const struct explain_result *ex = &r->ex;
		char cut[TOP_CUT_MAX], v[NR_COLS][32];
		const char *cells[NR_COLS];
		int d = ex->dir;

		if (!r->explained) {
			top_line(y++, "%-*s %-8s  (a window after the next sample)", name_w,
				 top_fit(top_row_label(o, r), name_w, cut, sizeof(cut)), r->device);
			continue;
		}
		snprintf(v[0], sizeof(v[0]), "%s", d == EXPLAIN_WRITE ? "write" : "read");
		top_rate(v[1], sizeof(v[1]), ex->rate[EXPLAIN_SYSCALLS][d]);
		top_rate(v[2], sizeof(v[2]), ex->rate[EXPLAIN_BIOS][d]);
		top_rate(v[3], sizeof(v[3]), ex->split_rate[d]);
		top_rate(v[4], sizeof(v[4]), ex->rate[EXPLAIN_REQUESTS][d]);
		snprintf(v[5], sizeof(v[5]), "%.0f", 100 * ex->background_share);
		if (ex->disk_share >= 0)
			snprintf(v[6], sizeof(v[6]), "%.0f", 100 * ex->disk_share);
		else
			snprintf(v[6], sizeof(v[6]), "-");
		top_rate(v[7], sizeof(v[7]), ex->largest_s);
		snprintf(v[8], sizeof(v[8]), "%d", ex->nr_windows);
		for (int c = 0; c < NR_COLS; c++)
			cells[c] = v[c];
		top_explain_line(line, sizeof(line), name_w,
				 top_fit(top_row_label(o, r), name_w, cut, sizeof(cut)), r->device,
				 cells, NR_COLS, COL_W);
		top_line(y++, "%s", line);
		top_line(y++, "  %s", ex->verdict);
	}
	refresh();
	free(shown);
}

void top_view_draw(struct top_opts *o, const struct top_sample *s)
{
	struct top_row *grows = NULL, *rows = s->rows, **shown;
	struct top_layout lay;
	size_t nr = s->nr_rows, n;
	bool vms;
	int y, x;

	if (o->help) {
		top_draw_help();
		return;
	}
	if (o->explain) {
		top_draw_explain(o, s);
		return;
	}
	if (o->groups && s->daemon && !top_group_rows(s, &grows, &nr))
		rows = grows;
	else if (o->groups)
		nr = 0;
	shown = calloc(nr + 1, sizeof(*shown));
	n = shown ? top_select(o, rows, nr, shown) : 0;

	erase();
	y = top_draw_header(o, s, n);
	vms = top_layout(o, s, rows, nr, &lay);

	attron(A_REVERSE);
	move(y, 0);
	for (int c = 0; c < TOP_NR_COLS; c++) {
		const char *title = top_cols[c].title;
		int w = lay.width[c];
		bool sorted = top_cols[c].sort == (int)o->sort;

		if (!lay.on[c])
			continue;
		if (c == COL_NAME)
			title = o->groups ? "GROUP" : s->daemon ? "MEMBER" : vms ? "NAME" : "CGROUP";
		if (c != COL_NAME)
			addch(' ');
		if (sorted)
			attron(A_UNDERLINE);
		printw(top_cols[c].left ? "%-*s" : "%*s", w, title);
		if (sorted)
			attroff(A_UNDERLINE);
	}
	for (x = getcurx(stdscr); x < COLS && getcury(stdscr) == y; x++)
		addch(' ');
	attroff(A_REVERSE);
	y++;

	if (o->groups && !s->daemon)
		top_line(y, "no groups without a daemon: g goes back to cgroups");
	for (size_t i = 0; i < n && y < LINES; i++, y++) {
		const struct top_row *r = shown[i];
		char line[1024], cell[64], cut[TOP_CUT_MAX];
		size_t off = 0;

		for (int c = 0; c < TOP_NR_COLS && off < sizeof(line); c++) {
			int w = lay.width[c];
			const char *text = cell;

			if (!lay.on[c])
				continue;
			if (c == COL_NAME) {
				/* the end of a name says most: keep it, cut the front */
				text = top_fit(top_row_label(o, r), w, cut, sizeof(cut));
			} else if (c == COL_CGROUP) {
				text = r->vm ? top_fit(r->name, w, cut, sizeof(cut)) : "";
			} else if (c == COL_GROUP) {
				text = top_fit(r->group >= 0 ? s->groups[r->group].name : "-", w, cut,
					       sizeof(cut));
			} else if (c == COL_DEVICE) {
				text = r->device;
			} else {
				top_cell(cell, sizeof(cell), c, o, r);
			}
			off += snprintf(line + off, sizeof(line) - off, top_cols[c].left ? "%s%-*.*s" : "%s%*.*s",
					c == COL_NAME ? "" : " ", w, w, text);
		}
		mvaddnstr(y, 0, line, COLS);
	}
	refresh();
	free(shown);
	if (grows) {
		for (size_t i = 0; i < nr; i++)
			free(grows[i].name);
		free(grows);
	}
}

/* The disk after o->device among those of the sample's rows, "" after the
 * last. */
static void top_next_device(struct top_opts *o, const struct top_sample *s)
{
	const char *next = NULL;

	for (size_t i = 0; i < s->nr_rows; i++) {
		const char *d = s->rows[i].device;

		if (strcmp(d, o->device) > 0 && (!next || strcmp(d, next) < 0))
			next = d;
	}
	snprintf(o->device, sizeof(o->device), "%s", next ? next : "");
}

static void top_move_sort(struct top_opts *o, const struct top_sample *s, int step)
{
	for (int i = 0; i < TOP_NR_SORTS; i++) {
		o->sort = (o->sort + TOP_NR_SORTS + step) % TOP_NR_SORTS;
		if (top_sort_shown(o, s, o->sort))
			return;
	}
}

int top_view_wait(struct top_opts *o, const struct top_sample *s, uint64_t until_ms)
{
	while (!top_exiting) {
		uint64_t now = top_now_ms();
		int ch;

		if (now >= until_ms && !o->paused)
			return 0;
		timeout(o->paused ? 1000 : (int)(until_ms - now));
		ch = getch();
		if (ch == ERR) {
			if (o->paused)
				return 1;	/* the clock in the header */
			continue;
		}
		if (o->help && ch != 'q' && ch != 'Q' && ch != KEY_RESIZE) {
			o->help = false;
			return 1;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			return -1;
		case 'h':
		case '?':
			o->help = true;
			return 1;
		case 'l':
			o->level = o->level == IORATE_LEVEL_DEVICE ? IORATE_LEVEL_BIO : IORATE_LEVEL_DEVICE;
			return 1;
		case 'a':
			o->all = !o->all;
			return 1;
		case 's':
		case '>':
		case '.':
		case KEY_RIGHT:
			top_move_sort(o, s, 1);
			return 1;
		case '<':
		case ',':
		case KEY_LEFT:
			top_move_sort(o, s, -1);
			return 1;
		case 'g':
			o->groups = !o->groups;
			return 1;
		case 'e':
			o->explain = !o->explain;
			return 1;
		case 'c':
			o->paths = !o->paths;
			return 1;
		case 'd':
			top_next_device(o, s);
			return 1;
		case 'p':
		case ' ':
			o->paused = !o->paused;
			return 1;
		case '+':
			if (o->delay_s * 2 <= 3600)
				o->delay_s *= 2;
			return 1;
		case '-':
			if (o->delay_s / 2 >= 0.01)
				o->delay_s /= 2;
			return 1;
		case KEY_RESIZE:
			return 1;
		default:
			break;	/* a key with no use */
		}
	}
	return -1;
}
