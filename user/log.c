// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum log_level log_threshold = LOG_LEVEL_INFO;
static bool log_journal;

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

void log_set_journal(bool on)
{
	log_journal = on;
}

bool log_debug_enabled(void)
{
	return log_threshold >= LOG_LEVEL_DEBUG;
}

static void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	/* syslog priorities: err 3, warning 4, info 6, debug 7 */
	static const int prio[] = { 3, 4, 6, 7 };
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };

	if (level > log_threshold)
		return;
	if (log_journal)
		fprintf(stderr, "<%d>", prio[level]);
	fprintf(stderr, "iorate: %s", tag[level]);
	/* A debug line carries CLOCK_MONOTONIC, the clock of BPF's
	 * timestamps and of a tracer's samples: a trace lines the daemon's
	 * io.max writes up against the disk's own counts with it. */
	if (level == LOG_LEVEL_DEBUG) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(stderr, "%ld.%03ld ", (long)ts.tv_sec, ts.tv_nsec / 1000000);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, level)				\
	void name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		va_start(ap, fmt);			\
		log_vprint(level, fmt, ap);		\
		va_end(ap);				\
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && log_threshold < LOG_LEVEL_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && log_threshold < LOG_LEVEL_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}
