// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* QEMU's replies to query-block and query-blockstats (user/qmp.c), as
 * QEMU 7.2 (Debian 12) gives them for -drive file=...,if=virtio and for
 * -blockdev with -device (no drive id: the qdev path names it). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>
#include "qmp.h"
#include "test.h"

static const char *const block_reply =
	"[{\"device\": \"virtio0\", \"qdev\": \"/machine/peripheral-anon/device[0]/virtio-backend\","
	"  \"inserted\": {\"file\": \"/dev/nested0\", \"ro\": false, \"drv\": \"raw\"}},"
	" {\"device\": \"\", \"qdev\": \"disk1\","
	"  \"inserted\": {\"file\": \"/var/lib/images/db-1.qcow2\", \"drv\": \"qcow2\"}},"
	" {\"device\": \"cd0\", \"qdev\": \"ide1-cd0\"}]";

static const char *const stats_reply =
	"[{\"device\": \"virtio0\", \"qdev\": \"/machine/peripheral-anon/device[0]/virtio-backend\","
	"  \"stats\": {\"rd_operations\": 12, \"wr_operations\": 4711, \"rd_bytes\": 49152,"
	"  \"wr_bytes\": 19296256, \"flush_operations\": 3}},"
	" {\"device\": \"\", \"qdev\": \"disk1\", \"node-name\": \"n1\","
	"  \"stats\": {\"rd_operations\": 7, \"wr_operations\": 0, \"rd_bytes\": 28672, \"wr_bytes\": 0}},"
	" {\"device\": \"cd0\", \"qdev\": \"ide1-cd0\", \"stats\": {\"rd_operations\": 0,"
	"  \"wr_operations\": 0}}]";

TEST(qmp_drives_joined_by_id_or_qdev)
{
	struct json_object *block = json_tokener_parse(block_reply);
	struct json_object *stats = json_tokener_parse(stats_reply);
	struct qmp_drive d[QMP_MAX_DRIVES];
	int n = qmp_parse_drives(block, stats, d, QMP_MAX_DRIVES);

	ASSERT_EQ(n, 3);
	ASSERT_STREQ(d[0].name, "virtio0");
	ASSERT_STREQ(d[0].file, "/dev/nested0");
	ASSERT_U64_EQ(d[0].ops[1], 4711);
	ASSERT_U64_EQ(d[0].ops[0], 12);
	ASSERT_U64_EQ(d[0].bytes[1], 19296256);
	ASSERT_STREQ(d[1].name, "disk1");
	ASSERT_STREQ(d[1].file, "/var/lib/images/db-1.qcow2");
	ASSERT_U64_EQ(d[1].ops[0], 7);
	/* an empty drive: counted, no image */
	ASSERT_STREQ(d[2].file, "");
	/* at most cap */
	ASSERT_EQ(qmp_parse_drives(block, stats, d, 1), 1);
	json_object_put(block);
	json_object_put(stats);
}

TEST(qmp_reply_of_another_shape_is_refused)
{
	struct json_object *obj = json_tokener_parse("{\"return\": {}}");
	struct qmp_drive d[2];

	ASSERT_EQ(qmp_parse_drives(NULL, obj, d, 2), -EINVAL);
	json_object_put(obj);
}

/* A fake QEMU on a unix socket: the greeting, then one answer per command
 * line it reads, an event before the second (QEMU sends them unasked), the
 * replies cut across writes. */
static void fake_qemu(int lfd)
{
	const char *answers[3] = { "{\"return\": {}}\r\n", block_reply, stats_reply };
	char line[512];
	int fd = accept(lfd, NULL, NULL);
	FILE *in;

	if (fd < 0)
		_exit(1);
	in = fdopen(dup(fd), "r");
	dprintf(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n");
	for (int i = 0; i < 3 && fgets(line, sizeof(line), in); i++) {
		if (i == 1)
			dprintf(fd, "{\"event\": \"RESUME\", \"timestamp\": {}}\r\n");
		if (i == 0) {
			dprintf(fd, "%s", answers[0]);
			continue;
		}
		dprintf(fd, "{\"return\": ");
		write(fd, answers[i], 40);
		usleep(20000);
		dprintf(fd, "%s}\r\n", answers[i] + 40);
	}
	_exit(0);
}

TEST(qmp_query_over_a_socket_skips_events)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp_drive d[QMP_MAX_DRIVES];
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), status, n;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/iorate-qmp-test.%d", getpid());
	unlink(sa.sun_path);
	ASSERT_TRUE(lfd >= 0);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(listen(lfd, 1), 0);
	pid = fork();
	if (pid == 0)
		fake_qemu(lfd);
	close(lfd);
	n = qmp_query_drives(sa.sun_path, 2000, d, QMP_MAX_DRIVES);
	waitpid(pid, &status, 0);
	ASSERT_EQ(n, 3);
	ASSERT_STREQ(d[0].file, "/dev/nested0");
	ASSERT_U64_EQ(d[0].ops[1], 4711);
	/* nobody there */
	ASSERT_TRUE(qmp_query_drives(sa.sun_path, 200, d, QMP_MAX_DRIVES) < 0);
	unlink(sa.sun_path);
}
