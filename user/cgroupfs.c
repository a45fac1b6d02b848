// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroupfs.h"

struct cgroup_name {
	uint64_t id;
	char *path;
};

struct cgroup_names {
	char *root;
	struct cgroup_name *names;	/* sorted by id */
	size_t nr;
	time_t last_scan;
};

static bool file_has_word(const char *path, const char *word)
{
	char buf[4096], *tok, *save;
	FILE *f = fopen(path, "re");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (!strcmp(tok, word))
				found = true;
	}
	fclose(f);
	return found;
}

int cgroupfs_find_io_root(char *root, size_t len, bool *is_v2)
{
	char line[4096], v1[4096] = "";
	FILE *f = fopen("/proc/self/mounts", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char dev[256], dir[2048], type[64], opts[1024];
		char path[2100];

		if (sscanf(line, "%255s %2047s %63s %1023s", dev, dir, type, opts) != 4)
			continue;
		if (!strcmp(type, "cgroup2")) {
			snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
			if (file_has_word(path, "io")) {
				snprintf(root, len, "%s", dir);
				*is_v2 = true;
				err = 0;
				break;
			}
		} else if (!strcmp(type, "cgroup") && !v1[0]) {
			char *o, *save;

			for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
				if (!strcmp(o, "blkio"))
					snprintf(v1, sizeof(v1), "%s", dir);
		}
	}
	fclose(f);
	if (err && v1[0]) {
		snprintf(root, len, "%s", v1);
		*is_v2 = false;
		err = 0;
	}
	return err;
}

int cgroupfs_write(const char *path, const char *text)
{
	ssize_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

uint64_t cgroupfs_id_of(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return 0;
	return st.st_ino;
}

/* kernfs's file handle type (include/linux/exportfs.h, not in the uapi):
 * the handle is the 64-bit kernfs id that BPF reports. */
#define CGROUPFS_FILEID_KERNFS	0xfe

int cgroupfs_id_alive(int root_fd, uint64_t id)
{
	union {
		struct file_handle fh;
		char bytes[sizeof(struct file_handle) + sizeof(uint64_t)];
	} handle;
	int fd;

	handle.fh.handle_bytes = sizeof(uint64_t);
	handle.fh.handle_type = CGROUPFS_FILEID_KERNFS;
	memcpy(handle.fh.f_handle, &id, sizeof(id));
	/* One syscall, whatever the size of the tree: no walk. */
	fd = open_by_handle_at(root_fd, &handle.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == ESTALE || errno == ENOENT ? 0 : -errno;
}

int cgroup_names_new(const char *root, struct cgroup_names **out)
{
	struct cgroup_names *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->root = strdup(root);
	if (!n->root) {
		free(n);
		return -ENOMEM;
	}
	*out = n;
	return cgroup_names_rescan(n);
}

static void names_clear(struct cgroup_names *n)
{
	for (size_t i = 0; i < n->nr; i++)
		free(n->names[i].path);
	free(n->names);
	n->names = NULL;
	n->nr = 0;
}

void cgroup_names_free(struct cgroup_names *n)
{
	if (!n)
		return;
	names_clear(n);
	free(n->root);
	free(n);
}

static int name_cmp(const void *a, const void *b)
{
	const struct cgroup_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int cgroup_names_rescan(struct cgroup_names *n)
{
	char *const paths[] = { n->root, NULL };
	size_t rootlen = strlen(n->root), cap = 0;
	FTS *fts;
	FTSENT *e;
	int err = 0;

	names_clear(n);
	n->last_scan = time(NULL);
	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	if (!fts)
		return -errno;
	while ((e = fts_read(fts))) {
		if (e->fts_info != FTS_D)
			continue;
		if (n->nr == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct cgroup_name *p = realloc(n->names, ncap * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			n->names = p;
			cap = ncap;
		}
		n->names[n->nr].id = e->fts_statp->st_ino;
		n->names[n->nr].path = strdup(e->fts_pathlen > rootlen ? e->fts_path + rootlen : "/");
		if (!n->names[n->nr].path) {
			err = -ENOMEM;
			break;
		}
		n->nr++;
	}
	fts_close(fts);
	qsort(n->names, n->nr, sizeof(n->names[0]), name_cmp);
	return err;
}

const char *cgroup_names_lookup(struct cgroup_names *n, uint64_t id)
{
	struct cgroup_name key = { .id = id }, *hit;

	hit = n->nr ? bsearch(&key, n->names, n->nr, sizeof(key), name_cmp) : NULL;
	if (!hit && time(NULL) != n->last_scan) {
		cgroup_names_rescan(n);
		hit = n->nr ? bsearch(&key, n->names, n->nr, sizeof(key), name_cmp) : NULL;
	}
	return hit ? hit->path : NULL;
}
