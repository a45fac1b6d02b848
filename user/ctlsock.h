/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The daemon's control socket: a unix stream socket, one request line per
 * connection ("status" or "reload"), one JSON document back, then close.
 * Served from the daemon's poll loop, never blocking it: the listener and
 * every client are non-blocking, a client has a deadline to send its line
 * and take the answer, and only so many are served at once (the others
 * wait in the listen backlog).
 */
#ifndef IORATE_CTLSOCK_H
#define IORATE_CTLSOCK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define CTLSOCK_MAX_REQUEST	256	/* bytes, newline included */
#define CTLSOCK_MAX_CLIENTS	16
#define CTLSOCK_DEADLINE_NS	1000000000ULL
/* listener + clients: what ctlsock_pollfds may fill */
#define CTLSOCK_NR_POLLFDS	(1 + CTLSOCK_MAX_CLIENTS)

enum ctlsock_request { CTLSOCK_REQ_STATUS, CTLSOCK_REQ_RELOAD };

/* Who asked: the handler decides what a peer may do (reload: root only). */
struct ctlsock_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Returns the answer (a JSON document, malloc'd) or NULL on no memory. */
typedef char *(*ctlsock_handler)(void *ctx, enum ctlsock_request req,
				 const struct ctlsock_peer *peer);

struct ctlsock_client {
	int fd;			/* -1: free slot */
	uint64_t deadline_ns;
	struct ctlsock_peer peer;
	char in[CTLSOCK_MAX_REQUEST + 1];
	size_t in_len;
	char *out;		/* answer being written, NULL while reading */
	size_t out_len, out_off;
	bool eof;		/* the peer shut down its side */
	/* Answer sent, our side shut down: reading what the peer still
	 * sends (an overlong request) until it closes, because closing with
	 * unread data resets the connection and the peer would lose the
	 * answer. */
	bool draining;
};

struct ctlsock {
	int fd;			/* listener, -1 when closed */
	char *path;
	ctlsock_handler handler;
	void *ctx;
	struct ctlsock_client clients[CTLSOCK_MAX_CLIENTS];
};

/*
 * Parse one request (the bytes received so far; complete is true once the
 * peer shut down its side). 1 with *req set when a whole request is there,
 * 0 when more bytes are needed, -1 with *why when it is malformed.
 */
int ctlsock_parse_request(const char *buf, size_t len, bool complete,
			  enum ctlsock_request *req, const char **why);
/* {"error": why} as a malloc'd string. */
char *ctlsock_error_json(const char *why);

/* A closed socket: close, pollfds and timeout_ms are no-ops on it. */
void ctlsock_init(struct ctlsock *s);
/* Create the socket at path (0600; 0660 and group-owned with group), its
 * directory too (0755). A stale socket is replaced; one a live daemon
 * answers on, or a path that is not a socket, is left alone (-EADDRINUSE,
 * -EEXIST). */
int ctlsock_open(struct ctlsock *s, const char *path, const char *group,
		 ctlsock_handler handler, void *ctx);
void ctlsock_close(struct ctlsock *s);
/* The fds to poll; returns how many were written to fds (at most
 * CTLSOCK_NR_POLLFDS). */
int ctlsock_pollfds(const struct ctlsock *s, struct pollfd *fds);
/* Serve what poll reported in fds[0..n) (as ctlsock_pollfds filled them)
 * and drop clients past their deadline. */
void ctlsock_dispatch(struct ctlsock *s, const struct pollfd *fds, int n);
/* Milliseconds until the nearest client deadline, -1 when none. */
int ctlsock_timeout_ms(const struct ctlsock *s);

/* Client side: send req ("status\n"), read the whole answer (timeout_ms
 * in all). 0 with *answer malloc'd, or a negative errno. */
int ctlsock_request(const char *path, const char *req, int timeout_ms, char **answer);
/* The same, parsed: the answer's JSON object, or NULL after telling the
 * user why on stderr ("iorate PROG: ..."). */
struct json_object *ctlsock_ask(const char *prog, const char *path, const char *req,
				int timeout_ms);

#endif
