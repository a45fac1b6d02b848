/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The one clock iorate measures with: CLOCK_MONOTONIC, as BPF's
 * bpf_ktime_get_ns() is, so that event timestamps and the daemon's agree. */
#ifndef IORATE_CLOCK_H
#define IORATE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
