// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* iorate: one binary, subcommands dispatched from a table (bpftool's shape). */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", do_run, "enforce a policy (the daemon)" },
	{ "check", do_check, "validate a policy file" },
	{ "top", do_top, "per cgroup x disk I/O rates, live" },
	{ "explain", do_explain, "why a disk sees what it sees: each VM's I/O, stage by stage" },
	{ "status", do_status, "what the running daemon enforces, and the rates it sees" },
	{ "reload", do_reload, "make the running daemon re-read its policy" },
	{ "import-libvirt", do_import_libvirt, "write a policy from libvirt domain XML <iotune>" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: iorate COMMAND [OPTIONS]   (iorate COMMAND --help for each)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n  %-15s %s\n", "--version", "print the version and the libbpf it runs with");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("iorate %s (libbpf %s)\n", IORATE_VERSION, libbpf_version_string());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "iorate: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
