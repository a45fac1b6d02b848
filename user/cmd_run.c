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
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include <json-c/json.h>
#include "clock.h"
#include "commands.h"
#include "ctlsock.h"
#include "daemon.h"
#include "daemon_freeze.h"
#include "daemon_status.h"
#include "log.h"
#include "metrics.h"

#define RUN_DEFAULT_POLICY "/etc/iorate/iorate.conf"
/* /metrics is rendered at most this often: a scrape every few seconds
 * needs no fresher text, and the tick stays light. */
#define RUN_METRICS_EVERY_NS	1000000000ULL
/* poll set: signalfd, timerfd, BPF events, libvirt's status files, the
 * thaw timer, then the control socket's */
#define RUN_NR_FIXED_FDS	5

/* The loop's state beside the daemon's: its timer, the rate window and
 * the two exporters (control socket, /metrics). */
struct run_ctx {
	struct daemon d;
	struct daemon_status_window win;
	struct ctlsock sock;
	struct metrics *metrics;
	char *metrics_addr;	/* what metrics listens on, to see a reload change it */
	uint64_t metrics_ns;	/* when the text was last rendered */
	int tfd;
	uint64_t tick_ns;
};

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
		"stays); TERM and INT restore every io.max line iorate changed, then exit.\n"
		"It answers `iorate status` and `iorate reload` on the policy's socket and\n"
		"serves Prometheus metrics on its metrics address (127.0.0.1:9477 unless set).\n",
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

static bool run_same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Start /metrics where the policy says, or stop it (metrics = off). A
 * failure leaves enforcement running: limits matter more than a graph. */
static void run_metrics_apply(struct run_ctx *r)
{
	const char *want = r->d.policy.daemon.metrics;
	int err;

	if (r->metrics && run_same_str(want, r->metrics_addr))
		return;
	metrics_stop(r->metrics);
	r->metrics = NULL;
	free(r->metrics_addr);
	r->metrics_addr = NULL;
	if (!want)
		return;
	err = metrics_start(want, &r->metrics);
	if (err) {
		log_error("metrics on %s: %s; serving no /metrics", want, strerror(-err));
		return;
	}
	r->metrics_addr = strdup(want);
	r->metrics_ns = 0;
	log_info("metrics on http://%s/metrics", want);
}

static void run_metrics_update(struct run_ctx *r, bool force)
{
	struct status_snapshot snap;
	uint64_t now = clock_now_ns();

	if (!r->metrics || (!force && now - r->metrics_ns < RUN_METRICS_EVERY_NS))
		return;
	if (daemon_status_snapshot(&r->d, &r->win, &snap))
		return;
	metrics_publish(r->metrics, metrics_render(&snap));
	status_snapshot_free(&snap);
	r->metrics_ns = now;
}

/* SIGHUP and `iorate reload` alike. */
static int run_reload(struct run_ctx *r)
{
	int err;

	sd_notify(0, "RELOADING=1");
	err = daemon_reload(&r->d);
	sd_notify(0, "READY=1");
	if (err)
		return err;
	if (r->d.policy.daemon.tick_ns != r->tick_ns) {
		r->tick_ns = r->d.policy.daemon.tick_ns;
		arm_timer(r->tfd, r->tick_ns);
	}
	if (r->sock.path && !run_same_str(r->sock.path, r->d.policy.daemon.socket_path))
		log_warn("socket: the control socket stays at %s until the daemon restarts",
			 r->sock.path);
	run_metrics_apply(r);
	run_metrics_update(r, true);
	return 0;
}

/* The file:line: key: message lines a reload would log, for the client
 * that asked for it (daemon_reload logs them; this parses once more). */
static struct json_object *run_policy_errors(const char *path)
{
	struct json_object *arr = json_object_new_array();
	struct policy_errors errs = {};
	struct policy p = {};
	char why[512];
	int err;

	if (policy_check_file_mode(path, why, sizeof(why))) {
		json_object_array_add(arr, json_object_new_string(why));
		return arr;
	}
	err = policy_parse_file(path, &p, &errs);
	for (int i = 0; i < errs.nr; i++)
		json_object_array_add(arr, json_object_new_string(errs.lines[i]));
	if (err && !errs.nr) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(-err));
		json_object_array_add(arr, json_object_new_string(why));
	}
	policy_errors_free(&errs);
	policy_free(&p);
	return arr;
}

static char *run_json_string(struct json_object *o, int flags)
{
	char *s = strdup(json_object_to_json_string_ext(o, flags));

	json_object_put(o);
	return s;
}

static char *run_answer_reload(struct run_ctx *r, const struct ctlsock_peer *peer)
{
	struct json_object *o, *errors;
	int err;

	/* status is for whoever may open the socket (socket-group); changing
	 * what the daemon enforces is for root, as SIGHUP is */
	if (peer->uid != 0 && peer->uid != geteuid())
		return ctlsock_error_json("reload: permission denied (root only)");
	log_info("reload asked on the control socket (pid %d, uid %d)", (int)peer->pid, (int)peer->uid);
	errors = run_policy_errors(r->d.policy_path);
	err = run_reload(r);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(!err));
	json_object_object_add(o, "policy", json_object_new_string(r->d.policy_path));
	if (err) {
		json_object_object_add(o, "error",
				       json_object_new_string("reload rejected; the running policy stays"));
		json_object_object_add(o, "errors", errors);
	} else {
		json_object_put(errors);
		json_object_object_add(o, "groups", json_object_new_int(r->d.policy.nr_groups));
	}
	return run_json_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char *run_answer(void *ctx, enum ctlsock_request req, const struct ctlsock_peer *peer)
{
	struct run_ctx *r = ctx;
	struct status_snapshot snap;
	struct json_object *o;

	if (req == CTLSOCK_REQ_RELOAD)
		return run_answer_reload(r, peer);
	if (daemon_status_snapshot(&r->d, &r->win, &snap))
		return ctlsock_error_json("status: out of memory");
	o = status_json(&snap);

	status_snapshot_free(&snap);
	return run_json_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * The control socket, opened before daemon_init: a live daemon already on
 * it means a second one would fight the first over io.max, and daemon_init
 * would already adopt the first one's state file (and the cleanup restore
 * its lines). So the path comes from a parse of its own; a policy that does
 * not parse is left for daemon_init to report.
 */
