/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Prometheus /metrics (text exposition format 0.0.4) over libmicrohttpd.
 * The HTTP server runs in MHD's own thread and serves a copy of a text the
 * daemon renders from a status snapshot and publishes under a mutex: the
 * HTTP thread never sees daemon state, and a slow scraper never holds up
 * a tick.
 */
#ifndef IORATE_METRICS_H
#define IORATE_METRICS_H

#include <stdio.h>
#include "status.h"

struct metrics;

/* addr is the policy's "HOST:PORT" or "[V6]:PORT". */
int metrics_start(const char *addr, struct metrics **out);
void metrics_stop(struct metrics *m);
/* Swap in a new text; takes ownership of text (malloc'd). */
void metrics_publish(struct metrics *m, char *text);
/* Whether a scrape is waiting for a fresh text: render at this tick. */
bool metrics_wanted(struct metrics *m);

/* Pure: the exposition text of a snapshot, malloc'd (NULL: no memory). */
char *metrics_render(const struct status_snapshot *s);
/* A label value with \ " and newline escaped as the format asks. */
void metrics_write_label_value(FILE *f, const char *v);

#endif
