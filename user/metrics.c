// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /metrics: rendering (pure) and serving (libmicrohttpd, own thread).
 * Series are labelled by group, member cgroup and disk; a member in two
 * groups appears under both, as it is charged to both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "log.h"
#include "metrics.h"

/* HTTP clients served at once, and how long an idle one may stay. */
#define METRICS_MAX_CONNECTIONS	16
#define METRICS_CONN_TIMEOUT_S	10

/* How long a scrape waits for the daemon's next tick to render fresh
 * text (the tick is at most 100 ms by default; 10 s is the longest). */
#define METRICS_FRESH_WAIT_MS	250

struct metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	pthread_cond_t published;	/* signalled with each new text */
	char *text;		/* the latest published text, under lock */
	uint64_t generation;	/* texts published so far, under lock */
	bool wanted;		/* a scrape waits for a fresh text, under lock */
};

/* ---- rendering ---- */

void metrics_write_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '\\':
			fputs("\\\\", f);
			break;
		case '"':
			fputs("\\\"", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		default:
			fputc(*v, f);
		}
	}
}

static void metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* label pairs: name, value, name, value, ..., NULL */
static void metrics_labels(FILE *f, const char *first, ...)
{
	va_list ap;
	const char *name = first;
	bool sep = false;

	fputc('{', f);
	va_start(ap, first);
	while (name) {
		const char *value = va_arg(ap, const char *);

		fprintf(f, "%s%s=\"", sep ? "," : "", name);
		metrics_write_label_value(f, value);
		fputc('"', f);
		sep = true;
		name = va_arg(ap, const char *);
	}
	va_end(ap);
	fputc('}', f);
}

/* Go's float formatting as Prometheus reads it; integers print exactly. */
static void metrics_value(FILE *f, double v)
{
	if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else if (isnan(v))
		fputs(" NaN\n", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, " %.0f\n", v);
	else
		fprintf(f, " %.10g\n", v);
}

static void metrics_u64(FILE *f, uint64_t v)
{
	fprintf(f, " %llu\n", (unsigned long long)v);
}

/* A family of one unlabelled counter. */
static void metrics_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	metrics_family(f, name, "counter", help);
	fputs(name, f);
	metrics_u64(f, v);
}

static const char *const metrics_dirs[IORATE_NR_DIRS] = { "read", "write", "discard", "flush" };
static const char *const metrics_levels[IORATE_NR_LEVELS] = { "bio", "device" };

static void metrics_io_totals(FILE *f, const struct status_snapshot *s, bool bytes)
{
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];

		for (int m = 0; m < sg->nr_members; m++) {
			const struct status_member *sm = &sg->members[m];

			for (int l = 0; l < IORATE_NR_LEVELS; l++)
				for (int d = 0; d < IORATE_NR_DIRS; d++) {
					fputs(bytes ? "iorate_io_bytes_total" : "iorate_io_operations_total", f);
					metrics_labels(f, "group", sg->name, "member", sm->cgroup,
						       "device", sm->device, "direction", metrics_dirs[d],
						       "level", metrics_levels[l], NULL);
					metrics_u64(f, bytes ? sm->bytes_total[l][d] : sm->ops_total[l][d]);
				}
		}
	}
}

static void metrics_writeback_totals(FILE *f, const struct status_snapshot *s, bool bytes)
{
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];

		for (int m = 0; m < sg->nr_members; m++) {
			const struct status_member *sm = &sg->members[m];

			fputs(bytes ? "iorate_writeback_bytes_total" : "iorate_writeback_operations_total", f);
			metrics_labels(f, "group", sg->name, "member", sm->cgroup, "device", sm->device, NULL);
			metrics_u64(f, bytes ? sm->writeback_bytes_total : sm->writeback_ops_total);
		}
	}
}

static void metrics_split_totals(FILE *f, const struct status_snapshot *s)
{
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];

		for (int m = 0; m < sg->nr_members; m++) {
			const struct status_member *sm = &sg->members[m];

			for (int d = 0; d < 2; d++) {
				fputs("iorate_split_pieces_total", f);
				metrics_labels(f, "group", sg->name, "member", sm->cgroup,
					       "device", sm->device, "direction", metrics_dirs[d], NULL);
				metrics_u64(f, sm->split_pieces_total[d]);
			}
		}
	}
}

