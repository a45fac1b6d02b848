// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "iorate.h"
#include "log.h"
#include "state.h"

#define STATE_HEADER "iorate-state 1\n"
#define STATE_FROZEN " frozen"

/* Entries are kept sorted by (dev, cgroup): every tick looks up each
 * member's line, a thousand of them on a big host. */
static int state_cmp(uint32_t dev, const char *cgroup, const struct state_entry *e)
{
	if (dev != e->dev)
		return dev < e->dev ? -1 : 1;
	return strcmp(cgroup, e->cgroup);
}

/* Index of the entry, or of where it would go. */
static int state_slot(const struct state *s, const char *cgroup, uint32_t dev, bool *found)
{
	int lo = 0, hi = s->nr;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (state_cmp(dev, cgroup, &s->entries[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->nr && !state_cmp(dev, cgroup, &s->entries[lo]);
	return lo;
}

struct state_entry *state_find(struct state *s, const char *cgroup, uint32_t dev)
{
	bool found;
	int i = state_slot(s, cgroup, dev, &found);

	return found ? &s->entries[i] : NULL;
}

struct state_entry *state_add(struct state *s, const char *cgroup, uint32_t dev,
			      const struct iomax *original)
{
	struct state_entry *e;
	bool found;
	int at;

	if (s->nr == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;

		e = realloc(s->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		s->entries = e;
		s->cap = cap;
	}
	at = state_slot(s, cgroup, dev, &found);
	if (found)
		return &s->entries[at];
	e = &s->entries[at];
	memmove(e + 1, e, (s->nr - at) * sizeof(*e));
	memset(e, 0, sizeof(*e));
	e->cgroup = strdup(cgroup);
	if (!e->cgroup) {
		memmove(e, e + 1, (s->nr - at) * sizeof(*e));
		return NULL;
	}
	e->dev = dev;
	e->original = *original;
	e->current = *original;
	s->nr++;
	return e;
}

void state_remove(struct state *s, struct state_entry *e)
{
	int i = e - s->entries;

	free(e->cgroup);
	memmove(e, e + 1, (s->nr - i - 1) * sizeof(*e));
	s->nr--;
}

/* A line: "<MAJ:MIN rbps=.. wbps=.. riops=.. wiops=..>[ frozen]\t<cgroup path>".
 * The io.max text comes first so that paths may hold any byte but '\n'. */
char *state_format(const struct state *s)
{
	size_t len = sizeof(STATE_HEADER), off;
	char *buf;

	for (int i = 0; i < s->nr; i++)
		len += strlen(s->entries[i].cgroup) + 160 + sizeof(STATE_FROZEN);
	buf = malloc(len);
	if (!buf)
		return NULL;
	off = snprintf(buf, len, "%s", STATE_HEADER);
	for (int i = 0; i < s->nr; i++) {
		char line[160];

		iomax_format(s->entries[i].dev, &s->entries[i].original, line, sizeof(line));
		off += snprintf(buf + off, len - off, "%s%s\t%s\n", line,
				s->entries[i].frozen_ns ? STATE_FROZEN : "", s->entries[i].cgroup);
	}
	return buf;
}

int state_parse(struct state *s, const char *text)
{
	const char *line;

	if (strncmp(text, STATE_HEADER, strlen(STATE_HEADER)))
		return -EINVAL;
	for (line = text + strlen(STATE_HEADER); *line; ) {
		const char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');
		unsigned int ma, mi;
		struct state_entry *e;
		struct iomax orig;
		char iomax_text[160], *path;
		size_t text_len;
		bool frozen = false;

		if (!nl)
			return -EINVAL;
		if (!tab || tab > nl || (size_t)(tab - line) >= sizeof(iomax_text) ||
		    sscanf(line, "%u:%u", &ma, &mi) != 2)
			return -EINVAL;
		text_len = tab - line;
		memcpy(iomax_text, line, text_len);
		iomax_text[text_len] = '\0';
		if (text_len > strlen(STATE_FROZEN) &&
		    !strcmp(iomax_text + text_len - strlen(STATE_FROZEN), STATE_FROZEN)) {
			iomax_text[text_len - strlen(STATE_FROZEN)] = '\0';
			frozen = true;
		}
		if (iomax_parse(iomax_text, iorate_mkdev(ma, mi), &orig))
			return -EINVAL;
		path = strndup(tab + 1, nl - tab - 1);
		if (!path)
			return -ENOMEM;
		e = state_add(s, path, iorate_mkdev(ma, mi), &orig);
		free(path);
		if (!e)
			return -ENOMEM;
		/* the clock of the run that froze it means nothing here: the
		 * thaw is due at once */
		if (frozen)
			e->frozen_ns = 1;
		line = nl + 1;
	}
	return 0;
}

int state_open(struct state *s, const char *state_dir)
{
	char *text = NULL;
	struct stat st;
	FILE *f;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		log_warn("state dir %s: %s: a restart after a crash cannot restore io.max",
			 state_dir, strerror(errno));
		return 0;
	}
	if (asprintf(&s->file, "%s/iomax.state", state_dir) < 0) {
		s->file = NULL;
		return -ENOMEM;
	}
	f = fopen(s->file, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		/* a file where the directory should be: nothing was saved
		 * there, and enforcing beats refusing to start */
		if (err == -ENOTDIR) {
			log_warn("state dir %s is not a directory: a restart after a crash cannot restore io.max",
				 state_dir);
			return 0;
		}
		/* a state file we cannot read holds what io.max was before:
		 * adopting the lines without it would lose those values */
		log_error("state file %s: %s: not starting, the io.max it records could not be restored",
			  s->file, strerror(-err));
		return err;
	}
	if (fstat(fileno(f), &st) == 0 && st.st_size < (16 << 20)) {
		text = calloc(1, st.st_size + 1);
		if (text && fread(text, 1, st.st_size, f) != (size_t)st.st_size)
			err = -EIO;
	}
	fclose(f);
	if (!err && text)
		err = state_parse(s, text);
	if (err)
		log_error("state file %s unreadable (%s): ignoring it", s->file, strerror(-err));
	free(text);
	return 0;
}

int state_save(struct state *s)
{
	char *text, tmp[4200];
	int fd, err = 0;
	size_t len;

	if (!s->file)
		return 0;
	if (!s->nr) {
		if (unlink(s->file) && errno != ENOENT)
			return -errno;
		return 0;
	}
	text = state_format(s);
	if (!text)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, s->file))
		err = -errno;
cleanup:
	free(text);
	return err;
}

void state_close(struct state *s)
{
	for (int i = 0; i < s->nr; i++)
		free(s->entries[i].cgroup);
	free(s->entries);
	free(s->file);
	memset(s, 0, sizeof(*s));
}
