/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef IORATE_LOG_H
#define IORATE_LOG_H

#include <stdbool.h>
#include <stdarg.h>
#include <bpf/libbpf.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
/* Under systemd, stderr goes to the journal: "<N>" prefixes give levels. */
void log_set_journal(bool on);
bool log_debug_enabled(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* libbpf's messages, routed through the same levels. */
int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif
