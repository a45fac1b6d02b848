// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The policy file: grammar, every validation rule, error lines, caps. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "test.h"
#include "policy.h"

/* Parse a C string as a buffer that is NOT NUL-terminated, so that ASan
 * catches any read past len. */
static int parse(const char *text, struct policy *p, struct policy_errors *e)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, text, len);
	rc = policy_parse_buffer("t.conf", copy, len, p, e);
	free(copy);
	return rc;
}

static void dump_errors(const struct policy_errors *e)
{
	for (int i = 0; i < e->nr; i++)
		fprintf(stderr, "      | %s\n", e->lines[i]);
}

static bool has_error(const struct policy_errors *e, const char *prefix)
{
	for (int i = 0; i < e->nr; i++)
		if (!strncmp(e->lines[i], prefix, strlen(prefix)))
			return true;
	return false;
}

#define ASSERT_ERROR(e, prefix) ({					\
	bool ok__ = has_error((e), (prefix));				\
	if (!ok__) {							\
		test_fail(__FILE__, __LINE__, "no error starting \"%s\"", (prefix)); \
		dump_errors(e);						\
	}								\
	ok__; })

/* text must fail with exactly one error, which starts with prefix. */
static bool one_error(const char *text, const char *prefix, int line)
{
	struct policy_errors e;
	struct policy p;
	bool ok = true;
	int rc = parse(text, &p, &e);

	if (rc != -EINVAL || e.nr != 1 || strncmp(e.lines[0], prefix, strlen(prefix))) {
		test_fail(__FILE__, line, "want one error \"%s...\", got rc %d and %d:", prefix,
			  rc, e.nr);
		dump_errors(&e);
		ok = false;
	}
	if (rc && p.groups)
		ok = ASSERT_TRUE(!"policy not emptied on failure");
	policy_free(&p);
	policy_errors_free(&e);
	return ok;
}
#define ONE_ERROR(text, prefix) one_error((text), (prefix), __LINE__)

static bool parses(const char *text, struct policy *p, int line)
{
	struct policy_errors e;
	int rc = parse(text, p, &e);

	if (rc) {
		test_fail(__FILE__, line, "parse failed: rc %d", rc);
		dump_errors(&e);
	}
	policy_errors_free(&e);
	return rc == 0;
}
#define PARSES(text, p) parses((text), (p), __LINE__)

#define G "[group g]\nmatch = vm:a\n"	/* lines 1-2; keys start at line 3 */

/* ---- good files ---- */

TEST(policy_empty_file_gets_defaults)
{
	struct policy p;

	if (!PARSES("", &p))
		return;
	ASSERT_EQ(p.nr_groups, 0);
	ASSERT_STREQ(p.path, "t.conf");
	ASSERT_U64_EQ(p.daemon.tick_ns, 100000000ULL);
	ASSERT_EQ(p.daemon.accounting, IORATE_LEVEL_DEVICE);
	ASSERT_STREQ(p.daemon.metrics, "127.0.0.1:9477");
	ASSERT_STREQ(p.daemon.socket_path, "/run/iorate/iorate.sock");
	ASSERT_STREQ(p.daemon.state_dir, "/run/iorate");
	ASSERT_TRUE(p.daemon.socket_group == NULL);
	policy_free(&p);
}

TEST(policy_only_comments_and_blanks)
{
	struct policy p;

	if (PARSES("# comment\n; another\n\n   \n\t# indented\n", &p))
		ASSERT_EQ(p.nr_groups, 0);
	policy_free(&p);
}

TEST(policy_daemon_all_keys)
{
	struct policy p;

	if (!PARSES("[daemon]\ntick = 2s\naccounting = bio\nmetrics = [::1]:9100\n"
		    "socket = /run/x.sock\nsocket-group = kvm\nstate-dir = /var/lib/iorate\n", &p))
		return;
	ASSERT_U64_EQ(p.daemon.tick_ns, 2000000000ULL);
	ASSERT_EQ(p.daemon.accounting, IORATE_LEVEL_BIO);
	ASSERT_STREQ(p.daemon.metrics, "[::1]:9100");
	ASSERT_STREQ(p.daemon.socket_path, "/run/x.sock");
	ASSERT_STREQ(p.daemon.socket_group, "kvm");
	ASSERT_STREQ(p.daemon.state_dir, "/var/lib/iorate");
	policy_free(&p);
}

TEST(policy_metrics_forms)
{
	struct policy p;

	if (PARSES("[daemon]\nmetrics = off\n", &p))
		ASSERT_TRUE(p.daemon.metrics == NULL);
	policy_free(&p);
	if (PARSES("[daemon]\nmetrics = localhost:1\n", &p))
		ASSERT_STREQ(p.daemon.metrics, "localhost:1");
	policy_free(&p);
	if (PARSES("[daemon]\nmetrics = 0.0.0.0:65535\n", &p))
		ASSERT_STREQ(p.daemon.metrics, "0.0.0.0:65535");
	policy_free(&p);
	ONE_ERROR("[daemon]\nmetrics = 127.0.0.1:0\n", "t.conf:2: metrics: '127.0.0.1:0': port");
	ONE_ERROR("[daemon]\nmetrics = 127.0.0.1:65536\n", "t.conf:2: metrics:");
	ONE_ERROR("[daemon]\nmetrics = 127.0.0.1\n", "t.conf:2: metrics:");
	ONE_ERROR("[daemon]\nmetrics = 127.0.0.1:\n", "t.conf:2: metrics: '127.0.0.1:': missing port");
	ONE_ERROR("[daemon]\nmetrics = :9477\n", "t.conf:2: metrics:");
	ONE_ERROR("[daemon]\nmetrics = ::1:9477\n", "t.conf:2: metrics: '::1:9477': an IPv6 address needs brackets");
	ONE_ERROR("[daemon]\nmetrics = [::1:9477\n", "t.conf:2: metrics:");
	ONE_ERROR("[daemon]\nmetrics = [zz]:9477\n", "t.conf:2: metrics: '[zz]:9477': bad IPv6 address");
	ONE_ERROR("[daemon]\nmetrics = [::1]9477\n", "t.conf:2: metrics:");
	ONE_ERROR("[daemon]\nmetrics = ho$t:9477\n", "t.conf:2: metrics: 'ho$t:9477': bad host name");
	ONE_ERROR("[daemon]\nmetrics = h:-1\n", "t.conf:2: metrics:");
}

TEST(policy_daemon_value_errors)
{
	ONE_ERROR("[daemon]\ntick = 9ms\n", "t.conf:2: tick: '9ms': must be from 10ms to 10s");
	ONE_ERROR("[daemon]\ntick = 11s\n", "t.conf:2: tick: '11s': must be from 10ms to 10s");
	ONE_ERROR("[daemon]\ntick = fast\n", "t.conf:2: tick: 'fast': not a number");
	ONE_ERROR("[daemon]\ntick = 0.1s\n", "t.conf:2: tick: '0.1s': must be a whole number");
	ONE_ERROR("[daemon]\naccounting = request\n", "t.conf:2: accounting: 'request': must be device or bio");
	ONE_ERROR("[daemon]\nsocket = run/x.sock\n", "t.conf:2: socket: 'run/x.sock': must be an absolute path");
	ONE_ERROR("[daemon]\nsocket = /run/../x.sock\n", "t.conf:2: socket:");
	ONE_ERROR("[daemon]\nsocket = /run/iorate/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
		  "t.conf:2: socket:");
	ONE_ERROR("[daemon]\nsocket-group = no way\n", "t.conf:2: socket-group:");
	ONE_ERROR("[daemon]\nsocket-group = -kvm\n", "t.conf:2: socket-group:");
	ONE_ERROR("[daemon]\nstate-dir = var/lib\n", "t.conf:2: state-dir:");
	ONE_ERROR("[daemon]\nstate-dir = /var/..\n", "t.conf:2: state-dir: '/var/..': must not contain '..' components");
	ONE_ERROR("[daemon]\nverbose = yes\n", "t.conf:2: verbose: unknown key in [daemon]");
	ONE_ERROR("[daemon]\ntick =\n", "t.conf:2: tick: empty value");
	ONE_ERROR("[daemon]\ntick = 1s\ntick = 2s\n", "t.conf:3: tick: repeated key (first set at line 2)");
}