/* share = cluster (docs/cluster.md): the Redis link and each group's share. */
static void metrics_cluster(FILE *f, const struct status_snapshot *s)
{
	const struct status_cluster *c = &s->cluster;

	metrics_family(f, "iorate_cluster_up", "gauge",
		       "1 while the last exchange with the cluster's Redis came back in time.");
	fputs("iorate_cluster_up", f);
	metrics_u64(f, c->up);
	metrics_counter(f, "iorate_cluster_exchanges_total",
			"Round trips to Redis that came back (one every 250 ms).", c->exchanges);
	metrics_counter(f, "iorate_cluster_failures_total",
			"Round trips to Redis that failed or found no connection.", c->failures);
	metrics_counter(f, "iorate_cluster_calls_total", "Redis commands sent.", c->calls);
	metrics_family(f, "iorate_cluster_bytes_total", "counter",
		       "Bytes of Redis protocol sent and received.");
	fputs("iorate_cluster_bytes_total{direction=\"sent\"}", f);
	metrics_u64(f, c->bytes_sent);
	fputs("iorate_cluster_bytes_total{direction=\"received\"}", f);
	metrics_u64(f, c->bytes_received);
	metrics_family(f, "iorate_cluster_fallback", "gauge",
		       "1 while a cluster group runs on its fallback share (Redis lost, or not reached yet).");
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];

		if (!sg->cluster_mode)
			continue;
		fputs("iorate_cluster_fallback", f);
		metrics_labels(f, "group", sg->name, "mode", sg->cluster_mode, NULL);
		metrics_u64(f, strcmp(sg->cluster_mode, "shared") && strcmp(sg->cluster_mode, "holding"));
	}
	metrics_family(f, "iorate_cluster_hosts", "gauge",
		       "Hosts in a cluster group's last exchange, this one included.");
	for (int g = 0; g < s->nr_groups; g++) {
		if (!s->groups[g].cluster_mode)
			continue;
		fputs("iorate_cluster_hosts", f);
		metrics_labels(f, "group", s->groups[g].name, NULL);
		metrics_u64(f, s->groups[g].cluster_hosts);
	}
	metrics_family(f, "iorate_cluster_share", "gauge",
		       "This host's share of a cluster group's limit, in the limit's units per second.");
	for (int g = 0; g < s->nr_groups; g++) {
		const struct status_group *sg = &s->groups[g];

		for (int id = 0; sg->cluster_mode && id < POLICY_NR_LIMITS; id++) {
			if (!sg->limits[id].avg)
				continue;
			fputs("iorate_cluster_share", f);
			metrics_labels(f, "group", sg->name, "limit", status_limit_key(id), NULL);
			metrics_value(f, round(sg->cluster_share[id] * 1000) / 1000);
		}
	}
}

