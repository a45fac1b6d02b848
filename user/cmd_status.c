// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate status: ask the running daemon on its control socket and print
 * its answer (docs/status.md) as a table, or as it came (--json).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "commands.h"
#include "ctlsock.h"
#include "policy.h"

#define STATUS_TIMEOUT_MS	5000

static void status_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate status [--json] [--socket PATH]\n"
		"\n"
		"What the running daemon enforces: groups, members per disk, their measured\n"
		"rates over the last second, the io.max in force and the fill of each bucket.\n"
		"  -j, --json         the daemon's JSON document (docs/status.md)\n"
		"  -s, --socket PATH  the daemon's control socket (default %s)\n"
		"  -h, --help         this text\n",
		POLICY_DEFAULT_SOCKET);
}

static struct json_object *status_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static double status_num(struct json_object *o, const char *key)
{
	struct json_object *v = status_get(o, key);

	return v ? json_object_get_double(v) : 0;
}

static const char *status_str(struct json_object *o, const char *key)
{
	struct json_object *v = status_get(o, key);

	return v ? json_object_get_string(v) : "-";
}

/* 1048576 -> "1M", 3000 -> "3000": the policy's own units. */
static void status_amount(char *buf, size_t len, double v, bool bytes)
{
	static const char units[] = "KMGT";
	int u = -1;

	if (bytes)
		while (u < 3 && v >= 1024 && fmod(v, 1024) == 0) {
			v /= 1024;
			u++;
		}
	if (u >= 0)
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f", v);
}

static void status_print_limits(struct json_object *limits)
{
	bool first = true;

	json_object_object_foreach(limits, key, val) {
		char amount[32], name[32];
		struct json_object *avg = status_get(val, "avg"), *max = status_get(val, "max");
		bool bytes = !strncmp(key, "bps", 3);

		if (!avg) {	/* iops_size */
			status_amount(amount, sizeof(amount), json_object_get_double(val), true);
			printf("%s%s %s", first ? "" : ", ", "iops-size", amount);
			first = false;
			continue;
		}
		snprintf(name, sizeof(name), "%s", key);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		status_amount(amount, sizeof(amount), json_object_get_double(avg), bytes);
		printf("%s%s %s", first ? "" : ", ", name, amount);
		if (max) {
			status_amount(amount, sizeof(amount), json_object_get_double(max), bytes);
			printf(" (max %s for %ds)", amount, (int)status_num(val, "max_length_s"));
		}
		first = false;
	}
	if (first)
		printf("no limits");
	printf("\n");
}

static void status_print_iomax(char *buf, size_t len, struct json_object *iomax)
{
	static const char *const keys[] = { "riops", "wiops", "rbps", "wbps" };
	size_t off = 0;

	buf[0] = '\0';
	if (!iomax) {
		snprintf(buf, len, "-");
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v = status_get(iomax, keys[i]);
		char amount[32];

		if (!v)
			continue;	/* null: max */
		status_amount(amount, sizeof(amount), json_object_get_double(v), i >= 2);
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s=%s", off ? " " : "",
				keys[i], amount);
	}
	if (!off)
		snprintf(buf, len, "max");
}

static void status_print_fill(struct json_object *fill)
{
	bool first = true;

	json_object_object_foreach(fill, key, val) {
		char name[32];

		snprintf(name, sizeof(name), "%s", key);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		printf("%s%s %.0f%%", first ? "" : ", ", name, json_object_get_double(val) * 100);
		first = false;
	}
	if (first)
		printf("-");
}

/* "    vm web-1, pids 812 815" under a member that has either */
static void status_print_identity(struct json_object *mj)
{
	struct json_object *pids = status_get(mj, "pids"), *vm = status_get(mj, "vm");
	size_t n = pids && json_object_is_type(pids, json_type_array) ? json_object_array_length(pids) : 0;

	if (!n && !vm)
		return;
	printf("    ");
	if (vm && json_object_is_type(vm, json_type_string))
		printf("vm %s%s", json_object_get_string(vm), n ? ", " : "");
	if (n)
		printf("pid%s", n > 1 ? "s" : "");
	for (size_t i = 0; i < n; i++)
		printf(" %d", json_object_get_int(json_object_array_get_idx(pids, i)));
	if (json_object_get_boolean(status_get(mj, "pids_truncated")))
		printf(" ...");
	printf("\n");
}