TEST(policy_tick_bounds_inclusive)
{
	struct policy p;

	if (PARSES("[daemon]\ntick = 10ms\n", &p))
		ASSERT_U64_EQ(p.daemon.tick_ns, 10000000ULL);
	policy_free(&p);
	if (PARSES("[daemon]\ntick = 10\n", &p))
		ASSERT_U64_EQ(p.daemon.tick_ns, 10000000000ULL);
	policy_free(&p);
}

TEST(policy_seed_two_vms)
{
	struct policy p;

	if (!PARSES("[group vm1]\nmatch = vm:vm1\ndevice = /dev/sdd\niops-total = 3000\nbps-total = 120M\n"
		    "[group vm2]\nmatch = vm:vm2\ndevice = /dev/sdd\niops-total = 3000\nbps-total = 120M\n", &p))
		return;
	if (!ASSERT_EQ(p.nr_groups, 2))
		goto out;
	for (int i = 0; i < 2; i++) {
		struct policy_group *g = &p.groups[i];

		ASSERT_EQ(g->line, 1 + 5 * i);
		ASSERT_EQ(g->share, POLICY_SHARE_EACH);
		ASSERT_U64_EQ(g->limits[POLICY_IOPS_TOTAL].avg, 3000);
		ASSERT_U64_EQ(g->limits[POLICY_BPS_TOTAL].avg, 125829120);
		ASSERT_U64_EQ(g->limits[POLICY_BPS_TOTAL].max, 0);
		ASSERT_EQ(g->limits[POLICY_BPS_TOTAL].max_length_s, 0);
		ASSERT_U64_EQ(g->iops_size, 0);
		ASSERT_EQ(g->nr_devices, 1);
		ASSERT_STREQ(g->devices[0].spec, "/dev/sdd");
		ASSERT_TRUE(!g->devices[0].any && !g->devices[0].has_majmin);
		ASSERT_EQ(g->nr_matches, 1);
		ASSERT_EQ(g->matches[0].kind, POLICY_MATCH_VM);
	}
	ASSERT_STREQ(p.groups[0].name, "vm1");
	ASSERT_STREQ(p.groups[1].matches[0].pattern, "vm2");
	ASSERT_TRUE(policy_group_equal_limits(&p.groups[0], &p.groups[1]));
out:
	policy_free(&p);
}

TEST(policy_group_every_key)
{
	struct policy p;
	struct policy_group *g;

	if (!PARSES("[group all.x_y-1]\n"
		    "match = cgroup:/machine.slice/**\n"
		    "match = exe:/usr/bin/qemu-system-*\n"
		    "match = pid:0042\n"
		    "match = vm:db[0-9]\n"
		    "device = /dev/nvme0n1\n"
		    "device = 8:48\n"
		    "share = pooled\n"
		    "bps-read = 100M\nbps-read-max = 200M\nbps-read-max-length = 2m\n"
		    "bps-write = 50M\n"
		    "iops-read = 1000\niops-read-max = 2000\niops-read-max-length = 10\n"
		    "iops-write = 500\niops-write-max = 500\n"
		    "iops-size = 4K\n", &p))
		return;
	g = &p.groups[0];
	ASSERT_STREQ(g->name, "all.x_y-1");
	ASSERT_EQ(g->nr_matches, 4);
	ASSERT_EQ(g->matches[0].kind, POLICY_MATCH_CGROUP);
	ASSERT_STREQ(g->matches[0].pattern, "/machine.slice/**");
	ASSERT_EQ(g->matches[0].line, 2);
	ASSERT_EQ(g->matches[1].kind, POLICY_MATCH_EXE);
	ASSERT_EQ(g->matches[2].kind, POLICY_MATCH_PID);
	ASSERT_STREQ(g->matches[2].pattern, "42");
	ASSERT_EQ(g->matches[3].kind, POLICY_MATCH_VM);
	ASSERT_STREQ(g->matches[3].pattern, "db[0-9]");
	ASSERT_EQ(g->nr_devices, 2);
	ASSERT_EQ(g->devices[1].has_majmin, true);
	ASSERT_EQ(g->devices[1].major, 8);
	ASSERT_EQ(g->devices[1].minor, 48);
	ASSERT_STREQ(g->devices[1].spec, "8:48");
	ASSERT_EQ(g->devices[1].line, 7);
	ASSERT_EQ(g->share, POLICY_SHARE_POOLED);
	ASSERT_U64_EQ(g->limits[POLICY_BPS_READ].avg, 100ULL << 20);
	ASSERT_U64_EQ(g->limits[POLICY_BPS_READ].max, 200ULL << 20);
	ASSERT_EQ(g->limits[POLICY_BPS_READ].max_length_s, 120);
	ASSERT_U64_EQ(g->limits[POLICY_BPS_WRITE].avg, 50ULL << 20);
	ASSERT_EQ(g->limits[POLICY_BPS_WRITE].max_length_s, 0);
	ASSERT_U64_EQ(g->limits[POLICY_IOPS_READ].max, 2000);
	ASSERT_EQ(g->limits[POLICY_IOPS_READ].max_length_s, 10);
	/* -max without -max-length: QEMU's default length of 1 s */
	ASSERT_U64_EQ(g->limits[POLICY_IOPS_WRITE].max, 500);
	ASSERT_EQ(g->limits[POLICY_IOPS_WRITE].max_length_s, 1);
	ASSERT_U64_EQ(g->limits[POLICY_IOPS_TOTAL].avg, 0);
	ASSERT_U64_EQ(g->iops_size, 4096);
	policy_free(&p);
}

TEST(policy_default_device_is_any)
{
	struct policy p;

	if (!PARSES(G "iops-total = 1\n", &p))
		return;
	ASSERT_EQ(p.groups[0].nr_devices, 1);
	ASSERT_TRUE(p.groups[0].devices[0].any);
	ASSERT_STREQ(p.groups[0].devices[0].spec, "*");
	ASSERT_EQ(p.groups[0].devices[0].line, 0);
	policy_free(&p);
	if (!PARSES(G "device = *\niops-total = 1\n", &p))
		return;
	ASSERT_TRUE(p.groups[0].devices[0].any);
	ASSERT_EQ(p.groups[0].devices[0].line, 3);
	policy_free(&p);
}

TEST(policy_max_length_one_without_max_is_fine)
{
	struct policy p;

	/* QEMU refuses only a length > 1 without a burst rate */
	if (PARSES(G "iops-total = 10\niops-total-max-length = 1\n", &p))
		ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 0);
	policy_free(&p);
}

TEST(policy_burst_length_forms)
{
	struct policy p;

	if (PARSES(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 1m\n", &p))
		ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 60);
	policy_free(&p);
	if (PARSES(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 2000ms\n", &p))
		ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 2);
	policy_free(&p);
	ONE_ERROR(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 1500ms\n",
		  "t.conf:5: iops-total-max-length: '1500ms': must be a whole number of seconds");
	ONE_ERROR(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 0\n",
		  "t.conf:5: iops-total-max-length: '0': must be a whole number of seconds");
	ONE_ERROR(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 500ms\n",
		  "t.conf:5: iops-total-max-length:");
	ONE_ERROR(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 1.5\n",
		  "t.conf:5: iops-total-max-length: '1.5': must be a whole number (no fractions)");
	ONE_ERROR(G "iops-total = 10\niops-total-max = 20\niops-total-max-length = 4294967296\n",
		  "t.conf:5: iops-total-max-length: '4294967296': too long");
}

TEST(policy_zero_limit_means_unset)
{
	struct policy p;

	/* QEMU: 0 is unlimited, so a zero total does not exclude read/write */
	if (PARSES(G "bps-total = 0\nbps-read = 1M\n", &p))
		ASSERT_U64_EQ(p.groups[0].limits[POLICY_BPS_TOTAL].avg, 0);
	policy_free(&p);
	ONE_ERROR(G "iops-total = 0\n", "t.conf:1: [group g]: group 'g' sets no limit");
}

/* ---- comments, whitespace, line endings ---- */

TEST(policy_comments_inline_and_whole_line)
{
	struct policy p;

	if (!PARSES("# top\n[group g] # header comment\n  ; indented\nmatch = vm:web#1 ; trailing\n"
		    "match = vm:x;y\niops-total = 5\t# tab then comment\n", &p))
		return;
	/* '#' or ';' without a blank before it is part of the value */
	ASSERT_STREQ(p.groups[0].matches[0].pattern, "web#1");
	ASSERT_STREQ(p.groups[0].matches[1].pattern, "x;y");
	ASSERT_U64_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 5);
	ASSERT_EQ(p.groups[0].line, 2);
	policy_free(&p);
}

TEST(policy_whitespace_trimmed)
{
	struct policy p;

	if (!PARSES("  [ group  g ]  \n\tmatch\t=\tvm:a  \n iops-total=7\n", &p))
		return;
	ASSERT_STREQ(p.groups[0].name, "g");
	ASSERT_STREQ(p.groups[0].matches[0].pattern, "a");
	ASSERT_U64_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 7);
	policy_free(&p);
}

TEST(policy_crlf_and_no_final_newline)
{
	struct policy p;

	if (!PARSES("[group g]\r\nmatch = vm:a\r\n\r\niops-total = 9\r\nbps-total = 1M", &p))
		return;
	ASSERT_STREQ(p.groups[0].matches[0].pattern, "a");
	ASSERT_U64_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 9);
	ASSERT_U64_EQ(p.groups[0].limits[POLICY_BPS_TOTAL].avg, 1 << 20);
	policy_free(&p);
	ONE_ERROR("[group g]\r\nmatch = vm:a\r\niops-total = x\r\n", "t.conf:3: iops-total: 'x'");
}

/* ---- syntax errors ---- */

TEST(policy_missing_equals)
{
	ONE_ERROR(G "iops-total 3000\n", "t.conf:3: iops-total: expected 'key = value'");
	ONE_ERROR("[daemon]\njunk\n", "t.conf:2: junk: expected 'key = value'");
}

TEST(policy_missing_key)
{
	ONE_ERROR(G "iops-total = 1\n= 3\n", "t.conf:4: =: missing key before '='");
}

TEST(policy_key_outside_section)
{
	ONE_ERROR("tick = 1s\n", "t.conf:1: tick: key outside any section");
}

TEST(policy_trailing_garbage)
{
	ONE_ERROR(G "bps-total = 120M trailing\n", "t.conf:3: bps-total: '120M trailing': unexpected text after the number");
	ONE_ERROR(G "iops-total = 3000 IOPS\n", "t.conf:3: iops-total: '3000 IOPS': must be a plain whole number");
	ONE_ERROR(G "iops-total = 1\nshare = each please\n", "t.conf:4: share: 'each please': must be each, pooled or cluster");
}

TEST(policy_unknown_key_and_section)
{
	ONE_ERROR(G "iops-total = 1\ncolour = blue\n", "t.conf:4: colour: unknown key in [group g]");
	ONE_ERROR(G "iops-total = 1\nIOPS-TOTAL = 2\n", "t.conf:4: IOPS-TOTAL: unknown key");
	ONE_ERROR("[nonsense]\nfoo = bar\n", "t.conf:1: [nonsense]: unknown section");
	ONE_ERROR("[Daemon]\n", "t.conf:1: [Daemon]: unknown section");
	ONE_ERROR("[]\n", "t.conf:1: []: empty section header");
	ONE_ERROR("[daemon\n", "t.conf:1: [daemon: a section header must end with ']'");
	ONE_ERROR("[daemon] tick = 1s\n", "t.conf:1: [daemon] tick = 1s: a section header must end with ']'");
	ONE_ERROR("[daemon extra]\n", "t.conf:1: [daemon extra]: [daemon] takes no name");
}

TEST(policy_repeated_keys)
{
	ONE_ERROR(G "iops-total = 1\niops-total = 2\n", "t.conf:4: iops-total: repeated key (first set at line 3)");
	ONE_ERROR(G "iops-total = 1\nshare = each\nshare = pooled\n", "t.conf:5: share: repeated key (first set at line 4)");
	ONE_ERROR(G "iops-total = 1\niops-size = 4K\niops-size = 8K\n", "t.conf:5: iops-size: repeated key");
	ONE_ERROR("[daemon]\n[daemon]\n", "t.conf:2: [daemon]: repeated section (first at line 1)");
}

TEST(policy_repeated_lists_allowed)
{
	struct policy p;

	if (!PARSES(G "match = vm:b\nmatch = cgroup:/x\ndevice = /dev/sda\ndevice = /dev/sdb\niops-total = 1\n", &p))
		return;
	ASSERT_EQ(p.groups[0].nr_matches, 3);
	ASSERT_EQ(p.groups[0].nr_devices, 2);
	policy_free(&p);
	ONE_ERROR(G "match = vm:a\niops-total = 1\n", "t.conf:3: match: 'vm:a': repeated (first at line 2)");
	ONE_ERROR(G "device = 8:0\ndevice = 8:0\niops-total = 1\n", "t.conf:4: device: '8:0': repeated (first at line 3)");
}

TEST(policy_group_names)
{
	ONE_ERROR("[group]\n", "t.conf:1: [group]: a group needs a name");
	ONE_ERROR("[group a b]\n", "t.conf:1: [group a b]: invalid group name");
	ONE_ERROR("[group a/b]\n", "t.conf:1: [group a/b]: invalid group name");
	ONE_ERROR("[group aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
		  "t.conf:1: [group aaaa");
	ONE_ERROR(G "iops-total = 1\n[group g]\nmatch = vm:b\niops-total = 1\n",
		  "t.conf:4: [group g]: duplicate group name 'g' (first at line 1)");
}

TEST(policy_invalid_group_keys_not_cascaded)
{
	/* a bad header skips its keys: one error, not one per key */
	ONE_ERROR("[group bad name]\nmatch = vm:a\nbogus = 1\niops-total = 1\n", "t.conf:1:");
	/* a bad match line does not also say "needs a match" */
	ONE_ERROR("[group g]\nmatch = vm\niops-total = 1\n", "t.conf:2: match: 'vm': expected KIND:PATTERN");
	/* a bad limit line does not also say "sets no limit" */
	ONE_ERROR("[group g]\nmatch = vm:a\niops-total = lots\n", "t.conf:3: iops-total: 'lots': not a number");
}

/* ---- match and device values ---- */

