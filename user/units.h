/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Numbers as an operator writes them in the policy file.
 *
 * Sizes and byte rates: a whole number with an optional suffix K M G T
 * (powers of 1024, either case, "KiB" also accepted): "4096", "4K", "120M".
 * Fractions ("1.5G"), signs and trailing text are refused, as QEMU takes
 * integers. Counts (iops): a plain whole number, no suffix (3K IOPS would be
 * ambiguous between 3000 and 3072).
 * Durations: a whole number with ns us ms s m h; a bare number is seconds.
 *
 * Each parser returns 0, or -EINVAL (syntax) / -ERANGE (overflow) and, if
 * why is not NULL, a static phrase saying what is wrong ("must not be
 * negative"), ready for "key: value: <why>" messages.
 */
#ifndef IORATE_UNITS_H
#define IORATE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNITS_NSEC_PER_SEC 1000000000ULL

int units_parse_size(const char *s, uint64_t *out, const char **why);
int units_parse_rate(const char *s, uint64_t *out, const char **why);
int units_parse_count(const char *s, uint64_t *out, const char **why);
int units_parse_duration(const char *s, uint64_t *ns, const char **why);
/* "25%": a whole percentage from 1 to 100, as a fraction (0.25). */
int units_parse_percent(const char *s, double *frac, const char **why);

/* Shortest exact form: 125829120 -> "120M", 1000 -> "1000"; 100000000 ns ->
 * "100ms", 60 s -> "1m". Output round-trips through the parsers. */
char *units_format_size(uint64_t v, char *buf, size_t len);
char *units_format_duration(uint64_t ns, char *buf, size_t len);


#endif
