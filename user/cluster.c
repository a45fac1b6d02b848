// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include "clock.h"
#include "cluster.h"
#include "log.h"

/* user/cluster.lua as a C string (the Makefile makes the header): both
 * keys carry the group's hash tag, so a Redis Cluster keeps them on one
 * shard. */
static const char cluster_script[] =
#include "cluster_script.h"
	;

/* The hiredis calls used, resolved from the library the headers came
 * from (redisReply's layout differs between 0.14 and 1.x). */
struct hiredis_api {
	void *lib;
	redisContext *(*connect_with_timeout)(const char *ip, int port, const struct timeval tv);
	int (*set_timeout)(redisContext *c, const struct timeval tv);
	int (*append_command_argv)(redisContext *c, int argc, const char **argv, const size_t *argvlen);
	int (*get_reply)(redisContext *c, void **reply);
	void (*free_reply)(void *reply);
	void (*free_context)(redisContext *c);
};

struct cluster_group_io {
	char name[POLICY_MAX_NAME + 1];
	char value[256];		/* this host's entry, formatted */
	struct cluster_sums sums;	/* the last exchange's */
	uint64_t result_ns;
};

struct cluster {
	struct cluster_url url;
	char self[CLUSTER_MAX_HOST_NAME + 1];
	char *password;			/* NULL: none */
	struct hiredis_api api;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;		/* everything below, and stats */
	pthread_cond_t wake;
	bool stop;
	struct cluster_group_io *groups;
	int nr_groups, cap_groups;
	struct cluster_stats stats;
	/* the thread's own */
	redisContext *ctx;
	char sha[41];
};

static int load_hiredis(struct hiredis_api *api, char *err, size_t errlen)
{
	char soname[64];

#if HIREDIS_MAJOR == 0
	snprintf(soname, sizeof(soname), "libhiredis.so.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR);
#else
	snprintf(soname, sizeof(soname), "libhiredis.so.%d.%d.%d", HIREDIS_MAJOR, HIREDIS_MINOR,
		 HIREDIS_PATCH);
#endif
	api->lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!api->lib) {
		snprintf(err, errlen, "share = cluster needs %s (Debian: libhiredis%d.%d): %s",
			 soname, HIREDIS_MAJOR, HIREDIS_MINOR, dlerror());
		return -ENOENT;
	}
	api->connect_with_timeout = dlsym(api->lib, "redisConnectWithTimeout");
	api->set_timeout = dlsym(api->lib, "redisSetTimeout");
	api->append_command_argv = dlsym(api->lib, "redisAppendCommandArgv");
	api->get_reply = dlsym(api->lib, "redisGetReply");
	api->free_reply = dlsym(api->lib, "freeReplyObject");
	api->free_context = dlsym(api->lib, "redisFree");
	if (!api->connect_with_timeout || !api->set_timeout || !api->append_command_argv ||
	    !api->get_reply || !api->free_reply || !api->free_context) {
		snprintf(err, errlen, "%s lacks a function iorate uses", soname);
		dlclose(api->lib);
		api->lib = NULL;
		return -ENOENT;
	}
	return 0;
}

/* RESP sizes, as the bytes on the wire: for the benchmark's per-host
 * figures without a packet capture. */
