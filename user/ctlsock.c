// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The control socket, both ends. The daemon's end runs in its poll loop, so
 * nothing here may block: a client that connects and sends nothing, or
 * never reads its answer, costs one slot until its deadline and nothing
 * else.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "clock.h"
#include "ctlsock.h"
#include "log.h"

/* ---- the protocol ---- */

int ctlsock_parse_request(const char *buf, size_t len, bool complete,
			  enum ctlsock_request *req, const char **why)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;

	if (!nl) {
		if (len >= CTLSOCK_MAX_REQUEST) {
			*why = "request longer than 256 bytes";
			return -1;
		}
		if (!complete)
			return 0;
		n = len;	/* the peer shut down without a newline: fine */
	} else {
		n = (size_t)(nl - buf);
		if (n + 1 > CTLSOCK_MAX_REQUEST) {
			*why = "request longer than 256 bytes";
			return -1;
		}
	}
	if (n && buf[n - 1] == '\r')
		n--;
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (n && (*buf == ' ' || *buf == '\t')) {
		buf++;
		n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "request is not a line of text";
			return -1;
		}
	}
	if (n == 0) {
		*why = "empty request (expected status or reload)";
		return -1;
	}
	if (n == 6 && !memcmp(buf, "status", 6)) {
		*req = CTLSOCK_REQ_STATUS;
		return 1;
	}
	if (n == 6 && !memcmp(buf, "reload", 6)) {
		*req = CTLSOCK_REQ_RELOAD;
		return 1;
	}
	*why = "unknown request (expected status or reload)";
	return -1;
}

char *ctlsock_error_json(const char *why)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "error", json_object_new_string(why));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- server ---- */

static int ctlsock_mkdir_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

/* Remove a socket left by a daemon that died; refuse to take over one a
 * live daemon still answers on, or anything that is not a socket. */
static int ctlsock_clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	if (err == 0 || err == EAGAIN)
		return -EADDRINUSE;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static void ctlsock_set_group(const char *path, const char *group)
{
	char buf[4096];
	struct group gr, *res = NULL;

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) || !res) {
		log_warn("socket-group %s: no such group; %s stays 0600, root only", group, path);
		return;
	}
	if (chown(path, (uid_t)-1, res->gr_gid) || chmod(path, 0660)) {
		log_warn("%s: giving it to group %s: %s; it stays 0600", path, group, strerror(errno));
		chmod(path, 0600);
	}
}

void ctlsock_init(struct ctlsock *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (int i = 0; i < CTLSOCK_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
}

int ctlsock_open(struct ctlsock *s, const char *path, const char *group,
		 ctlsock_handler handler, void *ctx)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int err;

	ctlsock_init(s);
	s->handler = handler;
	s->ctx = ctx;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	err = ctlsock_mkdir_parents(path);
	if (err)
		goto fail;
	err = ctlsock_clear_stale(path, &sa);
	if (err)
		goto fail;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* created 0600 from the start: no window in which anyone may connect */
	old_umask = umask(0177);
	err = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (err)
		goto fail;
	if (listen(s->fd, 64)) {
		err = -errno;
		unlink(path);
		goto fail;
	}
	if (group)
		ctlsock_set_group(path, group);
	return 0;

fail:
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->path);
	s->path = NULL;
	return err;
}

