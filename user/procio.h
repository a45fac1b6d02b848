/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A cgroup's processes' read/write syscalls (/proc/PID/io), for the
 * stage above the block layer in explain and top's explain view.
 */
#ifndef IORATE_PROCIO_H
#define IORATE_PROCIO_H

#include <stdint.h>

/* Adds one process's read and write syscalls to calls[0] and calls[1],
 * and the process to *pids_sig, the signature of which processes were
 * read; -errno, neither touched, when its /proc/PID/io could not be read
 * (gone, or not ours). */
int procio_pid_syscalls(int pid, double calls[2], uint64_t *pids_sig);

/* The read (calls[0]) and write (calls[1]) syscalls of the processes in
 * root/path (not below) and a signature of which processes they are: a
 * difference between two readings counts only when the signatures agree
 * (a process that left takes its counts with it). Returns how many
 * processes were read, or -errno when cgroup.procs could not be. */
int procio_cgroup_syscalls(const char *root, const char *path, double calls[2],
			   uint64_t *pids_sig);

#endif
