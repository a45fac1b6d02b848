// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* iorate check FILE: validate a policy file the way the daemon will. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "daemon_cluster.h"
#include "disk.h"
#include "iorate.h"
#include "libvirt_host.h"
#include "libvirt_live.h"
#include "policy.h"
#include "units.h"

static void check_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate check [--verbose] [--help] FILE\n"
		"\n"
		"Validate the policy FILE as a whole, print every error as\n"
		"FILE:LINE: KEY: MESSAGE on stderr (exit 1), or a one-line summary (exit 0).\n"
		"--verbose: then each device line as this host resolves it now: the\n"
		"node io.max is written on, what is counted, the disks beneath.\n"
		"\n"
		"Grammar (docs/policy.md has it all):\n"
		"  # or ; starts a comment (at line start, or after a blank)\n"
		"  [daemon]\n"
		"    tick = 100ms                 10ms..10s\n"
		"    accounting = device          device | bio\n"
		"    metrics = 127.0.0.1:9477     HOST:PORT | [IPv6]:PORT | off\n"
		"    socket = /run/iorate/iorate.sock\n"
		"    socket-group = NAME\n"
		"    state-dir = /run/iorate\n"
		"    move-to = /iorate.slice\n"
		"    iomax-mode = auto            auto | follow | steady\n"
		"    libvirt-dir = /run/libvirt/qemu   libvirt's status files (limits = libvirt)\n"
		"    cluster = redis://HOST:PORT[/PREFIX]   for share = cluster (docs/cluster.md)\n"
		"    cluster-host = NAME           default: the host name\n"
		"    cluster-password-file = /ABS  root-owned, mode 0600 or 0400\n"
		"  [group NAME]                   NAME: letters, digits, _ . -\n"
		"    match = cgroup:/machine.slice/*web*.scope   repeatable, at least one;\n"
		"            vm:GLOB | pid:N | exe:/ABS/GLOB     '*' stops at '/', '**' does not\n"
		"    device = /dev/sdd | 8:48 | *  repeatable, default *\n"
		"    share = each | pooled | cluster   default each; cluster: pooled across hosts\n"
		"    cluster-fallback = 25%%        share = cluster, Redis lost: default limit/hosts\n"
		"    bps-total bps-read bps-write  bytes/s, K M G T = powers of 1024\n"
		"    iops-total iops-read iops-write   operations/s, plain numbers\n"
		"    LIMIT-max = N                 burst rate (>= LIMIT)\n"
		"    LIMIT-max-length = 60s        burst length, whole seconds (s, m)\n"
		"    iops-size = 16K               larger I/Os count as several operations\n"
		"    limits = policy | libvirt     libvirt: each running domain vm: matches gets\n"
		"                                  its drives' <iotune>, a group per host disk\n"
		"  QEMU's rules apply: a total limit excludes read/write limits of the same\n"
		"  kind; -max needs its base limit; values at most 1e15.\n");
}

/* limits = libvirt: the groups the daemon would hold now, from the
 * running domains' status files, with their limits. */
static int check_expand_libvirt(struct policy *pol)
{
	struct libvirt_live_report rep;
	int nr_static = 0, err;

	for (int g = 0; g < pol->nr_groups; g++) {
		const struct policy_group *t = &pol->groups[g];

		if (!t->from_libvirt) {
			nr_static++;
			continue;
		}
		printf("  [group %s] limits = libvirt: the running domains that", t->name);
		for (int i = 0; i < t->nr_matches; i++)
			printf("%s vm:%s", i ? " or" : "", t->matches[i].pattern);
		printf(" matches, from %s\n", pol->daemon.libvirt_dir);
	}
	/* the daemon's own expansion: warnings on stderr as it logs them */
	err = libvirt_live_expand(pol, pol->daemon.libvirt_dir, lv_host_resolve, NULL, &rep);
	if (err) {
		fprintf(stderr, "iorate check: %s\n", strerror(-err));
		return err;
	}
	printf("  libvirt: %d status file%s, %d domain%s matched, %d group%s\n", rep.files,
	       rep.files == 1 ? "" : "s", rep.domains, rep.domains == 1 ? "" : "s", rep.groups,
	       rep.groups == 1 ? "" : "s");
	for (int g = nr_static; g < pol->nr_groups; g++) {
		const struct policy_group *n = &pol->groups[g];
		char buf[32];

		printf("  [group %s] match = vm:%s:", n->name, n->matches[0].pattern);
		for (int i = 0; i < POLICY_NR_LIMITS; i++) {
			const struct policy_limit *l = &n->limits[i];

			if (!l->avg)
				continue;
			if (i < POLICY_IOPS_TOTAL)
				printf(" %s = %s", policy_limit_name(i),
				       units_format_size(l->avg, buf, sizeof(buf)));
			else
				printf(" %s = %llu", policy_limit_name(i), (unsigned long long)l->avg);
			if (l->max)
				printf(" (max %llu for %us)", (unsigned long long)l->max, l->max_length_s);
		}
		printf("\n");
	}
	return 0;
}

