/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The cgroup hierarchy that io/blkio lives in, and cgroup id <-> path.
 * The BPF meter reports the kernfs id of a bio's blkcg, which is the inode
 * number of the cgroup's directory in *that* hierarchy: cgroup v2 when io is
 * there, the v1 blkio mount otherwise (the build hosts), never blindly
 * /sys/fs/cgroup.
 */
#ifndef IORATE_CGROUPFS_H
#define IORATE_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_names;

/* Find the mount point of the hierarchy that holds io (v2) or blkio (v1).
 * v2 is preferred; *is_v2 tells which. */
int cgroupfs_find_io_root(char *root, size_t len, bool *is_v2);

int cgroup_names_new(const char *root, struct cgroup_names **out);
void cgroup_names_free(struct cgroup_names *n);
/* Path of cgroup id below the root ("/" for the root), or NULL when no such
 * cgroup exists (rescans the tree at most once per second on a miss). */
const char *cgroup_names_lookup(struct cgroup_names *n, uint64_t id);
int cgroup_names_rescan(struct cgroup_names *n);
/* Write text to a cgroup control file in one write(2), as the kernel
 * wants it: 0 or -errno. */
int cgroupfs_write(const char *path, const char *text);
/* Id (inode number) of a cgroup directory, 0 on error. */
uint64_t cgroupfs_id_of(const char *dir);
/* Whether cgroup id still exists in the hierarchy mounted at root_fd, by
 * its file handle (needs CAP_DAC_READ_SEARCH): 1 alive, 0 gone, or -errno
 * when it cannot tell (then nothing should be freed). */
int cgroupfs_id_alive(int root_fd, uint64_t id);

#endif
