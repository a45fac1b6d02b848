// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "cluster_url.h"

static int host_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

/* Keys are PREFIX:{GROUP}:...: braces in the prefix would move Redis
 * Cluster's hash tag off the group (docs/cluster.md). */
static int prefix_char(char c)
{
	return host_char(c) || c == '_' || c == ':';
}

const char *cluster_url_parse(const char *s, struct cluster_url *out)
{
	static const char scheme[] = "redis://";
	const char *host, *end, *rest;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (strncmp(s, scheme, sizeof(scheme) - 1))
		return "must start with redis:// (redis://HOST:PORT[/PREFIX])";
	host = s + sizeof(scheme) - 1;
	if (*host == '[') {
		unsigned char addr[16];

		end = strchr(host, ']');
		if (!end)
			return "missing ']' after the IPv6 address";
		len = (size_t)(end - host - 1);
		if (!len || len >= sizeof(out->host))
			return "bad IPv6 address";
		memcpy(out->host, host + 1, len);
		if (inet_pton(AF_INET6, out->host, addr) != 1)
			return "bad IPv6 address";
		rest = end + 1;
	} else {
		for (end = host; host_char(*end); end++)
			;
		len = (size_t)(end - host);
		if (!len)
			return "missing host (redis://HOST:PORT[/PREFIX])";
		if (len >= sizeof(out->host))
			return "host name too long";
		if (*end && *end != ':' && *end != '/')
			return "bad host name";
		memcpy(out->host, host, len);
		rest = end;
	}
	out->port = CLUSTER_DEFAULT_PORT;
	if (*rest == ':') {
		char *num_end;
		long port = strtol(rest + 1, &num_end, 10);

		if (num_end == rest + 1 || port < 1 || port > 65535 ||
		    (*num_end && *num_end != '/'))
			return "port must be a number from 1 to 65535";
		out->port = (int)port;
		rest = num_end;
	}
	strcpy(out->prefix, CLUSTER_DEFAULT_PREFIX);
	if (*rest == '/' && rest[1]) {
		len = strlen(rest + 1);
		if (len >= sizeof(out->prefix))
			return "prefix too long (at most 63 bytes)";
		for (const char *p = rest + 1; *p; p++)
			if (!prefix_char(*p))
				return "prefix: letters, digits, '.', '-', '_' and ':' only";
		memcpy(out->prefix, rest + 1, len + 1);
	} else if (*rest && strcmp(rest, "/")) {
		return "expected redis://HOST:PORT[/PREFIX]";
	}
	return NULL;
}
