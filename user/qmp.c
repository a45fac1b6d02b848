// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "qmp.h"

/* The key both replies name a drive by: its -drive id, or with -blockdev
 * and -device (no id) its qdev path. */
static const char *drive_key(struct json_object *o)
{
	struct json_object *v;
	const char *s;

	if (json_object_object_get_ex(o, "device", &v) && (s = json_object_get_string(v)) && *s)
		return s;
	if (json_object_object_get_ex(o, "qdev", &v) && (s = json_object_get_string(v)) && *s)
		return s;
	return NULL;
}

static uint64_t stat_u64(struct json_object *stats, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(stats, key, &v))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

int qmp_parse_drives(struct json_object *block, struct json_object *blockstats,
		     struct qmp_drive *out, int cap)
{
	size_t nr_stats, nr_block;
	int n = 0;

	if (!json_object_is_type(blockstats, json_type_array) ||
	    (block && !json_object_is_type(block, json_type_array)))
		return -EINVAL;
	nr_stats = json_object_array_length(blockstats);
	nr_block = block ? json_object_array_length(block) : 0;
	for (size_t i = 0; i < nr_stats && n < cap; i++) {
		struct json_object *o = json_object_array_get_idx(blockstats, i), *stats;
		const char *key = drive_key(o);
		struct qmp_drive *d = &out[n];

		if (!key || !json_object_object_get_ex(o, "stats", &stats))
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", key);
		d->ops[0] = stat_u64(stats, "rd_operations");
		d->ops[1] = stat_u64(stats, "wr_operations");
		d->bytes[0] = stat_u64(stats, "rd_bytes");
		d->bytes[1] = stat_u64(stats, "wr_bytes");
		for (size_t j = 0; j < nr_block; j++) {
			struct json_object *b = json_object_array_get_idx(block, j), *ins, *file;
			const char *bkey = drive_key(b);

			if (bkey && !strcmp(bkey, key) &&
			    json_object_object_get_ex(b, "inserted", &ins) &&
			    json_object_object_get_ex(ins, "file", &file))
				snprintf(d->file, sizeof(d->file), "%s", json_object_get_string(file));
		}
		n++;
	}
	return n;
}

/* One QMP connection: a socket and what was read of it but not parsed. */
struct qmp_conn {
	int fd;
	struct json_tokener *tok;
	struct timespec deadline;
	char buf[16384];
	size_t off, len;
};

static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static int wait_fd(struct qmp_conn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int r;

	do
		r = poll(&p, 1, ms_left(&c->deadline));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int send_all(struct qmp_conn *c, const char *msg)
{
	size_t len = strlen(msg), done = 0;

	while (done < len) {
		ssize_t w = send(c->fd, msg + done, len - done, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(c, POLLOUT);

			if (err)
				return err;
			continue;
		}
		if (w < 0)
			return -errno;
		done += w;
	}
	return 0;
}

/* The next whole JSON object from the monitor, or -errno. */
static int next_object(struct qmp_conn *c, struct json_object **obj)
{
	for (;;) {
		if (c->off < c->len) {
			enum json_tokener_error jerr;

			*obj = json_tokener_parse_ex(c->tok, c->buf + c->off, c->len - c->off);
			jerr = json_tokener_get_error(c->tok);
			if (*obj) {
				c->off += json_tokener_get_parse_end(c->tok);
				json_tokener_reset(c->tok);
				return 0;
			}
			if (jerr != json_tokener_continue)
				return -EPROTO;
			c->off = c->len;	/* the tokener keeps the partial object */
		}
		c->off = c->len = 0;
		for (;;) {
			ssize_t r = recv(c->fd, c->buf, sizeof(c->buf), 0);
			int err;

			if (r > 0) {
				c->len = r;
				break;
			}
			if (r == 0)
				return -ECONNRESET;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			err = wait_fd(c, POLLIN);
			if (err)
				return err;
		}
	}
}

/* A command's "return", skipping the events QEMU sends unasked. */
static int execute(struct qmp_conn *c, const char *cmd, struct json_object **ret)
{
	char msg[128];
	int err;

	snprintf(msg, sizeof(msg), "{\"execute\":\"%s\"}\r\n", cmd);
	err = send_all(c, msg);
	while (!err) {
		struct json_object *o, *v;

		err = next_object(c, &o);
		if (err)
			break;
		if (json_object_object_get_ex(o, "return", &v)) {
			*ret = json_object_get(v);
			json_object_put(o);
			return 0;
		}
		if (json_object_object_get_ex(o, "error", NULL))
			err = -EPROTO;
		json_object_put(o);	/* an event */
	}
	return err;
}

int qmp_query_drives(const char *path, int timeout_ms, struct qmp_drive *out, int cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct json_object *greeting = NULL, *caps = NULL, *block = NULL, *stats = NULL;
	struct qmp_conn *c;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	c->tok = json_tokener_new();
	if (c->fd < 0 || !c->tok) {
		err = c->fd < 0 ? -errno : -ENOMEM;
		goto cleanup;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += timeout_ms / 1000;
	c->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (c->deadline.tv_nsec >= 1000000000) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* the greeting first: {"QMP": {...}}, else not a QMP monitor */
	err = next_object(c, &greeting);
	if (!err && !json_object_object_get_ex(greeting, "QMP", NULL))
		err = -EPROTO;
	if (!err)
		err = execute(c, "qmp_capabilities", &caps);
	if (!err)
		err = execute(c, "query-block", &block);
	if (!err)
		err = execute(c, "query-blockstats", &stats);
	if (!err) {
		err = qmp_parse_drives(block, stats, out, cap);
		if (err < 0)
			err = -EPROTO;
	}
cleanup:
	json_object_put(greeting);
	json_object_put(caps);
	json_object_put(block);
	json_object_put(stats);
	if (c->tok)
		json_tokener_free(c->tok);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return err;
}