TEST(policy_match_values)
{
	ONE_ERROR(G "iops-total = 1\nmatch = host:x\n", "t.conf:4: match: unknown kind 'host'");
	ONE_ERROR(G "iops-total = 1\nmatch = vm:\n", "t.conf:4: match: 'vm:': empty pattern");
	ONE_ERROR(G "iops-total = 1\nmatch = vm:[ab\n", "t.conf:4: match: 'vm:[ab': unterminated '['");
	ONE_ERROR(G "iops-total = 1\nmatch = cgroup:machine.slice\n", "t.conf:4: match: 'cgroup:machine.slice': a cgroup pattern must start with '/'");
	ONE_ERROR(G "iops-total = 1\nmatch = cgroup:/a/../b\n", "t.conf:4: match: 'cgroup:/a/../b': must not contain '..' components");
	ONE_ERROR(G "iops-total = 1\nmatch = cgroup:/..\n", "t.conf:4: match:");
	ONE_ERROR(G "iops-total = 1\nmatch = cgroup:/a/./b\n", "t.conf:4: match: 'cgroup:/a/./b': must not contain '.' components");
	ONE_ERROR(G "iops-total = 1\nmatch = pid:0\n", "t.conf:4: match: 'pid:0': a pid must be");
	ONE_ERROR(G "iops-total = 1\nmatch = pid:-1\n", "t.conf:4: match:");
	ONE_ERROR(G "iops-total = 1\nmatch = pid:4194305\n", "t.conf:4: match:");
	ONE_ERROR(G "iops-total = 1\nmatch = pid:12*\n", "t.conf:4: match:");
	ONE_ERROR(G "iops-total = 1\nmatch = exe:qemu\n", "t.conf:4: match: 'exe:qemu': must be an absolute path");
	ONE_ERROR(G "iops-total = 1\nmatch = exe:/usr/../bin/x\n", "t.conf:4: match:");
	ONE_ERROR(G "iops-total = 1\nmatch = CGROUP:/x\n", "t.conf:4: match: unknown kind 'CGROUP'");
}

TEST(policy_cgroup_dotdot_inside_names_is_fine)
{
	struct policy p;

	if (PARSES("[group g]\nmatch = cgroup:/a..b/c.scope\nmatch = cgroup:/x/.hidden\niops-total = 1\n", &p))
		ASSERT_EQ(p.groups[0].nr_matches, 2);
	policy_free(&p);
}

TEST(policy_device_values)
{
	ONE_ERROR(G "iops-total = 1\ndevice = /etc/passwd\n", "t.conf:4: device: '/etc/passwd': a device path must be under /dev/");
	ONE_ERROR(G "iops-total = 1\ndevice = /dev/\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = /dev/../etc/x\n", "t.conf:4: device: '/dev/../etc/x': must not contain '..' components");
	ONE_ERROR(G "iops-total = 1\ndevice = /dev/disk/\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = /dev/sd*\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = sdd\n", "t.conf:4: device: 'sdd': expected /dev/NAME, MAJ:MIN or *");
	ONE_ERROR(G "iops-total = 1\ndevice = 8:48:1\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = 8:\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = :8\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = 4096:0\n", "t.conf:4: device: '4096:0': major must be at most 4095");
	ONE_ERROR(G "iops-total = 1\ndevice = 8:1048576\n", "t.conf:4: device:");
	ONE_ERROR(G "iops-total = 1\ndevice = /dev/sda\ndevice = *\n", "t.conf:5: device: '*' (every disk) cannot be combined with other devices (line 4)");
	ONE_ERROR(G "iops-total = 1\ndevice = *\ndevice = 8:0\n", "t.conf:5: device: '*' (every disk) cannot be combined");
	ONE_ERROR(G "iops-total = 1\ndevice = 8:00\ndevice = 8:0\n", "t.conf:5: device: '8:0': repeated");
}

/* ---- limit values ---- */

TEST(policy_limit_values)
{
	ONE_ERROR(G "bps-total = -5\n", "t.conf:3: bps-total: '-5': must not be negative");
	ONE_ERROR(G "iops-total = 1.5\n", "t.conf:3: iops-total: '1.5': must be a whole number (no fractions)");
	ONE_ERROR(G "bps-total = 1.5G\n", "t.conf:3: bps-total: '1.5G': must be a whole number (no fractions)");
	ONE_ERROR(G "iops-total = 3K\n", "t.conf:3: iops-total: '3K': must be a plain whole number (no suffix)");
	ONE_ERROR(G "bps-write = 1e16\n", "t.conf:3: bps-write: '1e16': unknown suffix");
	ONE_ERROR(G "iops-write = 1000000000000001\n", "t.conf:3: iops-write: '1000000000000001': must be within [0, 1000000000000000]");
	ONE_ERROR(G "bps-read = 1024T\n", "t.conf:3: bps-read: '1024T': must be within");
	ONE_ERROR(G "bps-read = 99999999999999999999999\n", "t.conf:3: bps-read: '99999999999999999999999': number too large");
	ONE_ERROR(G "iops-total = \n", "t.conf:3: iops-total: empty value");
	ONE_ERROR(G "iops-total = 1\niops-size = -4K\n", "t.conf:4: iops-size: '-4K': must not be negative");
	ONE_ERROR(G "iops-total = 1\niops-size = 2000T\n", "t.conf:4: iops-size: '2000T': must be within");
	ONE_ERROR(G "iops-total = 1\nshare = shared\n", "t.conf:4: share: 'shared': must be each, pooled or cluster");
}

TEST(policy_limit_max_value_accepted)
{
	struct policy p;

	if (PARSES(G "iops-total = 1000000000000000\n", &p))
		ASSERT_U64_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 1000000000000000ULL);
	policy_free(&p);
}

/* ---- QEMU's cross-key rules, and the line they are reported on ---- */

TEST(policy_total_excludes_read_write)
{
	ONE_ERROR(G "bps-total = 100M\nbps-read = 50M\n",
		  "t.conf:4: bps-read: bps-total and bps-read cannot be used together");
	/* reversed order: the later key (bps-total) carries it */
	ONE_ERROR(G "bps-write = 50M\nbps-total = 100M\n",
		  "t.conf:4: bps-total: bps-total and bps-write cannot be used together");
	ONE_ERROR(G "iops-total = 100\niops-write = 50\n",
		  "t.conf:4: iops-write: iops-total and iops-write cannot be used together");
	/* bps total with iops read/write is fine (different kinds) */
	struct policy p;
	if (PARSES(G "bps-total = 100M\niops-read = 10\niops-write = 20\n", &p))
		ASSERT_EQ(p.groups[0].nr_matches, 1);
	policy_free(&p);
}

TEST(policy_total_with_both_read_and_write)
{
	struct policy_errors e;
	struct policy p;

	ASSERT_EQ(parse(G "iops-read = 1\niops-total = 3\niops-write = 2\n", &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 2);
	ASSERT_ERROR(&e, "t.conf:4: iops-total: iops-total and iops-read");
	ASSERT_ERROR(&e, "t.conf:5: iops-write: iops-total and iops-write");
	policy_free(&p);
	policy_errors_free(&e);
}

TEST(policy_total_max_excludes_read_write_max)
{
	/* QEMU's bps_max_flag: totals' and read/write's bursts conflict too */
	struct policy_errors e;
	struct policy p;

	ASSERT_EQ(parse(G "iops-total = 0\niops-read = 10\niops-total-max = 100\niops-read-max = 20\n", &p, &e), -EINVAL);
	ASSERT_ERROR(&e, "t.conf:6: iops-read-max: iops-total-max and iops-read-max cannot be used together");
	ASSERT_ERROR(&e, "t.conf:5: iops-total-max: a burst rate needs the base rate");
	policy_free(&p);
	policy_errors_free(&e);
}

TEST(policy_max_needs_base)
{
	ONE_ERROR(G "iops-read = 10\nbps-write-max = 1G\n",
		  "t.conf:4: bps-write-max: a burst rate needs the base rate: bps-write-max needs bps-write");
}

TEST(policy_max_not_below_base)
{
	ONE_ERROR(G "iops-total = 1000\niops-total-max = 500\n",
		  "t.conf:4: iops-total-max: iops-total-max (500) cannot be lower than iops-total (1000)");
	ONE_ERROR(G "iops-total-max = 500\niops-total = 1000\n",
		  "t.conf:4: iops-total: iops-total-max (500) cannot be lower than iops-total (1000)");
	struct policy p;
	if (PARSES(G "iops-total = 1000\niops-total-max = 1000\n", &p))
		ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 1);
	policy_free(&p);
}

