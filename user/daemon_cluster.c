// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "cluster.h"
#include "daemon.h"
#include "daemon_cluster.h"
#include "log.h"
#include "split.h"

/* An exchange older than this counts as lost: two periods, and the
 * timeout of the second. */
#define DAEMON_CLUSTER_STALE_NS	(2 * CLUSTER_PERIOD_NS + CLUSTER_TIMEOUT_MS * 1000000ULL)

int daemon_cluster_read_password(const char *path, char *out, size_t len, char *why,
				 size_t whylen)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		err = -EINVAL;
		goto cleanup;
	}
	if (st.st_uid != 0 || (st.st_mode & 077)) {
		snprintf(why, whylen,
			 "%s: must be owned by root and readable by root only (mode 0600 or 0400; is %04o, uid %u)",
			 path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		err = -EPERM;
		goto cleanup;
	}
	n = read(fd, out, len - 1);
	if (n < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (!*out) {
		snprintf(why, whylen, "%s: empty", path);
		err = -EINVAL;
	}
cleanup:
	close(fd);
	return err;
}

static bool any_cluster_group(const struct policy *p)
{
	for (int i = 0; i < p->nr_groups; i++)
		if (p->groups[i].share == POLICY_SHARE_CLUSTER)
			return true;
	return false;
}

void daemon_cluster_next_free(struct daemon_cluster_next *next)
{
	cluster_close(next->client);
	if (next->with) {
		explicit_bzero(next->with, strlen(next->with));
		free(next->with);
	}
	memset(next, 0, sizeof(*next));
}

int daemon_cluster_prepare(struct daemon *d, const struct policy *p, struct daemon_cluster_next *next)
{
	struct daemon_cluster *dc = &d->cluster;
	const struct policy_daemon *pd = &p->daemon;
	char self[CLUSTER_MAX_HOST_NAME + 1], password[512] = "", why[512];
	struct cluster_url url;
	const char *bad;
	int err;

	memset(next, 0, sizeof(*next));
	if (!any_cluster_group(p)) {
		next->change = dc->client != NULL;	/* to none */
		return 0;
	}
	if (pd->cluster_host) {
		snprintf(self, sizeof(self), "%s", pd->cluster_host);
	} else if (gethostname(self, sizeof(self))) {
		log_error("%s:%d: cluster: cannot read this host's name (%s): set cluster-host",
			  p->path, pd->cluster_line, strerror(errno));
		return -EINVAL;
	}
	self[sizeof(self) - 1] = '\0';
	bad = cluster_url_parse(pd->cluster, &url);
	if (bad) {	/* the parser checked it: only a bug gets here */
		log_error("%s:%d: cluster: %s", p->path, pd->cluster_line, bad);
		return -EINVAL;
	}
	if (pd->cluster_password_file) {
		err = daemon_cluster_read_password(pd->cluster_password_file, password,
						   sizeof(password), why, sizeof(why));
		if (err) {
			log_error("%s:%d: cluster-password-file: %s", p->path,
				  pd->cluster_password_line, why);
			return err;
		}
	}
	/* the password itself too: a rotated one takes a new connection */
	if (asprintf(&next->with, "%s %s %s", pd->cluster, self, password) < 0) {
		next->with = NULL;
		explicit_bzero(password, sizeof(password));
		return -ENOMEM;
	}
	if (dc->client && !strcmp(next->with, dc->opened_with)) {
		explicit_bzero(password, sizeof(password));
		daemon_cluster_next_free(next);
		return 0;	/* the same Redis, name and password */
	}
	err = cluster_open(&next->client, &url, self, *password ? password : NULL, why, sizeof(why));
	explicit_bzero(password, sizeof(password));
	if (err) {
		log_error("%s:%d: cluster: %s", p->path, pd->cluster_line, why);
		daemon_cluster_next_free(next);
		return err;
	}
	next->change = true;
	snprintf(next->url, sizeof(next->url), "%s", pd->cluster);
	snprintf(next->host, sizeof(next->host), "%s", self);
	return 0;
}

void daemon_cluster_commit(struct daemon *d, struct daemon_cluster_next *next)
{
	struct daemon_cluster *dc = &d->cluster;
	uint64_t now = clock_now_ns();

	if (!next->change)
		return;
	if (!next->client) {
		log_info("cluster: no group has share = cluster any more; leaving %s", dc->url);
		daemon_cluster_free(dc);
		return;
	}
	/* Another Redis (or name, or password) starts with only the hosts
	 * that reached it: as after a restart, no share rises for a TTL. */
	for (int i = 0; dc->client && i < dc->nr_groups; i++)
		cluster_view_rejoin(&dc->groups[i].view, now);
	cluster_close(dc->client);
	if (dc->opened_with) {
		explicit_bzero(dc->opened_with, strlen(dc->opened_with));
		free(dc->opened_with);
	}
	dc->client = next->client;
	dc->opened_with = next->with;
	snprintf(dc->url, sizeof(dc->url), "%s", next->url);
	snprintf(dc->host, sizeof(dc->host), "%s", next->host);
	memset(next, 0, sizeof(*next));
	log_info("cluster: sharing through %s as host '%s'", dc->url, dc->host);
}

static struct daemon_cluster_group *group_view(struct daemon_cluster *dc, const struct policy_group *g)
{
	struct daemon_cluster_group *n;

	for (int i = 0; i < dc->nr_groups; i++)
		if (!strcmp(dc->groups[i].name, g->name))
			return &dc->groups[i];
	n = realloc(dc->groups, (dc->nr_groups + 1) * sizeof(*n));
	if (!n)
		return NULL;
	dc->groups = n;
	n = &dc->groups[dc->nr_groups++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", g->name);
	cluster_view_init(&n->view, g);
	return n;
}

/* Take a fresh exchange, or note that none came: the view's mode. */
static void update_view(struct daemon_cluster *dc, const struct policy_group *g,
			struct daemon_cluster_group *cg, uint64_t now)
{
	enum cluster_mode was = cg->view.mode;
	struct cluster_stats st;
	struct cluster_sums sums;
	uint64_t at_ns;

	/* signed: the thread may store a result after now was read */
	if (!cluster_result(dc->client, g->name, &sums, &at_ns) && at_ns != cg->result_ns &&
	    (int64_t)(now - at_ns) < (int64_t)DAEMON_CLUSTER_STALE_NS) {
		double share[POLICY_NR_LIMITS];

		cg->result_ns = at_ns;
		cluster_share_from_sums(g, &sums, share);
		for (int id = 0; log_debug_enabled() && id < POLICY_NR_LIMITS; id++)
			if (g->limits[id].avg)
				log_debug("cluster: group %s: %s %.1f -> %.1f (%d hosts, %d pressed, %.1f claimed, this one %.1f)",
					  g->name, policy_limit_name(id), cg->view.share[id], share[id],
					  sums.hosts, sums.pressed[id], sums.claimed[id], sums.own[id]);
		memcpy(cg->held[cg->held_next], share, sizeof(share));
		cg->held_next = (cg->held_next + 1) % DAEMON_CLUSTER_HELD;
		cluster_view_shared(&cg->view, share, sums.hosts, at_ns);
		if (was != CLUSTER_SHARED)
			log_info("cluster: group %s: shared among %d host(s) through %s", g->name,
				 sums.hosts, dc->url);
		return;
	}
	if (cg->view.mode == CLUSTER_SHARED &&
	    (int64_t)(now - cg->view.ok_ns) < (int64_t)DAEMON_CLUSTER_STALE_NS)
		return;		/* between two exchanges */
	if (!cluster_view_lost(&cg->view, g, now))
		return;
	cluster_get_stats(dc->client, &st);
	if (cg->view.mode == CLUSTER_HOLDING)
		log_warn("cluster: group %s: %s does not answer (%s): holding this host's last share for %.0f s",
			 g->name, dc->url, st.last_error[0] ? st.last_error : "no exchange",
			 CLUSTER_HOLD_NS / 1e9);
	else if (cg->view.mode == CLUSTER_FALLBACK)
		log_warn("cluster: group %s: %s lost (%s): falling back to %s of each limit",
			 g->name, dc->url, st.last_error[0] ? st.last_error : "no exchange",
			 g->cluster_fallback > 0 ? "cluster-fallback" : "an even share among the hosts last seen");
}

/*
 * What this host claims. Pressed when io.max held one of its members back
 * in the limit's direction: judged by its use against its share alone, a
 * host at a share of 20 IOPS, split by its mix into lines of 10 and 10
 * with its writer held at 10, used half its share, looked idle, and stayed
 * at 10 w/s while the others split the rest (060, 6.12 VM). Else by its
 * use against the least share of the last second of exchanges: a share that
 * just rose is not what the use was measured under (rates are smoothed over
 * about 0.2 s), and against it a host pressed at its old share looked idle
 * and lost the share it had just been given.
 */
static void claims_of(struct daemon *d, const int *idx, int n, const struct policy_group *g,
		      const struct daemon_cluster_group *cg, const double use[POLICY_NR_LIMITS],
		      double claim[POLICY_NR_LIMITS])
{
	double held[POLICY_NR_LIMITS] = {};
	bool held_back[POLICY_NR_LIMITS] = {};

	if (cg->view.mode != CLUSTER_JOINING) {	/* joining, it holds the fallback */
		for (int id = 0; id < POLICY_NR_LIMITS; id++) {
			held[id] = cg->view.share[id];
			for (int i = 0; i < DAEMON_CLUSTER_HELD; i++)
				if (cg->held[i][id] > 0 && cg->held[i][id] < held[id])
					held[id] = cg->held[i][id];
		}
	}
	for (int j = 0; j < n; j++)
		for (int id = 0; id < POLICY_NR_LIMITS; id++)
			held_back[id] |= ctl_binding_held_back(&d->bindings[idx[j]].ctl, id);
	cluster_claims(g, use, held, held_back, cg->view.hosts, claim);
}

/* This host's share of one limit among the group's bindings here (one per
 * disk): all of it for one, else divided by their use, as a pool's
 * members are (split.h). */
static void scale_bindings(struct daemon *d, const int *idx, int n, const struct policy_group *g,
			   const struct cluster_view *v)
{
	if (!n)
		return;
	{
		double scale[n][POLICY_NR_LIMITS];

		for (int id = 0; id < POLICY_NR_LIMITS; id++) {
			double limit = g->limits[id].avg, frac;
			struct split_consumer c[n];

			for (int j = 0; j < n; j++)
				scale[j][id] = 1;
			if (!limit)
				continue;
			frac = v->share[id] / limit;
			if (frac > 1)
				frac = 1;
			if (n == 1) {
				scale[0][id] = frac;
				continue;
			}
			for (int j = 0; j < n; j++) {
				const struct ctl_binding *b = &d->bindings[idx[j]].ctl;

				c[j].demand = ctl_binding_use(b, id);
				c[j].alloc = b->scale[id] * limit;
			}
			split_allowance(frac * limit, c, n);
			for (int j = 0; j < n; j++)
				scale[j][id] = c[j].alloc / limit;
		}
		for (int j = 0; j < n; j++)
			if (ctl_binding_set_scale(&d->bindings[idx[j]].ctl, scale[j]))
				d->cluster.share_fell = true;
	}
}

static bool grow(int **v, int *cap, int n)
{
	int *p;

	if (n <= *cap)
		return true;
	p = realloc(*v, n * sizeof(*p));
	if (!p)
		return false;
	*v = p;
	*cap = n;
	return true;
}

/* File every binding under its group (a counting sort): one walk. Each
 * group's count lands two places up, the sums make group_at[g + 1] its
 * start, and filling moves that start to its end: group_at[g] is then
 * group g's start and group_at[g + 1] its end, with no cursor array. */
static int index_bindings(struct daemon_cluster *dc, const struct daemon *d)
{
	int nr = d->policy.nr_groups;

	if (!grow(&dc->group_at, &dc->cap_group_at, nr + 2) ||
	    !grow(&dc->by_group, &dc->cap_by_group, d->nr_bindings ? d->nr_bindings : 1))
		return -ENOMEM;
	memset(dc->group_at, 0, (nr + 2) * sizeof(*dc->group_at));
	for (int i = 0; i < d->nr_bindings; i++)
		if (d->bindings[i].group >= 0 && d->bindings[i].group < nr)
			dc->group_at[d->bindings[i].group + 2]++;
	for (int gi = 2; gi < nr + 2; gi++)
		dc->group_at[gi] += dc->group_at[gi - 1];
	for (int i = 0; i < d->nr_bindings; i++)
		if (d->bindings[i].group >= 0 && d->bindings[i].group < nr)
			dc->by_group[dc->group_at[d->bindings[i].group + 1]++] = i;
	return 0;
}

void daemon_cluster_tick(struct daemon *d)
{
	struct daemon_cluster *dc = &d->cluster;
	uint64_t now = clock_now_ns();
	int j = 0;

	if (!dc->client)
		return;
	/* Without the index no share moves this tick: the bindings keep
	 * their scale, and the exchange goes on with the last claims. */
	if (index_bindings(dc, d)) {
		log_warn("cluster: out of memory filing the bindings by group; shares held this tick");
		return;
	}
	for (int i = 0; i < dc->nr_groups; i++)
		dc->groups[i].seen = false;
	for (int gi = 0; gi < d->policy.nr_groups; gi++) {
		const struct policy_group *g = &d->policy.groups[gi];
		struct daemon_cluster_group *cg;
		double use[POLICY_NR_LIMITS] = {}, claim[POLICY_NR_LIMITS];
		const int *idx = &dc->by_group[dc->group_at[gi]];
		int n = dc->group_at[gi + 1] - dc->group_at[gi];

		if (g->share != POLICY_SHARE_CLUSTER)
			continue;
		cg = group_view(dc, g);
		if (!cg)
			continue;
		cg->seen = true;
		update_view(dc, g, cg, now);
		scale_bindings(d, idx, n, g, &cg->view);
		for (int k = 0; k < n; k++)
			for (int id = 0; id < POLICY_NR_LIMITS; id++)
				use[id] += ctl_binding_use(&d->bindings[idx[k]].ctl, id);
		claims_of(d, idx, n, g, cg, use, claim);
		cluster_publish(dc->client, g->name, claim);
	}
	/* groups a reload removed, or made other than cluster */
	for (int i = 0; i < dc->nr_groups; i++) {
		if (dc->groups[i].seen)
			dc->groups[j++] = dc->groups[i];
		else
			cluster_forget(dc->client, dc->groups[i].name);
	}
	dc->nr_groups = j;
}

void daemon_cluster_free(struct daemon_cluster *dc)
{
	cluster_close(dc->client);
	if (dc->opened_with) {
		explicit_bzero(dc->opened_with, strlen(dc->opened_with));
		free(dc->opened_with);
	}
	free(dc->groups);
	free(dc->by_group);
	free(dc->group_at);
	memset(dc, 0, sizeof(*dc));
}

void daemon_cluster_status(struct daemon *d, struct status_snapshot *s)
{
	struct daemon_cluster *dc = &d->cluster;
	struct status_cluster *sc = &s->cluster;
	struct cluster_stats st;

	if (!dc->client)
		return;
	cluster_get_stats(dc->client, &st);
	sc->on = true;
	snprintf(sc->url, sizeof(sc->url), "%s", dc->url);
	snprintf(sc->host, sizeof(sc->host), "%s", dc->host);
	sc->up = st.up;
	sc->exchanges = st.exchanges;
	sc->failures = st.failures;
	sc->connects = st.connects;
	sc->calls = st.calls;
	sc->bytes_sent = st.bytes_sent;
	sc->bytes_received = st.bytes_received;
	snprintf(sc->last_error, sizeof(sc->last_error), "%s", st.last_error);
	for (int g = 0; g < s->nr_groups; g++) {
		struct status_group *sg = &s->groups[g];

		for (int i = 0; i < dc->nr_groups; i++) {
			if (strcmp(dc->groups[i].name, sg->name))
				continue;
			sg->cluster_mode = cluster_mode_name(dc->groups[i].view.mode);
			sg->cluster_hosts = dc->groups[i].view.hosts;
			memcpy(sg->cluster_share, dc->groups[i].view.share, sizeof(sg->cluster_share));
		}
	}
}