static size_t digits(unsigned long long v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static size_t request_bytes(int argc, const char **argv, const size_t *len)
{
	size_t n = 1 + digits(argc) + 2;

	for (int i = 0; i < argc; i++)
		n += 1 + digits(len[i]) + 2 + len[i] + 2;
	return n;
}

static size_t reply_bytes(const redisReply *r)
{
	size_t n;

	switch (r->type) {
	case REDIS_REPLY_STRING:
		return 1 + digits(r->len) + 2 + r->len + 2;
	case REDIS_REPLY_ARRAY:
		n = 1 + digits(r->elements) + 2;
		for (size_t i = 0; i < r->elements; i++)
			n += reply_bytes(r->element[i]);
		return n;
	case REDIS_REPLY_INTEGER:
		return 1 + digits(r->integer < 0 ? -r->integer : r->integer) +
		       (r->integer < 0) + 2;
	case REDIS_REPLY_NIL:
		return 5;
	default:		/* status, error */
		return 1 + r->len + 2;
	}
}

static struct timeval timeout_tv(void)
{
	return (struct timeval){ .tv_sec = 0, .tv_usec = CLUSTER_TIMEOUT_MS * 1000 };
}

/* One command on the thread's connection; NULL on a lost connection. */
static redisReply *command(struct cluster *c, int argc, const char **argv, const size_t *len)
{
	void *reply = NULL;

	if (c->api.append_command_argv(c->ctx, argc, argv, len) != REDIS_OK)
		return NULL;
	pthread_mutex_lock(&c->lock);
	c->stats.calls++;
	c->stats.bytes_sent += request_bytes(argc, argv, len);
	pthread_mutex_unlock(&c->lock);
	if (c->api.get_reply(c->ctx, &reply) != REDIS_OK)
		return NULL;
	pthread_mutex_lock(&c->lock);
	c->stats.bytes_received += reply_bytes(reply);
	pthread_mutex_unlock(&c->lock);
	return reply;
}

static void set_error(struct cluster *c, const char *what, const char *detail)
{
	pthread_mutex_lock(&c->lock);
	snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%.24s%s%.96s", what,
		 detail && *detail ? ": " : "", detail ? detail : "");
	pthread_mutex_unlock(&c->lock);
}

/* What went wrong on the connection: a read that timed out says so. */
static const char *io_error(const struct cluster *c)
{
	if (!c->ctx)
		return "no connection";
	if (c->ctx->err == REDIS_ERR_IO && !strcmp(c->ctx->errstr, strerror(EAGAIN)))
		return "no reply within " CLUSTER_TIMEOUT_TEXT;
	return c->ctx->errstr;
}

static void disconnect(struct cluster *c)
{
	if (c->ctx)
		c->api.free_context(c->ctx);
	c->ctx = NULL;
}

/* Connect, authenticate, load the script: 0, or -1 with the error set. */
static int connect_redis(struct cluster *c)
{
	redisReply *r;

	c->ctx = c->api.connect_with_timeout(c->url.host, c->url.port, timeout_tv());
	if (!c->ctx || c->ctx->err) {
		set_error(c, "connect", c->ctx ? c->ctx->errstr : "out of memory");
		goto fail;
	}
	c->api.set_timeout(c->ctx, timeout_tv());
	if (c->password) {
		const char *argv[] = { "AUTH", c->password };
		size_t len[] = { 4, strlen(c->password) };

		r = command(c, 2, argv, len);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			set_error(c, "AUTH", r ? r->str : io_error(c));
			if (r)
				c->api.free_reply(r);
			goto fail;
		}
		c->api.free_reply(r);
	}
	{
		const char *argv[] = { "SCRIPT", "LOAD", cluster_script };
		size_t len[] = { 6, 4, sizeof(cluster_script) - 1 };

		r = command(c, 3, argv, len);
		if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
			set_error(c, "SCRIPT LOAD", r ? r->str : io_error(c));
			if (r)
				c->api.free_reply(r);
			goto fail;
		}
		memcpy(c->sha, r->str, 40);
		c->sha[40] = '\0';
		c->api.free_reply(r);
	}
	pthread_mutex_lock(&c->lock);
	c->stats.connects++;
	pthread_mutex_unlock(&c->lock);
	return 0;
fail:
	disconnect(c);
	return -1;
}

/* What a group's call returned: the sums' hash, field, value, ... */
static int parse_sums(const redisReply *r, struct cluster_sums *out)
{
	memset(out, 0, sizeof(*out));
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
		return -1;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		int id;

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			return -1;
		if (!strcmp(f->str, "hosts"))
			out->hosts = atoi(v->str);
		else if (sscanf(f->str, "sat%d", &id) == 1 && id >= 1 && id <= POLICY_NR_LIMITS)
			out->pressed[id - 1] = atoi(v->str);
		else if (sscanf(f->str, "claim%d", &id) == 1 && id >= 1 && id <= POLICY_NR_LIMITS)
			out->claimed[id - 1] = strtod(v->str, NULL);
	}
	return 0;
}