TEST(policy_burst_length_needs_max)
{
	ONE_ERROR(G "iops-total = 10\niops-total-max-length = 60s\n",
		  "t.conf:4: iops-total-max-length: burst length set without burst rate");
}

TEST(policy_burst_length_too_high)
{
	/* max x length may not pass 1e15 (QEMU) */
	ONE_ERROR(G "bps-total = 1T\nbps-total-max = 1T\nbps-total-max-length = 1000\n",
		  "t.conf:5: bps-total-max-length: burst length too high for this burst rate");
	ONE_ERROR(G "bps-total = 1T\nbps-total-max-length = 1000\nbps-total-max = 1T\n",
		  "t.conf:5: bps-total-max: burst length too high");
	struct policy p;
	if (PARSES(G "iops-total = 1000\niops-total-max = 1000000\niops-total-max-length = 1000000000\n", &p))
		ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 1000000000);
	policy_free(&p);
}

TEST(policy_iops_size_needs_iops)
{
	ONE_ERROR(G "bps-total = 10M\niops-size = 4K\n",
		  "t.conf:4: iops-size: needs an iops limit");
	struct policy p;
	if (PARSES(G "iops-write = 10\niops-size = 4K\n", &p))
		ASSERT_U64_EQ(p.groups[0].iops_size, 4096);
	policy_free(&p);
}