/* One device line as the daemon would resolve it on this host now. */
static void check_print_device(const struct policy_group *g, const struct policy_device *pd)
{
	char name[64], leaf[64], beneath[256] = "";
	uint32_t dev, leaves[8];
	size_t used = 0;
	int n;

	printf("  [group %s] device = %s: ", g->name, pd->spec);
	if (pd->any) {
		printf("every disk that completes requests (a dm/md volume's I/O is held at the disks beneath it)\n");
		return;
	}
	n = disk_resolve(pd->spec, &dev);
	if (n == -ENOTBLK) {
		printf("not a block device\n");
		return;
	}
	if (n) {
		printf("not on this host now (the daemon resolves it again at every rescan)\n");
		return;
	}
	disk_name(dev, name, sizeof(name));
	n = disk_leaves(dev, leaves, 8);
	for (int i = 0; i < n; i++) {
		disk_name(leaves[i], leaf, sizeof(leaf));
		used += snprintf(beneath + used, sizeof(beneath) - used, "%s%s", i ? ", " : "", leaf);
		if (used >= sizeof(beneath))
			break;
	}
	if (disk_bio_based(dev))
		printf("%s (%u:%u), a volume: io.max on %u:%u, its bios counted; on %s\n", name,
		       iorate_dev_major(dev), iorate_dev_minor(dev), iorate_dev_major(dev),
		       iorate_dev_minor(dev), n > 0 ? beneath : "?");
	else
		printf("%s (%u:%u): io.max on %u:%u, its requests counted\n", name,
		       iorate_dev_major(dev), iorate_dev_minor(dev), iorate_dev_major(dev),
		       iorate_dev_minor(dev));
}

int do_check(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_errors errs = { 0 };
	struct policy pol = { 0 };
	char tick[32], mode_err[512];
	int opt, err, pooled = 0, cluster = 0, ret = 1;
	bool verbose = false;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv", options, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "iorate check: expected one FILE\n\n");
		check_usage(stderr);
		return 2;
	}
	const char *path = argv[optind];

	err = policy_parse_file(path, &pol, &errs);
	if (err == -EINVAL && errs.nr) {
		for (int i = 0; i < errs.nr; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		fprintf(stderr, "%s: %d error%s, nothing would be applied\n", path, errs.nr,
			errs.nr == 1 ? "" : "s");
		goto cleanup;
	}
	if (err) {
		fprintf(stderr, "iorate check: cannot read %s: %s\n", path,
			err == -EFBIG ? "file too large (policy files are at most 4 MiB)"
				      : strerror(-err));
		goto cleanup;
	}
	for (int i = 0; i < pol.nr_notes; i++)
		fprintf(stderr, "%s\n", pol.notes[i]);
	/* The daemon refuses a file others can change; say so now, but the
	 * policy itself is fine (check may run on a copy elsewhere). */
	if (policy_check_file_mode(path, mode_err, sizeof(mode_err)))
		fprintf(stderr, "iorate check: warning: %s (iorate run would refuse it)\n",
			mode_err);
	if (pol.daemon.cluster_password_file) {
		char password[512], why[512];

		if (daemon_cluster_read_password(pol.daemon.cluster_password_file, password,
						 sizeof(password), why, sizeof(why)))
			fprintf(stderr, "iorate check: warning: %s:%d: cluster-password-file: %s (iorate run would refuse it)\n",
				path, pol.daemon.cluster_password_line, why);
		explicit_bzero(password, sizeof(password));
	}
	for (int i = 0; i < pol.nr_groups; i++) {
		pooled += pol.groups[i].share == POLICY_SHARE_POOLED;
		cluster += pol.groups[i].share == POLICY_SHARE_CLUSTER;
	}
	printf("%s: OK: %d group%s (%d each, %d pooled", path, pol.nr_groups,
	       pol.nr_groups == 1 ? "" : "s", pol.nr_groups - pooled - cluster, pooled);
	if (cluster)
		printf(", %d cluster through %s", cluster, pol.daemon.cluster);
	printf("), tick %s, accounting %s\n", units_format_duration(pol.daemon.tick_ns, tick, sizeof(tick)),
	       pol.daemon.accounting == IORATE_LEVEL_BIO ? "bio" : "device");
	if (verbose && libvirt_live_wanted(&pol) && check_expand_libvirt(&pol))
		goto cleanup;
	for (int g = 0; verbose && g < pol.nr_groups; g++)
		for (int i = 0; i < pol.groups[g].nr_devices; i++)
			check_print_device(&pol.groups[g], &pol.groups[g].devices[i]);
	ret = 0;
cleanup:
	policy_free(&pol);
	policy_errors_free(&errs);
	return ret;
}
