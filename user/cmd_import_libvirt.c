// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate import-libvirt DOMAIN.xml...: a policy from the guests' <iotune>
 * and <blkiotune>. The XML side is libvirt_xml.c, the host disk under each
 * drive's source libvirt_host.c; this file reads and writes the files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "commands.h"
#include "disk.h"
#include "iorate.h"
#include "libvirt_host.h"
#include "libvirt_xml.h"
#include "policy.h"


static void import_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate import-libvirt [-o FILE] DOMAIN.xml...\n"
		"\n"
		"Write a policy that holds each guest's libvirt <iotune> limits at the host's\n"
		"disks. DOMAIN.xml is what `virsh dumpxml NAME` prints ('-' reads stdin).\n"
		"A VM's drives on the same host disk are summed into one group for that disk;\n"
		"a QEMU throttle group (<group_name>) counts once. <blkiotune> device limits\n"
		"are imported as they are. Drives on network storage, pool volumes or missing\n"
		"paths cannot be mapped: a comment and a warning each.\n"
		"  -o, --output FILE  write the policy to FILE instead of stdout\n"
		"  -h, --help         this text\n"
		"Exit status: 0 all limits imported, 1 some drive could not be mapped (the\n"
		"policy is written without it) or a file could not be read, 2 bad usage.\n");
}

/* ---- files ---- */

static int import_read(const char *path, char **text, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	int err;

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	err = lv_read_xml(fd, text, len);
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}

static int import_write(const char *path, const char *text, size_t len)
{
	FILE *f = path ? fopen(path, "we") : stdout;
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len || fflush(f))
		err = -errno ? -errno : -EIO;
	if (path && fclose(f) && !err)
		err = -errno;
	return err;
}

int do_import_libvirt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct policy_errors errs = { 0 };
	struct lv_domain *doms = NULL;
	struct policy pol = { 0 };
	struct lv_report rep;
	const char *output = NULL;
	char *text = NULL;
	size_t text_len = 0;
	FILE *mem = NULL;
	int nr = 0, c, ret = 1, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			import_usage(stdout);
			return 0;
		default:
			import_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "iorate import-libvirt: expected at least one DOMAIN.xml\n\n");
		import_usage(stderr);
		return 2;
	}
	doms = calloc(argc - optind, sizeof(*doms));
	if (!doms)
		goto cleanup;
	/* Every file must read and parse before anything is written. */
	for (int i = optind; i < argc; i++) {
		char msg[512], *xml;
		size_t len;

		err = import_read(argv[i], &xml, &len);
		if (err) {
			fprintf(stderr, "iorate import-libvirt: %s: %s\n", argv[i],
				err == -EFBIG ? "file too large" : strerror(-err));
			goto cleanup;
		}
		err = lv_domain_parse(xml, len, &doms[nr], msg, sizeof(msg));
		free(xml);
		if (err) {
			fprintf(stderr, "iorate import-libvirt: %s: %s\n", argv[i], msg);
			goto cleanup;
		}
		nr++;
	}
	mem = open_memstream(&text, &text_len);
	if (!mem)
		goto cleanup;
	err = lv_policy_write(mem, stderr, doms, nr, lv_host_resolve, NULL, &rep);
	if (fclose(mem))
		err = err ? err : -errno;
	mem = NULL;
	if (err) {
		fprintf(stderr, "iorate import-libvirt: %s\n", strerror(-err));
		goto cleanup;
	}
	/* What we hand out must be what `iorate check` accepts. */
	err = policy_parse_buffer(output ? output : "(output)", text, text_len, &pol, &errs);
	if (err) {
		for (int i = 0; i < errs.nr; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		fprintf(stderr, "iorate import-libvirt: the generated policy is invalid (%s); nothing written\n",
			errs.nr ? "the XML's limits break QEMU's rules" : strerror(-err));
		goto cleanup;
	}
	err = import_write(output, text, text_len);
	if (err) {
		fprintf(stderr, "iorate import-libvirt: %s: %s\n", output ? output : "stdout",
			strerror(-err));
		goto cleanup;
	}
	fprintf(stderr, "iorate import-libvirt: %d domain%s, %d group%s%s", nr, nr == 1 ? "" : "s",
		rep.groups, rep.groups == 1 ? "" : "s", rep.unmapped ? "" : "\n");
	if (rep.unmapped)
		fprintf(stderr, ", %d drive%s not mapped\n", rep.unmapped,
			rep.unmapped == 1 ? "" : "s");
	ret = rep.unmapped ? 1 : 0;
cleanup:
	if (mem)
		fclose(mem);
	free(text);
	for (int i = 0; i < nr; i++)
		lv_domain_free(&doms[i]);
	free(doms);
	policy_free(&pol);
	policy_errors_free(&errs);
	return ret;
}