TEST(policy_group_needs_match_and_limit)
{
	struct policy_errors e;
	struct policy p;

	ONE_ERROR("[group g]\niops-total = 1\n", "t.conf:1: match: group 'g' needs at least one match");
	ONE_ERROR("[group g]\nmatch = vm:a\n", "t.conf:1: [group g]: group 'g' sets no limit");
	ONE_ERROR("[group g]\nmatch = vm:a\nshare = pooled\n", "t.conf:1: [group g]: group 'g' sets no limit");
	ASSERT_EQ(parse("[group g]\n", &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 2);
	ASSERT_STREQ(e.lines[0], "t.conf:1: match: group 'g' needs at least one match (cgroup:, vm:, pid: or exe:)");
	ASSERT_STREQ(e.lines[1], "t.conf:1: [group g]: group 'g' sets no limit (bps-* or iops-*; 0 means unlimited)");
	policy_free(&p);
	policy_errors_free(&e);
}

/* ---- the whole file: every error, sorted, nothing applied ---- */

TEST(policy_all_errors_reported_in_line_order)
{
	struct policy_errors e;
	struct policy p;
	int rc;

	rc = parse("[daemon]\ntick = 1ms\n"			/* 2 */
		   "[group a]\nmatch = vm:a\n"
		   "bps-total = 1M\nbps-read = 1M\n"		/* 6: cross-key, found at group end */
		   "colour = red\n"				/* 7 */
		   "[group b]\n"				/* 8: no match, no limit */
		   "[bogus]\n", &p, &e);			/* 9 */
	ASSERT_EQ(rc, -EINVAL);
	if (!ASSERT_EQ(e.nr, 6)) {
		dump_errors(&e);
		goto out;
	}
	ASSERT_STREQ(e.lines[0], "t.conf:2: tick: '1ms': must be from 10ms to 10s");
	ASSERT_TRUE(!strncmp(e.lines[1], "t.conf:6: bps-read:", 19));
	ASSERT_STREQ(e.lines[2], "t.conf:7: colour: unknown key in [group a]");
	ASSERT_TRUE(!strncmp(e.lines[3], "t.conf:8: match:", 16));
	ASSERT_TRUE(!strncmp(e.lines[4], "t.conf:8: [group b]:", 20));
	ASSERT_TRUE(!strncmp(e.lines[5], "t.conf:9: [bogus]:", 18));
	/* nothing applied */
	ASSERT_EQ(p.nr_groups, 0);
	ASSERT_TRUE(p.groups == NULL && p.path == NULL && p.daemon.metrics == NULL);
out:
	policy_free(&p);
	policy_errors_free(&e);
}

TEST(policy_long_line)
{
	size_t n = 10000;
	char *text = malloc(n + 64);
	struct policy_errors e;
	struct policy p;

	strcpy(text, G "iops-total = 1\nmatch = vm:");
	size_t off = strlen(text);
	memset(text + off, 'x', n);
	strcpy(text + off + n, "\nbogus = 1\n");
	ASSERT_EQ(parse(text, &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 2);
	ASSERT_ERROR(&e, "t.conf:4: line: longer than 4096 bytes");
	ASSERT_ERROR(&e, "t.conf:5: bogus: unknown key");
	policy_free(&p);
	policy_errors_free(&e);
	free(text);
}

TEST(policy_line_of_exactly_max_length)
{
	char *text = malloc(POLICY_MAX_LINE + 64);
	struct policy p;
	size_t off;

	strcpy(text, G "iops-total = 1\n");
	off = strlen(text);
	memset(text + off, '#', POLICY_MAX_LINE);
	text[off + POLICY_MAX_LINE] = '\0';
	if (PARSES(text, &p))
		ASSERT_EQ(p.nr_groups, 1);
	policy_free(&p);
	free(text);
}

TEST(policy_nul_byte)
{
	static const char text[] = "[group g]\nmatch = vm:a\0b\niops-total = 1\nmatch = vm:c\n";
	struct policy_errors e;
	struct policy p;

	ASSERT_EQ(policy_parse_buffer("t.conf", text, sizeof(text) - 1, &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 1);
	ASSERT_ERROR(&e, "t.conf:2: line: contains a NUL byte");
	policy_free(&p);
	policy_errors_free(&e);
}

TEST(policy_control_bytes_sanitized)
{
	struct policy_errors e;
	struct policy p;

	ASSERT_EQ(parse(G "iops-total = 1\nco\x1b[31mlour = x\n", &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 1);
	ASSERT_TRUE(e.nr == 1 && !strchr(e.lines[0], '\x1b'));
	ASSERT_ERROR(&e, "t.conf:4: co?[31mlour: unknown key");
	policy_free(&p);
	policy_errors_free(&e);
}

TEST(policy_too_many_groups)
{
	size_t cap = (POLICY_MAX_GROUPS + 10) * 48;
	char *text = malloc(cap);
	struct policy_errors e;
	struct policy p;
	size_t off = 0;

	for (int i = 0; i < POLICY_MAX_GROUPS + 5; i++)
		off += snprintf(text + off, cap - off, "[group g%d]\nmatch = pid:%d\niops-total = 1\n",
				i, i + 1);
	ASSERT_EQ(parse(text, &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 1);
	ASSERT_ERROR(&e, "t.conf:3073: [group g1024]: too many groups (at most 1024)");
	policy_free(&p);
	policy_errors_free(&e);
	free(text);
}

TEST(policy_max_groups_accepted)
{
	size_t cap = POLICY_MAX_GROUPS * 48;
	char *text = malloc(cap);
	struct policy p;
	size_t off = 0;

	for (int i = 0; i < POLICY_MAX_GROUPS; i++)
		off += snprintf(text + off, cap - off, "[group g%d]\nmatch = pid:%d\niops-total = 1\n",
				i, i + 1);
	if (PARSES(text, &p))
		ASSERT_EQ(p.nr_groups, POLICY_MAX_GROUPS);
	policy_free(&p);
	free(text);
}

TEST(policy_too_many_matches_and_devices)
{
	size_t cap = 200 * 32;
	char *text = malloc(cap);
	struct policy_errors e;
	struct policy p;
	size_t off = snprintf(text, cap, "[group g]\niops-total = 1\n");

	for (int i = 0; i < POLICY_MAX_MATCHES + 1; i++)
		off += snprintf(text + off, cap - off, "match = pid:%d\n", i + 1);
	for (int i = 0; i < POLICY_MAX_DEVICES + 1; i++)
		off += snprintf(text + off, cap - off, "device = 8:%d\n", i);
	ASSERT_EQ(parse(text, &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, 2);
	ASSERT_ERROR(&e, "t.conf:67: match: too many matches in one group (at most 64)");
	ASSERT_ERROR(&e, "t.conf:132: device: too many devices in one group (at most 64)");
	policy_free(&p);
	policy_errors_free(&e);
	free(text);
}

TEST(policy_error_cap)
{
	size_t cap = 1000 * 16;
	char *text = malloc(cap);
	struct policy_errors e;
	struct policy p;
	size_t off = snprintf(text, cap, "[daemon]\n");

	for (int i = 0; i < 1000; i++)
		off += snprintf(text + off, cap - off, "bad%d = 1\n", i);
	ASSERT_EQ(parse(text, &p, &e), -EINVAL);
	ASSERT_EQ(e.nr, POLICY_MAX_ERRORS + 1);
	if (e.nr == POLICY_MAX_ERRORS + 1)
		ASSERT_STREQ(e.lines[POLICY_MAX_ERRORS],
			     "t.conf:101: errors: too many errors, stopped after 100");
	policy_free(&p);
	policy_errors_free(&e);
	free(text);
}

/* A million group headers: caps keep it fast and small. */
TEST(policy_million_groups_is_bounded)
{
	const size_t n = 1000000;
	size_t cap = n * 48, off = 0;
	char *text = malloc(cap);
	struct policy_errors e;
	struct policy p;
	struct timespec t0, t1;

	for (size_t i = 0; i < n; i++)
		off += snprintf(text + off, cap - off, "[group g%zu]\nmatch=pid:1\niops-total=1\n", i);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(policy_parse_buffer("t.conf", text, off, &p, &e), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(e.nr, 1);
	ASSERT_TRUE((t1.tv_sec - t0.tv_sec) < 5);
	policy_free(&p);
	policy_errors_free(&e);
	free(text);
}

/* Not a fuzzer, but random bytes and mutated good text must never crash
 * (run under ASan to mean something). */
TEST(policy_random_input_survives)
{
	static const char good[] = "[daemon]\ntick = 100ms\n[group g]\nmatch = cgroup:/m/**\n"
				   "iops-total = 10\niops-total-max = 20\niops-total-max-length = 3\n";
	unsigned seed = 12345;
	char buf[512];

	for (int iter = 0; iter < 3000; iter++) {
		struct policy_errors e;
		struct policy p;
		size_t len;

		if (iter % 2) {
			len = (size_t)(rand_r(&seed) % sizeof(buf));
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(rand_r(&seed) % 4 ? "[]=#;: \n\r/*ab09-KMs"[rand_r(&seed) % 20]
								  : rand_r(&seed));
		} else {
			len = sizeof(good) - 1;
			memcpy(buf, good, len);
			for (int k = 0; k < 4; k++)
				buf[rand_r(&seed) % len] = (char)rand_r(&seed);
		}
		int rc = policy_parse_buffer("r", buf, len, &p, &e);
		if (!ASSERT_TRUE(rc == 0 || (rc == -EINVAL && e.nr > 0)))
			iter = 1 << 30;
		if (!rc && !ASSERT_EQ(e.nr, 0))
			iter = 1 << 30;
		policy_free(&p);
		policy_errors_free(&e);
	}
}

/* ---- reload support ---- */

TEST(policy_group_equal_limits_compares_limits)
{
	struct policy p;

	if (!PARSES("[group a]\nmatch = vm:a\niops-total = 10\n"
		    "[group b]\nmatch = vm:b\ndevice = /dev/sdb\niops-total = 10\n"
		    "[group c]\nmatch = vm:c\niops-total = 11\n"
		    "[group d]\nmatch = vm:d\niops-total = 10\nshare = pooled\n"
		    "[group e]\nmatch = vm:e\niops-total = 10\niops-size = 4K\n"
		    "[group f]\nmatch = vm:f\niops-total = 10\niops-total-max = 10\n"
		    "[group h]\nmatch = vm:h\niops-total = 10\niops-total-max = 10\niops-total-max-length = 1\n", &p))
		return;
	ASSERT_TRUE(policy_group_equal_limits(&p.groups[0], &p.groups[1]));	/* matches, devices ignored */
	ASSERT_TRUE(!policy_group_equal_limits(&p.groups[0], &p.groups[2]));
	ASSERT_TRUE(!policy_group_equal_limits(&p.groups[0], &p.groups[3]));
	ASSERT_TRUE(!policy_group_equal_limits(&p.groups[0], &p.groups[4]));
	ASSERT_TRUE(!policy_group_equal_limits(&p.groups[0], &p.groups[5]));
	ASSERT_TRUE(policy_group_equal_limits(&p.groups[5], &p.groups[6]));	/* default length is 1 */
	policy_free(&p);
}

TEST(policy_limit_names)
{
	ASSERT_STREQ(policy_limit_name(POLICY_BPS_TOTAL), "bps-total");
	ASSERT_STREQ(policy_limit_name(POLICY_IOPS_WRITE), "iops-write");
	ASSERT_STREQ(policy_limit_name(POLICY_NR_LIMITS), "?");
}

/* ---- files ---- */

static bool write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok && chmod(path, mode) == 0;
}

TEST(policy_parse_file_ok_and_errors)
{
	char dir[] = "/tmp/iorate-policy-XXXXXX", path[64];
	struct policy_errors e;
	struct policy p;

	if (!ASSERT_TRUE(mkdtemp(dir)))
		return;
	snprintf(path, sizeof(path), "%s/x.conf", dir);
	if (!ASSERT_TRUE(write_file(path, G "iops-total = 1\n", 0644)))
		goto out;
	if (ASSERT_EQ(policy_parse_file(path, &p, &e), 0)) {
		ASSERT_STREQ(p.path, path);
		ASSERT_EQ(p.nr_groups, 1);
	}
	policy_free(&p);
	policy_errors_free(&e);
	ASSERT_EQ(policy_parse_file(dir, &p, &e), -EISDIR);
	ASSERT_EQ(e.nr, 0);
	ASSERT_EQ(policy_parse_file("/nonexistent/iorate.conf", &p, &e), -ENOENT);
	ASSERT_TRUE(write_file(path, "bogus\n", 0644));
	ASSERT_EQ(policy_parse_file(path, &p, &e), -EINVAL);
	if (ASSERT_EQ(e.nr, 1)) {
		char want[128];

		snprintf(want, sizeof(want), "%s:1: bogus: expected 'key = value'", path);
		ASSERT_STREQ(e.lines[0], want);
	}
	policy_free(&p);
	policy_errors_free(&e);
out:
	unlink(path);
	rmdir(dir);
}

TEST(policy_parse_file_too_large)
{
	char dir[] = "/tmp/iorate-policy-XXXXXX", path[64];
	struct policy_errors e;
	struct policy p;
	int fd;

	if (!ASSERT_TRUE(mkdtemp(dir)))
		return;
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (ASSERT_TRUE(fd >= 0)) {
		ASSERT_EQ(ftruncate(fd, POLICY_MAX_FILE + 1), 0);
		close(fd);
		ASSERT_EQ(policy_parse_file(path, &p, &e), -EFBIG);
	}
	unlink(path);
	rmdir(dir);
}

TEST(policy_check_file_mode_rules)
{
	char dir[] = "/tmp/iorate-mode-XXXXXX", path[64], err[256];

	if (!ASSERT_TRUE(mkdtemp(dir)))
		return;
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	if (!ASSERT_TRUE(write_file(path, "", 0644)))
		goto out;
	/* mkdtemp's 0700 dir under sticky /tmp, file 0644, ours or root's */
	if (!ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), 0))
		fprintf(stderr, "      | %s\n", err);
	ASSERT_EQ(policy_check_file_mode(path, NULL, 0) , 0);
	ASSERT_EQ(chmod(path, 0664), 0);
	ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), -1);
	ASSERT_TRUE(strstr(err, "writable by its group") != NULL);
	ASSERT_EQ(chmod(path, 0646), 0);
	ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), -1);
	ASSERT_TRUE(strstr(err, "writable by others") != NULL);
	ASSERT_EQ(chmod(path, 0600), 0);
	ASSERT_EQ(chmod(dir, 0777), 0);	/* whoever can write the dir can swap the file */
	ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), -1);
	ASSERT_TRUE(strstr(err, dir) != NULL);
	ASSERT_EQ(chmod(dir, 01777), 0);	/* sticky, as /tmp: fine */
	ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), 0);
	ASSERT_EQ(chmod(dir, 0700), 0);
	ASSERT_EQ(policy_check_file_mode(dir, err, sizeof(err)), -1);
	ASSERT_TRUE(strstr(err, "not a regular file") != NULL);
	ASSERT_EQ(policy_check_file_mode("/nonexistent/x", err, sizeof(err)), -1);
	/* a file owned by someone else (needs root to arrange) */
	if (geteuid() == 0 && ASSERT_EQ(chown(path, 65534, 65534), 0)) {
		ASSERT_EQ(policy_check_file_mode(path, err, sizeof(err)), -1);
		ASSERT_TRUE(strstr(err, "owned by uid 65534") != NULL);
	}
