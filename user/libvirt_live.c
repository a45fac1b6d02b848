// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * limits = libvirt (libvirt_live.h): the watch on libvirt's status
 * directory and the expansion of template groups into one group per
 * running domain and host disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "libvirt_host.h"
#include "libvirt_live.h"
#include "log.h"

/* written in place (close), renamed into place (libvirt writes NAME.xml.new
 * and renames it), removed (the domain stopped); the rest: the directory
 * itself going away */
#define LIBVIRT_LIVE_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
			     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

void libvirt_live_init(struct libvirt_live *lv)
{
	memset(lv, 0, sizeof(*lv));
	lv->fd = -1;
}

void libvirt_live_close(struct libvirt_live *lv)
{
	if (lv->fd >= 0)
		close(lv->fd);
	free(lv->dir);
	libvirt_live_init(lv);
}

bool libvirt_live_wanted(const struct policy *p)
{
	for (int g = 0; g < p->nr_groups; g++)
		if (p->groups[g].from_libvirt)
			return true;
	return false;
}

int libvirt_live_watch(struct libvirt_live *lv, const char *dir)
{
	bool said = lv->missing_said;
	int fd, err;

	if (lv->fd >= 0 && lv->dir && !strcmp(lv->dir, dir))
		return 0;
	libvirt_live_close(lv);
	lv->missing_said = said;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, dir, LIBVIRT_LIVE_EVENTS) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	lv->dir = strdup(dir);
	if (!lv->dir) {
		close(fd);
		return -ENOMEM;
	}
	lv->fd = fd;
	lv->missing_said = false;
	return 0;
}

int libvirt_live_fd(const struct libvirt_live *lv)
{
	return lv->fd;
}

static bool is_status_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 && !strcmp(name + n - 4, ".xml");
}

bool libvirt_live_changed(struct libvirt_live *lv)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, gone = false;
	ssize_t n;

	while (lv->fd >= 0 && (n = read(lv->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				gone = true;
			else if (e->len && is_status_name(e->name))
				changed = true;
			p += sizeof(*e) + e->len;
		}
	}
	if (gone) {
		/* libvirtd stopped and /run was cleaned: watch again once the
		 * directory is back (the daemon's rescan tries) */
		char *dir = lv->dir;

		lv->dir = NULL;
		libvirt_live_close(lv);
		free(dir);
	}
	return changed || gone;
}

static int status_filter(const struct dirent *e)
{
	return is_status_name(e->d_name);
}

static int read_file(int dirfd, const char *name, char **text, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err;

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	err = lv_read_xml(fd, text, len);
	close(fd);
	return err;
}

static bool template_matches(const struct policy_group *t, const char *name)
{
	for (int i = 0; i < t->nr_matches; i++)
		if (t->matches[i].kind == POLICY_MATCH_VM && policy_match_glob(&t->matches[i], name))
			return true;
	return false;
}

struct group_list {
	struct policy_group *g;
	int nr, cap;
};

static int group_list_push(struct group_list *l, const struct policy_group *g)
{
	if (l->nr == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		struct policy_group *n = realloc(l->g, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->g = n;
		l->cap = cap;
	}
	l->g[l->nr++] = *g;
	return 0;
}

static bool group_list_has(const struct group_list *l, const char *name)
{
	for (int i = 0; i < l->nr; i++)
		if (!strcmp(l->g[i].name, name))
			return true;
	return false;
}

/* Each line of text (lv_domain_write's warnings) as a warning. */
static void log_lines(const char *file, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		const char *line = text;

		if (!strncmp(line, "warning: ", 9))
			line += 9;
		if (n > (size_t)(line - text))
			log_warn("libvirt %s: %.*s", file, (int)(n - (line - text)), line);
		text += n + (text[n] == '\n');
	}
}

/* One domain's groups, after the template's name, onto out. */
static int expand_domain(const struct policy_group *t, const struct lv_domain *dom,
			 const char *path, lv_resolve_fn resolve, void *ctx,
			 struct group_list *out, struct libvirt_live_report *rep)
{
	struct policy_errors errs = { 0 };
	struct policy gen = { 0 };
	char prefix[POLICY_MAX_NAME + 2], *text = NULL, *warned = NULL;
	size_t len = 0, wlen = 0;
	struct lv_report r = { 0 };
	FILE *mem, *warn;
	int err;