static void status_print(struct json_object *o)
{
	struct json_object *groups = status_get(o, "groups");
	struct json_object *counters = status_get(o, "counters");
	double up = status_num(o, "uptime_s");
	size_t nr = groups ? json_object_array_length(groups) : 0;

	printf("iorate %s, pid %d, policy %s\n", status_str(o, "version"), (int)status_num(o, "pid"),
	       status_str(o, "policy"));
	printf("tick %.0f ms, accounting %s, up %dh%02dm%02ds; %.0f ticks, %.0f io.max writes, "
	       "%.0f errors\n",
	       status_num(o, "tick_ms"), status_str(o, "accounting"), (int)(up / 3600),
	       (int)fmod(up / 60, 60), (int)fmod(up, 60), status_num(counters, "ticks"),
	       status_num(counters, "iomax_writes"), status_num(counters, "iomax_errors"));
	printf("io.max %s (%s)\n", status_str(o, "iomax_mode"), status_str(o, "iomax_mode_why"));
	if (status_num(counters, "usage_map_full") > 0)
		printf("WARNING: the BPF usage map is full: %.0f I/Os not counted (see the daemon's log)\n",
		       status_num(counters, "usage_map_full"));
	if (status_get(o, "cluster")) {
		struct json_object *c = status_get(o, "cluster");

		printf("cluster %s as host %s: %s", status_str(c, "url"), status_str(c, "host"),
		       json_object_get_boolean(status_get(c, "up")) ? "up" : "DOWN");
		if (*status_str(c, "last_error"))
			printf(" (%s)", status_str(c, "last_error"));
		printf(", %.0f exchanges, %.0f failed\n", status_num(c, "exchanges"),
		       status_num(c, "failures"));
	}
	for (size_t g = 0; g < nr; g++) {
		struct json_object *gj = json_object_array_get_idx(groups, g);
		struct json_object *members = status_get(gj, "members");
		size_t nm = members ? json_object_array_length(members) : 0;

		printf("\ngroup %s (%s): ", status_str(gj, "name"), status_str(gj, "share"));
		status_print_limits(status_get(gj, "limits"));
		if (status_get(gj, "cluster")) {
			struct json_object *c = status_get(gj, "cluster");
			struct json_object *share = status_get(c, "share");
			bool first = true;

			printf("  cluster: %s among %.0f host(s); this host's share:", status_str(c, "mode"),
			       status_num(c, "hosts"));
			json_object_object_foreach(share ? share : c, key, val) {
				if (!share)
					break;
				char amount[32];

				status_amount(amount, sizeof(amount), json_object_get_double(val),
					      !strncmp(key, "bps", 3));
				printf("%s %s %s", first ? "" : ",", key, amount);
				first = false;
			}
			printf("\n");
		}
		if (!nm) {
			printf("  no member with I/O or a named disk yet\n");
			continue;
		}
		printf("  %-36s %-10s %9s %9s %8s %8s  %-28s %s\n", "MEMBER", "DEVICE", "r/s", "w/s",
		       "rMB/s", "wMB/s", "IO.MAX", "FILL");
		for (size_t m = 0; m < nm; m++) {
			struct json_object *mj = json_object_array_get_idx(members, m);
			struct json_object *rates = status_get(mj, "rates");
			const char *cg = status_str(mj, "cgroup");
			char iomax[128];

			status_print_iomax(iomax, sizeof(iomax), status_get(mj, "iomax"));
			/* a long name (libvirt's scopes) gets a line of its own */
			if (strlen(cg) > 36) {
				printf("  %s\n", cg);
				cg = "";
			}
			printf("  %-36s %-10s %9.1f %9.1f %8.2f %8.2f  %-28s ", cg,
			       status_str(mj, "device"), status_num(rates, "read_iops"),
			       status_num(rates, "write_iops"), status_num(rates, "read_bps") / 1048576,
			       status_num(rates, "write_bps") / 1048576, iomax);
			status_print_fill(status_get(mj, "bucket_fill"));
			printf("\n");
			status_print_identity(mj);
		}
	}
}

int do_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = POLICY_DEFAULT_SOCKET;
	struct json_object *o, *error;
	bool json = false;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "js:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 's':
			path = optarg;
			break;
		case 'h':
			status_usage(stdout);
			return 0;
		default:
			status_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iorate status: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	o = ctlsock_ask("status", path, "status\n", STATUS_TIMEOUT_MS);
	if (!o)
		return 1;
	error = status_get(o, "error");
	if (error) {
		fprintf(stderr, "iorate status: the daemon says: %s\n", json_object_get_string(error));
		rc = 1;
	} else if (json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		status_print(o);
	}
	json_object_put(o);
	return rc;
}
