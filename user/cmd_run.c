// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate run: the daemon, in the foreground (systemd Type=notify). Signals
 * arrive through a signalfd and are handled in the loop, between ticks:
 * SIGHUP reloads, SIGTERM/SIGINT restore every io.max line and exit.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "commands.h"
#include "daemon.h"
#include "log.h"

#define RUN_DEFAULT_POLICY "/etc/iorate/iorate.conf"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: iorate run [--policy FILE] [--verbose]\n"
		"\n"
		"Enforce the policy: meter every I/O per cgroup x disk and move cgroup v2\n"
		"io.max every tick so that each group's rate at the disk follows its limits.\n"
		"  -p, --policy FILE  policy key file (default %s)\n"
		"  -v, --verbose      debug logging\n"
		"  -h, --help         this text\n"
		"Signals: HUP reloads the policy (a bad file is rejected, the running policy\n"
		"stays); TERM and INT restore every io.max line iorate changed, then exit.\n",
		RUN_DEFAULT_POLICY);
}

static int write_pidfile(const char *state_dir)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/iorate.pid", state_dir);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", getpid());
	fclose(f);
	return 0;
}

static void remove_pidfile(const char *state_dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/iorate.pid", state_dir);
	unlink(path);
}

static int arm_timer(int tfd, uint64_t tick_ns)
{
	struct itimerspec its = {
		.it_interval = { tick_ns / 1000000000ULL, tick_ns % 1000000000ULL },
		.it_value = { tick_ns / 1000000000ULL, tick_ns % 1000000000ULL },
	};

	return timerfd_settime(tfd, 0, &its, NULL) ? -errno : 0;
}

int do_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *policy_path = RUN_DEFAULT_POLICY;
	struct daemon d = {};
	int sfd = -1, tfd = -1, err = 0, c;
	bool running = true;
	uint64_t tick_ns;
	sigset_t mask;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			policy_path = optarg;
			break;
		case 'v':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iorate run: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	log_set_journal(getenv("JOURNAL_STREAM") != NULL);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0) {
		err = -errno;
		log_error("signalfd/timerfd: %s", strerror(-err));
		goto cleanup;
	}

	err = daemon_init(&d, policy_path);
	if (err)
		goto cleanup;
	tick_ns = d.policy.daemon.tick_ns;
	err = arm_timer(tfd, tick_ns);
	if (err)
		goto cleanup;
	write_pidfile(d.policy.daemon.state_dir);
	sd_notify(0, "READY=1");
	log_info("running (pid %d)", getpid());

	while (running) {
		struct pollfd fds[2] = { { .fd = sfd, .events = POLLIN }, { .fd = tfd, .events = POLLIN } };

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					sd_notify(0, "RELOADING=1");
					daemon_reload(&d);
					sd_notify(0, "READY=1");
					if (d.policy.daemon.tick_ns != tick_ns) {
						tick_ns = d.policy.daemon.tick_ns;
						arm_timer(tfd, tick_ns);
					}
				} else {
					log_info("signal %d: restoring io.max and exiting", si.ssi_signo);
					running = false;
				}
			}
		}
		if (running && (fds[1].revents & POLLIN)) {
			uint64_t expirations;

			if (read(tfd, &expirations, sizeof(expirations)) > 0) {
				err = daemon_tick(&d);
				if (err) {
					log_error("tick failed: %s", strerror(-err));
					err = 0;
				}
			}
		}
	}
	sd_notify(0, "STOPPING=1");

cleanup:
	if (d.policy_path) {
		daemon_restore_all(&d);
		if (d.policy.daemon.state_dir)
			remove_pidfile(d.policy.daemon.state_dir);
	}
	daemon_fini(&d);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return err ? 1 : 0;
}