out:
	unlink(path);
	rmdir(dir);
}

TEST(policy_move_keys)
{
	struct policy p;

	ASSERT_TRUE(PARSES(G "iops-total = 1\n", &p));
	ASSERT_STREQ(p.daemon.move_to, "/iorate.slice");
	ASSERT_TRUE(p.groups[0].move);
	policy_free(&p);
	ASSERT_TRUE(PARSES("[daemon]\nmove-to = /vms.slice/moved\n" G "move = no\niops-total = 1\n", &p));
	ASSERT_STREQ(p.daemon.move_to, "/vms.slice/moved");
	ASSERT_TRUE(!p.groups[0].move);
	policy_free(&p);
	ONE_ERROR("[daemon]\nmove-to = /\n", "t.conf:2: move-to: '/': must be a cgroup below the root");
	ONE_ERROR("[daemon]\nmove-to = iorate.slice\n", "t.conf:2: move-to: 'iorate.slice': must be an absolute path");
	ONE_ERROR("[daemon]\nmove-to = /a/../b\n", "t.conf:2: move-to: '/a/../b': must not contain '..'");
	ONE_ERROR("[daemon]\nmove-to = /a/./b\n", "t.conf:2: move-to: '/a/./b': components must be plain names");
	ONE_ERROR("[daemon]\nmove-to = /a/\n", "t.conf:2: move-to: '/a/': components must be plain names");
	ONE_ERROR("[daemon]\nmove-to = /vm-*\n", "t.conf:2: move-to: '/vm-*': must be a literal path");
	ONE_ERROR(G "move = maybe\niops-total = 1\n", "t.conf:3: move: 'maybe': must be yes or no");
}

TEST(policy_iomax_mode_key)
{
	struct policy p;

	ASSERT_TRUE(PARSES(G "iops-total = 1\n", &p));
	ASSERT_EQ(p.daemon.iomax_mode, POLICY_IOMAX_AUTO);
	policy_free(&p);
	ASSERT_TRUE(PARSES("[daemon]\niomax-mode = steady\n" G "iops-total = 1\n", &p));
	ASSERT_EQ(p.daemon.iomax_mode, POLICY_IOMAX_STEADY);
	policy_free(&p);
	ASSERT_TRUE(PARSES("[daemon]\niomax-mode = follow\n" G "iops-total = 1\n", &p));
	ASSERT_EQ(p.daemon.iomax_mode, POLICY_IOMAX_FOLLOW);
	policy_free(&p);
	ONE_ERROR("[daemon]\niomax-mode = fast\n",
		  "t.conf:2: iomax-mode: 'fast': must be auto, follow or steady");
}

/* issue 17: the names operators already wrote in libvirt's <iotune> and
 * QEMU's -drive are the same limits; a note names iorate's key once. */
TEST(policy_qemu_and_libvirt_names_are_the_canonical_keys)
{
	const char *text =
		"[group a]\nmatch = cgroup:/a\n"
		"total_iops_sec = 300\ntotal_iops_sec_max = 900\ntotal_iops_sec_max_length = 3\n"
		"read_bytes_sec = 1M\nwrite_bytes_sec_max = 4M\nwrite_bytes_sec = 2M\n"
		"size_iops_sec = 8K\ngroup_name = tenant-1\n"
		"[group b]\nmatch = cgroup:/b\n"
		"throttling.iops-write = 50\nthrottling.iops-write-max = 200\n"
		"throttling.iops-write-max-length = 2\nthrottling.bps-total = 10M\n"
		"throttling.iops-size = 4096\nthrottling.group = g\n"
		"[group c]\nmatch = cgroup:/c\ntotal_iops_sec = 7\n"
		"[group d]\nmatch = cgroup:/d\n"
		"write_iops_sec = 100\nwrite_iops_sec_max = 400\nwrite_iops_sec_max_length = 5\n"
		"[group e]\nmatch = cgroup:/e\n"
		"throttling.bps-write = 2M\nthrottling.bps-write-max = 8M\n";
	struct policy_errors e;
	struct policy p;

	if (!ASSERT_EQ(parse(text, &p, &e), 0)) {
		dump_errors(&e);
		return;
	}
	ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 300);
	ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max, 900);
	ASSERT_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].max_length_s, 3);
	ASSERT_EQ(p.groups[0].limits[POLICY_BPS_READ].avg, 1 << 20);
	ASSERT_EQ(p.groups[0].limits[POLICY_BPS_WRITE].avg, 2 << 20);
	ASSERT_EQ(p.groups[0].limits[POLICY_BPS_WRITE].max, 4 << 20);
	ASSERT_EQ(p.groups[0].iops_size, 8192);
	ASSERT_EQ(p.groups[0].share, POLICY_SHARE_POOLED);
	ASSERT_EQ(p.groups[1].limits[POLICY_IOPS_WRITE].avg, 50);
	ASSERT_EQ(p.groups[1].limits[POLICY_IOPS_WRITE].max, 200);
	ASSERT_EQ(p.groups[1].limits[POLICY_IOPS_WRITE].max_length_s, 2);
	ASSERT_EQ(p.groups[1].limits[POLICY_BPS_TOTAL].avg, 10 << 20);
	ASSERT_EQ(p.groups[1].iops_size, 4096);
	ASSERT_EQ(p.groups[1].share, POLICY_SHARE_POOLED);
	ASSERT_EQ(p.groups[2].share, POLICY_SHARE_EACH);
	ASSERT_EQ(p.groups[3].limits[POLICY_IOPS_WRITE].avg, 100);
	ASSERT_EQ(p.groups[3].limits[POLICY_IOPS_WRITE].max, 400);
	ASSERT_EQ(p.groups[3].limits[POLICY_IOPS_WRITE].max_length_s, 5);
	ASSERT_EQ(p.groups[4].limits[POLICY_BPS_WRITE].avg, 2 << 20);
	ASSERT_EQ(p.groups[4].limits[POLICY_BPS_WRITE].max, 8 << 20);
	/* one note per name: total_iops_sec again in [group c] adds none */
	ASSERT_EQ(p.nr_notes, 19);
	ASSERT_TRUE(!strcmp(p.notes[0], "t.conf:3: total_iops_sec: note: iorate's name is iops-total"));
	ASSERT_TRUE(strstr(p.notes[8], "throttling.iops-write: note: iorate's name is iops-write") != NULL);
	policy_free(&p);
	policy_errors_free(&e);
}