static int run_open_socket(struct run_ctx *r, const char *policy_path)
{
	struct policy_errors errs = {};
	struct policy p = {};
	int err;

	err = policy_parse_file(policy_path, &p, &errs);
	policy_errors_free(&errs);
	if (err)
		goto cleanup;
	err = ctlsock_open(&r->sock, p.daemon.socket_path, p.daemon.socket_group, run_answer, r);
	if (err == -EADDRINUSE) {
		log_error("%s: another iorate daemon answers there; not starting a second one",
			  p.daemon.socket_path);
		goto cleanup;
	}
	if (err)
		log_error("control socket %s: %s; iorate status and reload will not work",
			  p.daemon.socket_path, strerror(-err));
	err = 0;

cleanup:
	policy_free(&p);
	return err == -EADDRINUSE ? err : 0;
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
	struct run_ctx r = { .tfd = -1 };
	int sfd = -1, err = 0, c;
	bool running = true;
	sigset_t mask;

	ctlsock_init(&r.sock);
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
	daemon_status_window_init(&r.win);
	/* A peer gone (Redis killed, a status client that hung up) is an
	 * EPIPE to handle, not a signal that ends the daemon: hiredis writes
	 * with write(), and systemd's IgnoreSIGPIPE does not cover a daemon
	 * started from a shell. */
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (sfd < 0 || r.tfd < 0) {
		err = -errno;
		log_error("signalfd/timerfd: %s", strerror(-err));
		goto cleanup;
	}

	err = run_open_socket(&r, policy_path);
	if (err)
		goto cleanup;
	err = daemon_init(&r.d, policy_path);
	if (err)
		goto cleanup;
	r.tick_ns = r.d.policy.daemon.tick_ns;
	err = arm_timer(r.tfd, r.tick_ns);
	if (err)
		goto cleanup;
	run_metrics_apply(&r);
	run_metrics_update(&r, true);
	write_pidfile(r.d.policy.daemon.state_dir);
	sd_notify(0, "READY=1");
	log_info("running (pid %d)", getpid());

	while (running) {
		/* signals, tick, BPF lifecycle events (-1: none, poll skips
		 * it), then the control socket's listener and clients */
		struct pollfd fds[RUN_NR_FIXED_FDS + CTLSOCK_NR_POLLFDS] = {
			{ .fd = sfd, .events = POLLIN }, { .fd = r.tfd, .events = POLLIN },
			{ .fd = daemon_events_fd(&r.d), .events = POLLIN },
			{ .fd = daemon_libvirt_fd(&r.d), .events = POLLIN },
			{ .fd = daemon_thaw_fd(&r.d), .events = POLLIN },
		};
		int nsock = ctlsock_pollfds(&r.sock, fds + RUN_NR_FIXED_FDS);

		/* a deadline of a silent client wakes the loop to drop it */
		if (poll(fds, RUN_NR_FIXED_FDS + nsock, ctlsock_timeout_ms(&r.sock)) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					run_reload(&r);
				} else {
					log_info("signal %d: restoring io.max and exiting", si.ssi_signo);
					running = false;
				}
			}
		}
		/* a new VM's cgroup gets its limits now, not at the next tick */
		if (running && (fds[2].revents & POLLIN))
			daemon_handle_events(&r.d);
		/* a domain's limits changed (virsh blkdeviotune), it started
		 * or it stopped: in force at the next tick */
		if (running && (fds[3].revents & POLLIN))
			daemon_handle_libvirt(&r.d);
		/* a cgroup frozen to repair its io.max: thawed on time, not
		 * at the next tick (which may be seconds away); on 6.1 a
		 * lowering written at its moment in blk-throttle's slice */
		if ((fds[4].revents & POLLIN) && running)
			daemon_handle_timer(&r.d);
		else if (fds[4].revents & POLLIN)
			daemon_handle_thaw(&r.d);
		if (running && (fds[1].revents & POLLIN)) {
			uint64_t expirations;

			if (read(r.tfd, &expirations, sizeof(expirations)) > 0) {
				err = daemon_tick(&r.d);
				if (err) {
					log_error("tick failed: %s", strerror(-err));
					err = 0;
				}
				daemon_status_window_update(&r.win, &r.d);
				run_metrics_update(&r, metrics_wanted(r.metrics));
			}
		}
		/* last: a reload asked here sees the tick above, and the
		 * socket's fds are only used by the socket's own code */
		if (running)
			ctlsock_dispatch(&r.sock, fds + RUN_NR_FIXED_FDS, nsock);
	}
	sd_notify(0, "STOPPING=1");

cleanup:
	ctlsock_close(&r.sock);
	metrics_stop(r.metrics);
	free(r.metrics_addr);
	if (r.d.policy_path) {
		daemon_restore_all(&r.d);
		if (r.d.policy.daemon.state_dir)
			remove_pidfile(r.d.policy.daemon.state_dir);
	}
	daemon_fini(&r.d);
	daemon_status_window_fini(&r.win);
	if (sfd >= 0)
		close(sfd);
	if (r.tfd >= 0)
		close(r.tfd);
	return err ? 1 : 0;
}
