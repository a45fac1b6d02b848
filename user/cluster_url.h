/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The policy's cluster = redis://HOST:PORT[/PREFIX]: where the hosts of a
 * cluster group meet, and the prefix of every key they write there
 * (docs/cluster.md). Pure: no I/O.
 */
#ifndef IORATE_CLUSTER_URL_H
#define IORATE_CLUSTER_URL_H

/* A host's name among the others (cluster-host), at most this long. */
#define CLUSTER_MAX_HOST_NAME	63
#define CLUSTER_DEFAULT_PORT	6379
#define CLUSTER_DEFAULT_PREFIX	"iorate"

struct cluster_url {
	char host[256];		/* a name, an IPv4 address or an IPv6 one without brackets */
	int port;
	char prefix[64];
};

/* NULL with *out filled, or a phrase saying what is wrong. */
const char *cluster_url_parse(const char *s, struct cluster_url *out);

#endif
