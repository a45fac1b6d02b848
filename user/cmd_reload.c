// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate reload: the daemon re-reads its policy, as on SIGHUP, and says
 * whether it took it; a rejected file's errors come back as the lines
 * `iorate check` prints, while the running policy stays.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "commands.h"
#include "ctlsock.h"
#include "policy.h"

/* a reload parses the file and rescans the cgroup tree: seconds at most */
#define RELOAD_TIMEOUT_MS	10000

static void reload_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate reload [--socket PATH]\n"
		"\n"
		"Make the running daemon re-read its policy file (as SIGHUP does), and say\n"
		"whether it took it. A file with any error is rejected, its errors are\n"
		"printed, and the running policy stays. Root only.\n"
		"  -s, --socket PATH  the daemon's control socket (default %s)\n"
		"  -h, --help         this text\n",
		POLICY_DEFAULT_SOCKET);
}

int do_reload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *path = POLICY_DEFAULT_SOCKET;
	struct json_object *o, *ok = NULL, *v = NULL;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'h':
			reload_usage(stdout);
			return 0;
		default:
			reload_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iorate reload: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	o = ctlsock_ask("reload", path, "reload\n", RELOAD_TIMEOUT_MS);
	if (!o)
		return 1;
	if (json_object_object_get_ex(o, "ok", &ok) && json_object_get_boolean(ok)) {
		json_object_object_get_ex(o, "groups", &v);
		printf("reloaded %s: %d group(s)\n",
		       json_object_object_get_ex(o, "policy", &ok) ? json_object_get_string(ok) : "?",
		       v ? json_object_get_int(v) : 0);
		rc = 0;
	} else {
		if (json_object_object_get_ex(o, "error", &v))
			fprintf(stderr, "iorate reload: %s\n", json_object_get_string(v));
		if (json_object_object_get_ex(o, "errors", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++)
				fprintf(stderr, "%s\n",
					json_object_get_string(json_object_array_get_idx(v, i)));
	}
	json_object_put(o);
	return rc;
}