char *metrics_render(const struct status_snapshot *s)
{
	static const char *const iomax_fields[IOMAX_NR_FIELDS] = { "rbps", "wbps", "riops", "wiops" };
	static const char *const kinds[2] = { "bps", "iops" };
	static const char *const subs[3] = { "total", "read", "write" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	metrics_family(f, "iorate_io_operations_total", "counter",
		       "I/O operations of a member cgroup (and its descendants) on a disk, "
		       "as counted at a level: device (requests issued to the driver) or bio.");
	metrics_io_totals(f, s, false);
	metrics_family(f, "iorate_io_bytes_total", "counter",
		       "Bytes of I/O of a member cgroup (and its descendants) on a disk, at a level.");
	metrics_io_totals(f, s, true);
	metrics_family(f, "iorate_writeback_operations_total", "counter",
		       "Of a member's device-level writes on a disk, those the kernel's flushers "
		       "issued on their own (no REQ_SYNC: not an fsync's, not O_DIRECT).");
	metrics_writeback_totals(f, s, false);
	metrics_family(f, "iorate_writeback_bytes_total", "counter",
		       "Bytes of those writeback writes.");
	metrics_writeback_totals(f, s, true);
	metrics_family(f, "iorate_split_pieces_total", "counter",
		       "The extra pieces the block layer split a member's bios into on a disk "
		       "(counted in the bio level too: a bio split in 4 is 1 bio and 3 pieces).");
	metrics_split_totals(f, s);

	metrics_family(f, "iorate_limit", "gauge",
		       "A group's limit (operations or bytes per second) from the policy.");
	for (int g = 0; g < s->nr_groups; g++)
		for (int id = 0; id < POLICY_NR_LIMITS; id++) {
			if (!s->groups[g].limits[id].avg)
				continue;
			fputs("iorate_limit", f);
			_Static_assert(POLICY_IOPS_TOTAL == 3 && POLICY_NR_LIMITS == 6,
				      "kinds[id / 3], subs[id % 3]");
			metrics_labels(f, "group", s->groups[g].name, "kind", kinds[id / 3],
				       "direction", subs[id % 3], NULL);
			metrics_u64(f, s->groups[g].limits[id].avg);
		}

	/* a member in several groups has one io.max line: print it once */
	metrics_family(f, "iorate_iomax", "gauge",
		       "The cgroup io.max value iorate holds in force for a member on a disk "
		       "(+Inf: max).");
	for (int g = 0; g < s->nr_groups; g++)
		for (int m = 0; m < s->groups[g].nr_members; m++) {
			const struct status_member *sm = &s->groups[g].members[m];
			bool dup = false;

			if (!sm->has_iomax)
				continue;
			for (int pg = 0; pg <= g && !dup; pg++)
				for (int pm = 0; pm < (pg == g ? m : s->groups[pg].nr_members); pm++) {
					const struct status_member *o = &s->groups[pg].members[pm];

					if (o->has_iomax && o->dev == sm->dev && !strcmp(o->cgroup, sm->cgroup)) {
						dup = true;
						break;
					}
				}
			if (dup)
				continue;
			for (int fi = 0; fi < IOMAX_NR_FIELDS; fi++) {
				fputs("iorate_iomax", f);
				metrics_labels(f, "member", sm->cgroup, "device", sm->device,
					       "field", iomax_fields[fi], NULL);
				metrics_value(f, sm->iomax.v[fi] == IOMAX_UNLIMITED ? INFINITY :
					      (double)sm->iomax.v[fi]);
			}
		}

	metrics_family(f, "iorate_bucket_fill", "gauge",
		       "Level of a limit's leaky bucket as a fraction of its size "
		       "(above 1: debt being repaid).");
	for (int g = 0; g < s->nr_groups; g++)
		for (int m = 0; m < s->groups[g].nr_members; m++) {
			const struct status_member *sm = &s->groups[g].members[m];

			for (int id = 0; id < POLICY_NR_LIMITS; id++) {
				if (sm->fill[id] < 0)
					continue;
				fputs("iorate_bucket_fill", f);
				metrics_labels(f, "group", s->groups[g].name, "member", sm->cgroup,
					       "device", sm->device, "limit", policy_limit_name(id), NULL);
				metrics_value(f, sm->fill[id]);
			}
		}

	metrics_counter(f, "iorate_ticks_total", "Control loop ticks since the daemon started.", s->ticks);
	metrics_counter(f, "iorate_iomax_writes_total", "Writes of io.max lines.", s->iomax_writes);
	metrics_counter(f, "iorate_iomax_errors_total",
			"io.max lines that could not be read or written.", s->iomax_errors);
	metrics_counter(f, "iorate_bypass_repairs_total",
			"Brief cgroup freezes to make blk-throttle restart a slice it lost.",
			s->bypass_repairs);
	metrics_counter(f, "iorate_events_total",
			"cgroup and process events applied from the BPF ring.", s->events_handled);
	metrics_counter(f, "iorate_events_lost_total",
			"Events the BPF ring had no room for (each makes the daemon rescan).",
			s->events_lost);
	metrics_counter(f, "iorate_meter_runs_missed_total",
			"I/Os the meter did not count: the kernel skipped a counting program "
			"that fired inside its own run on that CPU.",
			s->runs_missed);
	metrics_family(f, "iorate_meter_entries", "gauge",
		       "(cgroup, disk) pairs the BPF meter holds, of IORATE_USAGE_MAP_ENTRIES.");
	fputs("iorate_meter_entries", f);
	metrics_u64(f, s->meter_entries);
	metrics_counter(f, "iorate_meter_entries_freed_total",
			"Meter entries of removed cgroups freed (at rmdir, or by the rescan's sweep).",
			s->meter_freed);
	metrics_family(f, "iorate_reaction_seconds", "gauge",
		       "From a cgroup's mkdir to its io.max written: last batch and worst since start.");
	fputs("iorate_reaction_seconds{stat=\"last\"}", f);
	metrics_value(f, s->reaction_last_ms / 1000);
	fputs("iorate_reaction_seconds{stat=\"max\"}", f);
	metrics_value(f, s->reaction_max_ms / 1000);
	metrics_family(f, "iorate_bucket_sets", "gauge",
		       "QEMU bucket sets held in the BPF array (one per member and pool per disk).");
	fputs("iorate_bucket_sets", f);
	metrics_u64(f, s->bucket_sets);
	metrics_family(f, "iorate_charge_pairs", "gauge",
		       "(cgroup, disk) pairs whose I/O BPF charges to bucket sets.");
	fputs("iorate_charge_pairs", f);
	metrics_u64(f, s->charge_pairs);
	metrics_counter(f, "iorate_charges_refused_total",
			"Pairs or bucket sets BPF could not be given (its maps were full).",
			s->charges_refused);
	metrics_counter(f, "iorate_bucket_events_total",
			"Buckets that filled between ticks; each tightened io.max at once.",
			s->bucket_events);
	metrics_counter(f, "iorate_writeback_escapes_total",
			"Files a member dirtied whose writeback the kernel charged to another cgroup.",
			s->writeback_escapes);
	metrics_family(f, "iorate_writeback_escaping", "gauge",
		       "Such files now: their flushes pass outside the member's io.max.");
	fputs("iorate_writeback_escaping", f);
	metrics_u64(f, s->writeback_escaping);
	metrics_family(f, "iorate_tighten_seconds", "gauge",
		       "From a bucket filling (BPF) to io.max written: last and worst since start.");
	fputs("iorate_tighten_seconds{stat=\"last\"}", f);
	metrics_value(f, s->tighten_last_ms / 1000);
	fputs("iorate_tighten_seconds{stat=\"max\"}", f);
	metrics_value(f, s->tighten_max_ms / 1000);
	if (s->cluster.on)
		metrics_cluster(f, s);
	metrics_family(f, "iorate_uptime_seconds", "gauge", "Seconds since the daemon started.");
	fputs("iorate_uptime_seconds", f);
	metrics_value(f, round(s->uptime_s * 1000) / 1000);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- serving ---- */

static enum MHD_Result metrics_reply(struct MHD_Connection *conn, unsigned int code,
				     const char *type, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_handle(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "iorate: the metrics are at /metrics\n";
	static const char bad_method[] = "iorate: only GET and HEAD\n";
	struct metrics *m = cls;
	enum MHD_Result ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
				     sizeof(bad_method) - 1);
	if (strcmp(url, "/metrics"))
		return metrics_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
				     sizeof(not_found) - 1);
	/* Counters as of the tick after the request, not of the last
	 * periodic render: what a scrape says agrees with `iorate status`
	 * asked at the same moment. The text is rendered by the daemon's
	 * loop (its state is not ours to read from this thread); a slow loop
	 * only costs this scrape the older text. */
	pthread_mutex_lock(&m->lock);
	{
		uint64_t gen = m->generation;
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += METRICS_FRESH_WAIT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		m->wanted = true;
		while (m->generation == gen &&
		       pthread_cond_timedwait(&m->published, &m->lock, &until) == 0)
			;
	}
	/* MUST_COPY under the lock: the daemon may swap the text right after */
	ret = metrics_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			    m->text ? m->text : "", m->text ? strlen(m->text) : 0);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

static int metrics_resolve(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256];
	const char *port;
	size_t hlen;
	int rc;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - addr - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr + 1, hlen);
		port = close + 2;
	} else {
		const char *colon = strrchr(addr, ':');

		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - addr);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr, hlen);
		port = colon + 1;
	}
	host[hlen] = '\0';
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		log_error("metrics %s: %s", addr, rc ? gai_strerror(rc) : "no address");
		return -EADDRNOTAVAIL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int metrics_start(const char *addr, struct metrics **out)
{
	struct sockaddr_storage ss = {};
	socklen_t sslen = 0;
	struct metrics *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	uint16_t port;
	int err;

	*out = NULL;
	err = metrics_resolve(addr, &ss, &sslen);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->published, NULL);
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	m->mhd = MHD_start_daemon(flags, port, NULL, NULL, metrics_handle, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_CONN_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		/* MHD logged why on stderr; the usual one is a port in use */
		pthread_cond_destroy(&m->published);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -EADDRINUSE;
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	pthread_cond_destroy(&m->published);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

void metrics_publish(struct metrics *m, char *text)
{
	char *old;

	if (!m || !text) {
		free(text);
		return;
	}
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->generation++;
	m->wanted = false;
	pthread_cond_broadcast(&m->published);
	pthread_mutex_unlock(&m->lock);
	free(old);
}

bool metrics_wanted(struct metrics *m)
{
	bool wanted;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	wanted = m->wanted;
	pthread_mutex_unlock(&m->lock);
	return wanted;
}
