// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ctlsock.h"
#include "test.h"

static int parse(const char *s, bool complete, enum ctlsock_request *req, const char **why)
{
	*why = NULL;
	return ctlsock_parse_request(s, strlen(s), complete, req, why);
}

TEST(ctlsock_parse_accepts_the_two_requests)
{
	enum ctlsock_request req = -1;
	const char *why;

	ASSERT_EQ(parse("status\n", false, &req, &why), 1);
	ASSERT_EQ(req, CTLSOCK_REQ_STATUS);
	ASSERT_EQ(parse("reload\r\n", false, &req, &why), 1);
	ASSERT_EQ(req, CTLSOCK_REQ_RELOAD);
	ASSERT_EQ(parse("  status \t\n", false, &req, &why), 1);
	ASSERT_EQ(req, CTLSOCK_REQ_STATUS);
	/* no newline: complete once the peer shut its side down */
	ASSERT_EQ(parse("status", false, &req, &why), 0);
	ASSERT_EQ(parse("status", true, &req, &why), 1);
	ASSERT_EQ(parse("", false, &req, &why), 0);
}

TEST(ctlsock_parse_rejects_malformed)
{
	enum ctlsock_request req;
	const char *why;
	char big[CTLSOCK_MAX_REQUEST + 8];

	ASSERT_EQ(parse("stats\n", false, &req, &why), -1);
	ASSERT_TRUE(why && strstr(why, "unknown"));
	ASSERT_EQ(parse("status now\n", false, &req, &why), -1);
	ASSERT_EQ(parse("STATUS\n", false, &req, &why), -1);
	ASSERT_EQ(parse("\n", false, &req, &why), -1);
	ASSERT_TRUE(why && strstr(why, "empty"));
	ASSERT_EQ(parse("", true, &req, &why), -1);
	ASSERT_EQ(parse("sta\033tus\n", false, &req, &why), -1);
	ASSERT_EQ(ctlsock_parse_request("stat\0us\n", 8, false, &req, &why), -1);
	/* 256 bytes without a newline: over the limit, whatever follows */
	memset(big, 'a', CTLSOCK_MAX_REQUEST);
	big[CTLSOCK_MAX_REQUEST] = '\0';
	ASSERT_EQ(parse(big, false, &req, &why), -1);
	ASSERT_TRUE(why && strstr(why, "256"));
	/* 255 characters and the newline fit, and are then unknown */
	big[CTLSOCK_MAX_REQUEST - 1] = '\n';
	ASSERT_EQ(parse(big, false, &req, &why), -1);
	ASSERT_TRUE(why && strstr(why, "unknown"));
}

TEST(ctlsock_error_json_escapes)
{
	char *s = ctlsock_error_json("bad \"x\"\n");

	ASSERT_STREQ(s, "{\"error\":\"bad \\\"x\\\"\\n\"}");
	free(s);
}

static int answered;

static char *test_handler(void *ctx, enum ctlsock_request req, const struct ctlsock_peer *peer)
{
	answered++;
	return strdup(req == CTLSOCK_REQ_STATUS ? "{\"status\":1}" : "{\"reload\":1}");
}

static uint64_t test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Serve the socket until the child exits; returns its exit status. */
static int serve_until_exit(struct ctlsock *s, pid_t child, int max_ms)
{
	uint64_t end = test_now_ms() + max_ms;
	int status;

	while (test_now_ms() < end) {
		struct pollfd fds[CTLSOCK_NR_POLLFDS];
		int n = ctlsock_pollfds(s, fds), t = ctlsock_timeout_ms(s);

		poll(fds, n, t < 0 || t > 50 ? 50 : t);
		ctlsock_dispatch(s, fds, n);
		if (waitpid(child, &status, WNOHANG) == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return 98;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	return fd;
}

/* A silent client holds no one up; a socket left behind is replaced; a
 * live one is not taken over; the answers are one line of JSON. */
TEST(ctlsock_serves_without_stalling)
{
	char dir[] = "/tmp/iorate-ctlsock.XXXXXX", path[128];
	struct ctlsock s, other;
	struct stat st;
	pid_t child;
	int silent = -1, stale;

	ctlsock_init(&s);
	if (!ASSERT_TRUE(mkdtemp(dir) != NULL))
		return;
	snprintf(path, sizeof(path), "%s/sub/iorate.sock", dir);
	/* a stale socket: bound, then its owner gone */
	if (!ASSERT_EQ(ctlsock_open(&s, path, NULL, test_handler, NULL), 0))
		goto cleanup;
	stale = s.fd;
	s.fd = -1;
	close(stale);	/* the file stays: a daemon killed with -9 */
	free(s.path);
	ASSERT_EQ(ctlsock_open(&s, path, NULL, test_handler, NULL), 0);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	snprintf(path + strlen(path) - 4, 5, "sock");
	ASSERT_EQ(ctlsock_open(&other, path, NULL, test_handler, NULL), -EADDRINUSE);

	silent = connect_to(path);	/* connects, never writes */
	ASSERT_TRUE(silent >= 0);
	answered = 0;
	child = fork();
	if (child == 0) {
		char *a = NULL;
		int fd;

		/* while the silent one sits there */
		if (ctlsock_request(path, "status\n", 900, &a) || strcmp(a, "{\"status\":1}\n"))
			_exit(1);
		free(a);
		if (ctlsock_request(path, "nonsense\n", 900, &a) || !strstr(a, "\"error\""))
			_exit(2);
		free(a);
		/* an overlong line is answered with an error, not read forever */
		fd = connect_to(path);
		char big[600];
		memset(big, 'x', sizeof(big));
		if (fd < 0 || write(fd, big, sizeof(big)) != (ssize_t)sizeof(big))
			_exit(3);
		shutdown(fd, SHUT_WR);
		ssize_t n = read(fd, big, sizeof(big) - 1);
		if (n <= 0)
			_exit(4);
		big[n] = '\0';
		if (!strstr(big, "longer than 256"))
			_exit(5);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(serve_until_exit(&s, child, 5000), 0);
	ASSERT_EQ(answered, 1);
	/* the silent client is dropped by its deadline */
	{
		uint64_t end = test_now_ms() + 2000;
		char c;

		while (test_now_ms() < end && ctlsock_timeout_ms(&s) >= 0) {
			struct pollfd fds[CTLSOCK_NR_POLLFDS];
			int n = ctlsock_pollfds(&s, fds);

			poll(fds, n, 50);
			ctlsock_dispatch(&s, fds, n);
		}
		ASSERT_EQ(ctlsock_timeout_ms(&s), -1);
		ASSERT_EQ(read(silent, &c, 1), 0);	/* closed on it */
	}

cleanup:
	if (silent >= 0)
		close(silent);
	ctlsock_close(&s);
	ASSERT_TRUE(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}