/* An error names the key as the operator wrote it; an alias and its
 * canonical key in one group are one key set twice. */
TEST(policy_alias_errors_name_the_key_as_written)
{
	ASSERT_TRUE(one_error("[group a]\nmatch = cgroup:/a\ntotal_iops_sec = 100\nwrite_iops_sec = 5\n",
			      "t.conf:4: write_iops_sec: iops-total and iops-write cannot be used together", __LINE__));
	ASSERT_TRUE(one_error("[group a]\nmatch = cgroup:/a\niops-total = 100\ntotal_iops_sec = 5\n",
			      "t.conf:4: total_iops_sec: repeated key (first set at line 3)", __LINE__));
	ASSERT_TRUE(one_error("[group a]\nmatch = cgroup:/a\nthrottling.iops-total = 100\nthrottling.iops-total-max = 50\n",
			      "t.conf:4: throttling.iops-total-max: iops-total-max (50) cannot be lower", __LINE__));
	ASSERT_TRUE(one_error("[group a]\nmatch = cgroup:/a\niops-total = 1\nthrottling.iops-totals = 5\n",
			      "t.conf:4: throttling.iops-totals: unknown key in [group a]", __LINE__));
	ASSERT_TRUE(one_error("[group a]\nmatch = cgroup:/a\niops-total = 1\nshare = each\ngroup_name = x\n",
			      "t.conf:5: group_name: repeated key (first set at line 4)", __LINE__));
}

TEST(policy_limits_libvirt_is_a_template)
{
	struct policy p;

	if (!parses("[daemon]\nlibvirt-dir = /srv/lv\n[group vms]\nmatch = vm:web-*\nlimits = libvirt\n",
		    &p, __LINE__))
		return;
	ASSERT_EQ(p.nr_groups, 1);
	ASSERT_TRUE(p.groups[0].from_libvirt);
	ASSERT_STREQ(p.daemon.libvirt_dir, "/srv/lv");
	policy_free(&p);
	if (!parses("[group g]\nmatch = vm:x\niops-total = 5\nlimits = policy\n", &p, __LINE__))
		return;
	ASSERT_TRUE(!p.groups[0].from_libvirt);
	ASSERT_STREQ(p.daemon.libvirt_dir, "/run/libvirt/qemu");
	policy_free(&p);
}

TEST(policy_limits_libvirt_refuses_what_libvirt_decides)
{
	ONE_ERROR("[group vms]\nmatch = vm:*\nlimits = libvirt\niops-total = 100\n",
		  "t.conf:4: iops-total: limits = libvirt takes the limits from each domain's <iotune>");
	ONE_ERROR("[group vms]\nmatch = vm:*\nlimits = libvirt\ntotal_iops_sec = 100\n",
		  "t.conf:4: total_iops_sec: limits = libvirt takes the limits");
	ONE_ERROR("[group vms]\nmatch = vm:*\ndevice = /dev/sda\nlimits = libvirt\n",
		  "t.conf:3: device: limits = libvirt takes the disks");
	ONE_ERROR("[group vms]\nmatch = cgroup:/machine.slice/*\nlimits = libvirt\n",
		  "t.conf:2: match: limits = libvirt finds running domains by name: use vm:PATTERN");
	ONE_ERROR("[group vms]\nmatch = vm:*\nlimits = xml\n",
		  "t.conf:3: limits: 'xml': must be policy or libvirt");
	ONE_ERROR("[daemon]\nlibvirt-dir = run/libvirt\n[group vms]\nmatch = vm:*\nlimits = libvirt\n",
		  "t.conf:2: libvirt-dir: 'run/libvirt':");
}

/* ---- share = cluster ---- */

TEST(policy_cluster_keys)
{
	struct policy p;

	if (!PARSES("[daemon]\ncluster = redis://10.0.0.5:6380/tenant-a\ncluster-host = hv-01\n"
		    "cluster-password-file = /etc/iorate/redis.pass\n"
		    G "share = cluster\niops-total = 600\ncluster-fallback = 25%\n", &p))
		return;
	ASSERT_STREQ(p.daemon.cluster, "redis://10.0.0.5:6380/tenant-a");
	ASSERT_EQ(p.daemon.cluster_line, 2);
	ASSERT_STREQ(p.daemon.cluster_host, "hv-01");
	ASSERT_STREQ(p.daemon.cluster_password_file, "/etc/iorate/redis.pass");
	ASSERT_EQ(p.groups[0].share, POLICY_SHARE_CLUSTER);
	ASSERT_TRUE(policy_share_pooled(p.groups[0].share));
	ASSERT_NEAR(p.groups[0].cluster_fallback, 0.25, 1e-12);
	policy_free(&p);
	/* [daemon] after the group, and the fallback left out */
	if (!PARSES(G "share = cluster\niops-total = 600\n[daemon]\ncluster = redis://[::1]\n", &p))
		return;
	ASSERT_NEAR(p.groups[0].cluster_fallback, 0, 0);
	policy_free(&p);
	/* cluster-password: the same key, a file's path */
	if (!PARSES("[daemon]\ncluster = redis://r\ncluster-password = /etc/iorate/redis.pass\n"
		    G "share = cluster\niops-total = 600\n", &p))
		return;
	ASSERT_STREQ(p.daemon.cluster_password_file, "/etc/iorate/redis.pass");
	policy_free(&p);
	ONE_ERROR("[daemon]\ncluster = redis://r\ncluster-password = /a\ncluster-password-file = /b\n"
		  G "share = cluster\niops-total = 600\n",
		  "t.conf:4: cluster-password-file: repeated key (first set at line 3)");
}

TEST(policy_cluster_errors)
{
	ONE_ERROR(G "share = cluster\niops-total = 600\n",
		  "t.conf:3: share: share = cluster needs cluster = redis://HOST:PORT in [daemon]");
	ONE_ERROR("[daemon]\ncluster = redis://r:6379\n" G "iops-total = 600\n",
		  "t.conf:2: cluster: no group has share = cluster");
	ONE_ERROR("[daemon]\ncluster = http://r:6379\n" G "share = cluster\niops-total = 1\n",
		  "t.conf:2: cluster: 'http://r:6379': must start with redis://");
	ONE_ERROR("[daemon]\ncluster = redis://r:0\n" G "share = cluster\niops-total = 1\n",
		  "t.conf:2: cluster: 'redis://r:0': port must be a number from 1 to 65535");
	ONE_ERROR("[daemon]\ncluster = redis://r/{x}\n" G "share = cluster\niops-total = 1\n",
		  "t.conf:2: cluster: 'redis://r/{x}': prefix:");
	ONE_ERROR("[daemon]\ncluster = redis://r\ncluster-host = a b\n" G "share = cluster\niops-total = 1\n",
		  "t.conf:3: cluster-host: 'a b': not a valid host name");
	ONE_ERROR("[daemon]\ncluster = redis://r\ncluster-password-file = pass\n" G
		  "share = cluster\niops-total = 1\n",
		  "t.conf:3: cluster-password-file: 'pass': must be an absolute path");
	ONE_ERROR(G "iops-total = 600\ncluster-fallback = 25%\n",
		  "t.conf:4: cluster-fallback: needs share = cluster");
	ONE_ERROR("[daemon]\ncluster = redis://r\n" G "share = cluster\niops-total = 1\ncluster-fallback = 0%\n",
		  "t.conf:7: cluster-fallback: '0%': must be from 1% to 100%");
	ONE_ERROR("[daemon]\ncluster = redis://r\n" G "share = cluster\niops-total = 1\ncluster-fallback = 0.5\n",
		  "t.conf:7: cluster-fallback: '0.5': ");
	ONE_ERROR(G "share = shared\niops-total = 1\n",
		  "t.conf:3: share: 'shared': must be each, pooled or cluster");
}