static void ctlsock_drop(struct ctlsock_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctlsock_close(struct ctlsock *s)
{
	if (s->fd < 0)
		return;
	for (int i = 0; i < CTLSOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			ctlsock_drop(&s->clients[i]);
	close(s->fd);
	unlink(s->path);
	s->fd = -1;
	free(s->path);
	s->path = NULL;
}

static int ctlsock_free_slot(const struct ctlsock *s)
{
	for (int i = 0; i < CTLSOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd < 0)
			return i;
	return -1;
}

int ctlsock_pollfds(const struct ctlsock *s, struct pollfd *fds)
{
	int n = 0;

	if (s->fd < 0)
		return 0;
	/* At the cap the listener is not polled: new clients wait in the
	 * backlog until a slot frees, and the loop does not spin on them. */
	fds[n++] = (struct pollfd){ .fd = s->fd, .events = ctlsock_free_slot(s) >= 0 ? POLLIN : 0 };
	for (int i = 0; i < CTLSOCK_MAX_CLIENTS; i++) {
		const struct ctlsock_client *c = &s->clients[i];

		if (c->fd >= 0)
			fds[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->out && !c->draining ? POLLOUT : POLLIN,
			};
	}
	return n;
}

int ctlsock_timeout_ms(const struct ctlsock *s)
{
	uint64_t now = clock_now_ns(), first = UINT64_MAX;

	if (s->fd < 0)
		return -1;
	for (int i = 0; i < CTLSOCK_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && s->clients[i].deadline_ns < first)
			first = s->clients[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	if (first <= now)
		return 0;
	return (int)((first - now + 999999) / 1000000);
}

static void ctlsock_accept(struct ctlsock *s)
{
	for (;;) {
		int slot = ctlsock_free_slot(s), fd;
		struct ctlsock_client *c;
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (slot < 0)
			return;
		fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept: %s", s->path, strerror(errno));
			return;
		}
		c = &s->clients[slot];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->deadline_ns = clock_now_ns() + CTLSOCK_DEADLINE_NS;
		/* unknown peers get no privileges */
		c->peer = (struct ctlsock_peer){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			c->peer = (struct ctlsock_peer){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	}
}

static void ctlsock_answer(struct ctlsock_client *c, char *answer)
{
	size_t n;

	if (!answer) {
		ctlsock_drop(c);
		return;
	}
	n = strlen(answer);
	c->out = realloc(answer, n + 2);
	if (!c->out) {
		free(answer);
		ctlsock_drop(c);
		return;
	}
	c->out[n] = '\n';
	c->out[n + 1] = '\0';
	c->out_len = n + 1;
	c->out_off = 0;
	/* a fresh deadline to take the answer away */
	c->deadline_ns = clock_now_ns() + CTLSOCK_DEADLINE_NS;
}

/* Discard what the peer still sends; drop it once it has closed. */
static void ctlsock_drain(struct ctlsock_client *c)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		ctlsock_drop(c);
		return;
	}
}

/* Write what the socket takes; once all is out, close (or drain first). */
static void ctlsock_flush(struct ctlsock_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			ctlsock_drop(c);	/* the peer went: nothing to tell it */
			return;
		}
		c->out_off += (size_t)w;
	}
	if (c->eof) {
		ctlsock_drop(c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	ctlsock_drain(c);
}

static void ctlsock_read(struct ctlsock *s, struct ctlsock_client *c)
{
	enum ctlsock_request req;
	const char *why = NULL;
	bool eof = false;
	int r;

	for (;;) {
		/* one byte beyond the limit, so that an overlong line shows */
		ssize_t n = read(c->fd, c->in + c->in_len, CTLSOCK_MAX_REQUEST - c->in_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			ctlsock_drop(c);
			return;
		}
		if (n == 0) {
			eof = c->eof = true;
			break;
		}
		c->in_len += (size_t)n;
		if (c->in_len >= CTLSOCK_MAX_REQUEST || memchr(c->in, '\n', c->in_len))
			break;
	}
	r = ctlsock_parse_request(c->in, c->in_len, eof, &req, &why);
	if (r == 0)
		return;
	if (r < 0) {
		if (eof && c->in_len == 0) {
			ctlsock_drop(c);	/* connected and left: a probe */
			return;
		}
		ctlsock_answer(c, ctlsock_error_json(why));
	} else {
		ctlsock_answer(c, s->handler(s->ctx, req, &c->peer));
	}
	if (c->fd >= 0)
		ctlsock_flush(c);
}

void ctlsock_dispatch(struct ctlsock *s, const struct pollfd *fds, int n)
{
	uint64_t now;

	for (int i = 1; i < n; i++) {
		struct ctlsock_client *c = NULL;

		if (!fds[i].revents)
			continue;
		for (int j = 0; j < CTLSOCK_MAX_CLIENTS; j++)
			if (s->clients[j].fd == fds[i].fd) {
				c = &s->clients[j];
				break;
			}
		if (!c)
			continue;
		if (c->draining)
			ctlsock_drain(c);
		else if (c->out)
			ctlsock_flush(c);
		else
			ctlsock_read(s, c);
	}
	/* after the clients: a slot freed above takes a waiting one now */
	if (n > 0 && (fds[0].revents & POLLIN))
		ctlsock_accept(s);
	now = clock_now_ns();
	for (int j = 0; j < CTLSOCK_MAX_CLIENTS; j++) {
		struct ctlsock_client *c = &s->clients[j];

		if (c->fd >= 0 && c->deadline_ns <= now) {
			log_debug("%s: client (pid %d) %s within 1 s: dropped", s->path, (int)c->peer.pid,
				  c->draining ? "did not close" : c->out ? "did not take its answer" :
				  "sent no request");
			ctlsock_drop(c);
		}
	}
}

/* ---- client ---- */

int ctlsock_request(const char *path, const char *req, int timeout_ms, char **answer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec start, now;
	size_t len = 0, cap = 0, off = 0, reqlen = strlen(req);
	char *buf = NULL;
	int fd, err = 0;

	*answer = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto cleanup;
	}
	while (off < reqlen) {
		ssize_t w = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			err = -ETIMEDOUT;
			goto cleanup;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (!pfd.revents)
			continue;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 16384);

			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap = cap ? cap * 2 : 16384;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!len) {
		err = -ECONNRESET;	/* closed without an answer */
		goto cleanup;
	}
	buf[len] = '\0';
	*answer = buf;
	buf = NULL;

cleanup:
	free(buf);
	close(fd);
	return err;
}

struct json_object *ctlsock_ask(const char *prog, const char *path, const char *req,
				int timeout_ms)
{
	struct json_object *o;
	char *answer = NULL;
	int err;

	err = ctlsock_request(path, req, timeout_ms, &answer);
	if (err) {
		if (err == -ENOENT || err == -ECONNREFUSED)
			fprintf(stderr, "iorate %s: no daemon answers on %s (is `iorate run` running?)\n",
				prog, path);
		else if (err == -EACCES)
			fprintf(stderr, "iorate %s: %s: permission denied (root, or the policy's socket-group)\n",
				prog, path);
		else
			fprintf(stderr, "iorate %s: %s: %s\n", prog, path, strerror(-err));
		return NULL;
	}
	o = json_tokener_parse(answer);
	if (!o || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "iorate %s: %s: the daemon's answer is not a JSON object\n", prog, path);
		json_object_put(o);
		o = NULL;
	}
	free(answer);
	return o;
}
