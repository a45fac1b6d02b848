// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bpf-floor: attach tools/bench/bpf_floor.bpf.c's programs and wait for
 * SIGINT or SIGTERM (tools/bench/bpf-cost reads their bpf_stats).
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "bpf_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(void)
{
	struct bpf_floor_bpf *skel;
	int err = 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = bpf_floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "bpf-floor: cannot load the programs\n");
		return 1;
	}
	if (bpf_floor_bpf__attach(skel)) {
		fprintf(stderr, "bpf-floor: cannot attach the programs\n");
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	err = 0;
cleanup:
	bpf_floor_bpf__destroy(skel);
	return err;
}