	snprintf(prefix, sizeof(prefix), "%s.", t->name);
	mem = open_memstream(&text, &len);
	warn = open_memstream(&warned, &wlen);
	if (!mem || !warn) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = lv_domain_write(mem, warn, dom, prefix, resolve, ctx, &r);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	mem = NULL;
	if (fclose(warn) && !err)
		err = -ENOMEM;
	warn = NULL;
	if (err)
		goto cleanup;
	log_lines(path, warned);
	rep->unmapped += r.unmapped;
	/* the domain's own limits break QEMU's rules (libvirt checks them,
	 * but a hand-edited file need not be libvirt's): no group for it */
	if (policy_parse_buffer(path, text, len, &gen, &errs)) {
		for (int i = 0; i < errs.nr; i++)
			log_warn("libvirt %s", errs.lines[i]);
		log_warn("libvirt %s: domain %s: its limits are not valid; it gets no group",
			 path, dom->name);
		goto cleanup;
	}
	for (int i = 0; i < gen.nr_groups; i++) {
		if (group_list_has(out, gen.groups[i].name)) {
			log_warn("libvirt %s: domain %s: a group named %s exists already; this one is left out",
				 path, dom->name, gen.groups[i].name);
			policy_group_free(&gen.groups[i]);
			continue;
		}
		err = group_list_push(out, &gen.groups[i]);
		if (err) {
			for (int j = i; j < gen.nr_groups; j++)
				policy_group_free(&gen.groups[j]);
			break;
		}
		rep->groups++;
	}
	gen.nr_groups = 0;	/* moved into out, or freed */
cleanup:
	if (mem)
		fclose(mem);
	if (warn)
		fclose(warn);
	free(text);
	free(warned);
	policy_free(&gen);
	policy_errors_free(&errs);
	return err;
}

int libvirt_live_expand(struct policy *p, const char *dir, lv_resolve_fn resolve, void *ctx,
			struct libvirt_live_report *rep)
{
	struct group_list out = { 0 };
	struct lv_domain *doms = NULL;
	struct dirent **ents = NULL;
	char **paths = NULL;
	bool *claimed = NULL;
	int nr_ents, nr_doms = 0, nr_static = 0, dirfd = -1, err = 0;

	memset(rep, 0, sizeof(*rep));
	if (!libvirt_live_wanted(p))
		return 0;
	nr_ents = scandir(dir, &ents, status_filter, alphasort);
	if (nr_ents < 0) {
		if (errno != ENOENT)
			log_warn("libvirt-dir %s: %s; no domain's limits are known", dir,
				 strerror(errno));
		nr_ents = 0;
	}
	if (nr_ents) {
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		doms = calloc(nr_ents, sizeof(*doms));
		paths = calloc(nr_ents, sizeof(*paths));
		claimed = calloc(nr_ents, sizeof(*claimed));
		if (!doms || !paths || !claimed) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (int i = 0; i < nr_ents && dirfd >= 0; i++) {
		char why[512], *xml;
		size_t len;

		rep->files++;
		if (asprintf(&paths[nr_doms], "%s/%s", dir, ents[i]->d_name) < 0) {
			paths[nr_doms] = NULL;
			err = -ENOMEM;
			goto cleanup;
		}
		err = read_file(dirfd, ents[i]->d_name, &xml, &len);
		if (err == -ENOMEM)
			goto cleanup;
		/* gone between the listing and the read: the domain stopped */
		if (err == -ENOENT) {
			err = 0;
			free(paths[nr_doms]);
			paths[nr_doms] = NULL;
			continue;
		}
		if (!err)
			err = lv_domain_parse(xml, len, &doms[nr_doms], why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", err == -EFBIG ? "file too large" : strerror(-err));
		free(xml);
		if (err == -ENOMEM)
			goto cleanup;
		if (err) {
			log_warn("libvirt %s: %s; that domain's limits are not known", paths[nr_doms], why);
			rep->bad++;
			free(paths[nr_doms]);
			paths[nr_doms] = NULL;
			err = 0;
			continue;
		}
		nr_doms++;
	}
	for (int g = 0; g < p->nr_groups; g++) {
		if (p->groups[g].from_libvirt)
			continue;
		err = group_list_push(&out, &p->groups[g]);
		if (err)
			goto cleanup;
		nr_static++;
	}
	for (int g = 0; g < p->nr_groups; g++) {
		const struct policy_group *t = &p->groups[g];

		for (int i = 0; t->from_libvirt && i < nr_doms; i++) {
			if (claimed[i] || !template_matches(t, doms[i].name))
				continue;
			claimed[i] = true;
			rep->domains++;
			err = expand_domain(t, &doms[i], paths[i], resolve, ctx, &out, rep);
			if (err)
				goto cleanup;
		}
	}
	/* the swap: the statics are moved, the templates go */
	for (int g = 0; g < p->nr_groups; g++)
		if (p->groups[g].from_libvirt)
			policy_group_free(&p->groups[g]);
	free(p->groups);
	p->groups = out.g;
	p->nr_groups = out.nr;
	out.g = NULL;
	out.nr = 0;
cleanup:
	for (int i = nr_static; i < out.nr; i++)
		policy_group_free(&out.g[i]);
	free(out.g);
	for (int i = 0; i < nr_doms; i++)
		lv_domain_free(&doms[i]);
	for (int i = 0; paths && i < nr_ents; i++)
		free(paths[i]);
	free(doms);
	free(paths);
	free(claimed);
	for (int i = 0; i < nr_ents; i++)
		free(ents[i]);
	free(ents);
	if (dirfd >= 0)
		close(dirfd);
	return err;
}