/* The groups to exchange now, copied so the lock is not held on the
 * network. */
struct exchange_item {
	char name[POLICY_MAX_NAME + 1];
	char value[256];
};

static int snapshot(struct cluster *c, struct exchange_item **out)
{
	struct exchange_item *items;
	int n = 0;

	pthread_mutex_lock(&c->lock);
	items = calloc(c->nr_groups + 1, sizeof(*items));
	for (int i = 0; items && i < c->nr_groups; i++) {
		memcpy(items[n].name, c->groups[i].name, sizeof(items[n].name));
		memcpy(items[n].value, c->groups[i].value, sizeof(items[n].value));
		n++;
	}
	pthread_mutex_unlock(&c->lock);
	*out = items;
	return items ? n : -1;
}

static void store_result(struct cluster *c, const char *name, const struct cluster_sums *sums,
			 uint64_t at_ns)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nr_groups; i++) {
		if (strcmp(c->groups[i].name, name))
			continue;
		c->groups[i].sums = *sums;
		c->groups[i].result_ns = at_ns;
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

/* One round trip for every group: 0, 1 when some group's call failed
 * (last_error says which way), or -1 (the connection is to be dropped). */
static int exchange(struct cluster *c)
{
	struct exchange_item *items;
	char ttl[16];
	int n, sent = 0, err = 0, group_failed = 0;

	n = snapshot(c, &items);
	if (n <= 0) {
		free(items);
		return n;
	}
	snprintf(ttl, sizeof(ttl), "%d", CLUSTER_TTL_MS);
	for (int i = 0; i < n; i++) {
		char use[160], seen[160], sum[160];
		const char *argv[9];
		size_t len[9];

		snprintf(use, sizeof(use), "%s:{%s}:use", c->url.prefix, items[i].name);
		snprintf(seen, sizeof(seen), "%s:{%s}:seen", c->url.prefix, items[i].name);
		snprintf(sum, sizeof(sum), "%s:{%s}:sum", c->url.prefix, items[i].name);
		argv[0] = "EVALSHA"; argv[1] = c->sha; argv[2] = "3"; argv[3] = use;
		argv[4] = seen; argv[5] = sum; argv[6] = c->self; argv[7] = items[i].value;
		argv[8] = ttl;
		for (int a = 0; a < 9; a++)
			len[a] = strlen(argv[a]);
		if (c->api.append_command_argv(c->ctx, 9, argv, len) != REDIS_OK) {
			err = -1;
			break;
		}
		pthread_mutex_lock(&c->lock);
		c->stats.calls++;
		c->stats.bytes_sent += request_bytes(9, argv, len);
		pthread_mutex_unlock(&c->lock);
		sent++;
	}
	for (int i = 0; i < sent; i++) {
		void *reply = NULL;
		redisReply *r;
		struct cluster_sums sums;

		if (c->api.get_reply(c->ctx, &reply) != REDIS_OK) {
			set_error(c, "EVALSHA", io_error(c));
			err = -1;
			break;
		}
		r = reply;
		pthread_mutex_lock(&c->lock);
		c->stats.bytes_received += reply_bytes(r);
		pthread_mutex_unlock(&c->lock);
		if (r->type == REDIS_REPLY_ERROR) {
			/* This group's only, unless the script is gone (a
			 * restart without persistence): the next connection
			 * loads it again. Its result ages, and the daemon
			 * holds, then falls back, for it alone. */
			set_error(c, "EVALSHA", r->str);
			if (!strncmp(r->str, "NOSCRIPT", 8))
				err = -1;
			group_failed = 1;
		} else if (parse_sums(r, &sums) || cluster_value_parse(items[i].value, sums.own)) {
			set_error(c, "EVALSHA", "a reply iorate cannot read");
			group_failed = 1;
		} else {
			store_result(c, items[i].name, &sums, clock_now_ns());
		}
		c->api.free_reply(r);
	}
	free(items);
	return err ? err : group_failed;
}

static void *cluster_thread(void *arg)
{
	struct cluster *c = arg;
	uint64_t next = clock_now_ns();

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct timespec until = { .tv_sec = next / 1000000000ULL, .tv_nsec = next % 1000000000ULL };
		int ret = -1;
		bool ok;

		/* CLOCK_MONOTONIC: cluster_open set the condvar's clock */
		if (pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT && !c->stop &&
		    clock_now_ns() < next)
			continue;
		if (c->stop)
			break;
		next += CLUSTER_PERIOD_NS;
		if (next < clock_now_ns())	/* a slow round: no catching up */
			next = clock_now_ns() + CLUSTER_PERIOD_NS;
		pthread_mutex_unlock(&c->lock);
		if (c->ctx || !connect_redis(c))
			ret = exchange(c);
		ok = ret >= 0;
		if (!ok)
			disconnect(c);
		pthread_mutex_lock(&c->lock);
		if (ok) {
			c->stats.exchanges++;
			if (!ret)
				c->stats.last_error[0] = '\0';
		} else {
			c->stats.failures++;
		}
		c->stats.up = ok;
	}
	pthread_mutex_unlock(&c->lock);
	disconnect(c);
	return NULL;
}

int cluster_open(struct cluster **out, const struct cluster_url *url, const char *self,
		 const char *password, char *err, size_t errlen)
{
	pthread_condattr_t attr;
	struct cluster *c;
	int ret;

	*out = NULL;
	snprintf(err, errlen, "out of memory");
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->url = *url;
	snprintf(c->self, sizeof(c->self), "%s", self);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	snprintf(c->stats.last_error, sizeof(c->stats.last_error), "not connected yet");
	if (password) {
		c->password = strdup(password);
		if (!c->password) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	ret = load_hiredis(&c->api, err, errlen);
	if (ret)
		goto fail;
	ret = -pthread_create(&c->thread, NULL, cluster_thread, c);
	if (ret) {
		snprintf(err, errlen, "cannot start the cluster thread: %s", strerror(-ret));
		goto fail;
	}
	c->started = true;
	*out = c;
	return 0;
fail:
	cluster_close(c);
	return ret;
}

void cluster_close(struct cluster *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		c->stop = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
	}
	free(c->groups);
	if (c->api.lib)
		dlclose(c->api.lib);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int cluster_publish(struct cluster *c, const char *group, const double claim[POLICY_NR_LIMITS])
{
	struct cluster_group_io *g = NULL;
	char value[256];
	int ret = 0;

	if (cluster_value_format(value, sizeof(value), claim) < 0)
		return -EOVERFLOW;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nr_groups; i++)
		if (!strcmp(c->groups[i].name, group))
			g = &c->groups[i];
	if (!g) {
		if (c->nr_groups == c->cap_groups) {
			int cap = c->cap_groups ? c->cap_groups * 2 : 4;
			struct cluster_group_io *n = realloc(c->groups, cap * sizeof(*n));

			if (!n) {
				ret = -ENOMEM;
				goto out;
			}
			c->groups = n;
			c->cap_groups = cap;
		}
		g = &c->groups[c->nr_groups++];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", group);
	}
	memcpy(g->value, value, sizeof(value));
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cluster_forget(struct cluster *c, const char *group)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nr_groups; i++) {
		if (strcmp(c->groups[i].name, group))
			continue;
		c->groups[i] = c->groups[--c->nr_groups];
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

int cluster_result(struct cluster *c, const char *group, struct cluster_sums *out,
		   uint64_t *at_ns)
{
	int ret = -ENOENT;

	*at_ns = 0;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->nr_groups; i++) {
		if (strcmp(c->groups[i].name, group))
			continue;
		*out = c->groups[i].sums;
		*at_ns = c->groups[i].result_ns;
		ret = *at_ns ? 0 : -ENOENT;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cluster_get_stats(struct cluster *c, struct cluster_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
