// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* limits = libvirt: template groups expanded from a directory of libvirt
 * status files, with the fake host of fake_disks.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "libvirt_live.h"
#include "log.h"
#include "policy.h"

#include "fake_disks.h"

#define STATUS(name, disks) \
	"<domstatus state='running' reason='booted' pid='4242'>\n" \
	"  <monitor path='/var/lib/libvirt/qemu/domain-1-" name "/monitor.sock' type='unix'/>\n" \
	"  <domain type='qemu' id='1'><name>" name "</name><devices>" disks "</devices></domain>\n" \
	"</domstatus>\n"
#define DISK(file, tgt, iotune) \
	"<disk type='file' device='disk'><source file='" file "'/><target dev='" tgt "'/>" \
	"<iotune>" iotune "</iotune></disk>"

static bool put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!ASSERT_TRUE(f != NULL))
		return false;
	fputs(text, f);
	fclose(f);
	return true;
}

static bool parse_policy(const char *text, struct policy *p)
{
	struct policy_errors e;
	int rc = policy_parse_buffer("t.conf", text, strlen(text), p, &e);

	for (int i = 0; i < e.nr; i++)
		test_fail(__FILE__, __LINE__, "%s", e.lines[i]);
	policy_errors_free(&e);
	return ASSERT_EQ(rc, 0);
}

static const struct policy_group *find(const struct policy *p, const char *name)
{
	for (int i = 0; i < p->nr_groups; i++)
		if (!strcmp(p->groups[i].name, name))
			return &p->groups[i];
	test_fail(__FILE__, __LINE__, "no group %s", name);
	return NULL;
}

static void rmtree(const char *dir)
{
	static const char *const names[] = { "web-1.xml", "db-1.xml", "broken.xml",
					     "web-1.xml.new", "bad-limits.xml" };
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

TEST(libvirt_live_expands_templates_per_domain_and_disk)
{
	char dir[] = "/tmp/iorate-lv-XXXXXX";
	struct libvirt_live_report rep;
	const struct policy_group *g;
	struct policy p = { 0 };

	log_set_level(LOG_LEVEL_ERROR);
	if (!ASSERT_TRUE(mkdtemp(dir) != NULL))
		return;
	/* two drives on one host disk, summed; a second VM on another disk;
	 * a file that is not XML; libvirt's half-written temporary */
	if (!put(dir, "web-1.xml", STATUS("web-1",
			DISK("/sdd/a.img", "vda", "<total_iops_sec>200</total_iops_sec>")
			DISK("/sdd/b.img", "vdb", "<total_iops_sec>100</total_iops_sec>"))) ||
	    !put(dir, "db-1.xml", STATUS("db-1",
			DISK("/sde/db.img", "vda", "<write_bytes_sec>1048576</write_bytes_sec>"))) ||
	    !put(dir, "broken.xml", "<domstatus><domain>") ||
	    !put(dir, "web-1.xml.new", "<half"))
		goto cleanup;
	if (!parse_policy("[group static]\nmatch = cgroup:/x\niops-total = 5\n"
			  "[group vms]\nmatch = vm:web-*\nlimits = libvirt\n"
			  "[group dbs]\nmatch = vm:db-*\nmatch = vm:web-*\nlimits = libvirt\n", &p))
		goto cleanup;
	if (!ASSERT_EQ(libvirt_live_expand(&p, dir, fake_resolve, NULL, &rep), 0))
		goto cleanup;
	ASSERT_EQ(rep.files, 3);
	ASSERT_EQ(rep.bad, 1);
	ASSERT_EQ(rep.domains, 2);
	ASSERT_EQ(rep.groups, 2);
	/* the templates are gone, the static group stays first */
	if (!ASSERT_EQ(p.nr_groups, 3))
		goto cleanup;
	ASSERT_STREQ(p.groups[0].name, "static");
	for (int i = 0; i < p.nr_groups; i++)
		ASSERT_TRUE(!p.groups[i].from_libvirt);
	/* web-1 goes to the first template that matches it, not to dbs */
	g = find(&p, "vms.web-1-sdd");
	if (g) {
		ASSERT_U64_EQ(g->limits[POLICY_IOPS_TOTAL].avg, 300);
		ASSERT_EQ(g->nr_matches, 1);
		ASSERT_EQ(g->matches[0].kind, POLICY_MATCH_VM);
		ASSERT_STREQ(g->matches[0].pattern, "web-1");
		ASSERT_EQ(g->nr_devices, 1);
		ASSERT_STREQ(g->devices[0].spec, "/dev/sdd");
	}
	g = find(&p, "dbs.db-1-sde");
	if (g) {
		ASSERT_U64_EQ(g->limits[POLICY_BPS_WRITE].avg, 1048576);
		ASSERT_STREQ(g->devices[0].spec, "/dev/sde");
	}
cleanup:
	policy_free(&p);
	rmtree(dir);
	log_set_level(LOG_LEVEL_INFO);
}

TEST(libvirt_live_changed_limits_and_stopped_domains)
{
	char dir[] = "/tmp/iorate-lv-XXXXXX";
	const char *pol = "[group vms]\nmatch = vm:*\nlimits = libvirt\n";
	struct libvirt_live_report rep;
	struct policy p = { 0 };

	log_set_level(LOG_LEVEL_ERROR);
	if (!ASSERT_TRUE(mkdtemp(dir) != NULL))
		return;
	/* `virsh blkdeviotune web-1 vda --total-iops-sec 50` rewrites it */
	if (!put(dir, "web-1.xml", STATUS("web-1",
			DISK("/sdd/a.img", "vda", "<total_iops_sec>50</total_iops_sec>"))) ||
	    !parse_policy(pol, &p) ||
	    !ASSERT_EQ(libvirt_live_expand(&p, dir, fake_resolve, NULL, &rep), 0) ||
	    !ASSERT_EQ(p.nr_groups, 1))
		goto cleanup;
	ASSERT_U64_EQ(p.groups[0].limits[POLICY_IOPS_TOTAL].avg, 50);
	policy_free(&p);
	/* a max below the base rate: QEMU's rules, a warning, no group; the
	 * other domain is not held back by it */
	if (!put(dir, "bad-limits.xml", STATUS("bad-limits",
			DISK("/sdd/c.img", "vda",
			     "<total_iops_sec>50</total_iops_sec><total_iops_sec_max>10</total_iops_sec_max>"))) ||
	    !parse_policy(pol, &p) ||
	    !ASSERT_EQ(libvirt_live_expand(&p, dir, fake_resolve, NULL, &rep), 0))
		goto cleanup;
	ASSERT_EQ(rep.bad, 1);
	ASSERT_EQ(p.nr_groups, 1);
	policy_free(&p);
	/* the domain stopped (libvirt removes its file), or libvirt-dir does
	 * not exist: no group, and no error */
	rmtree(dir);
	if (!parse_policy(pol, &p) ||
	    !ASSERT_EQ(libvirt_live_expand(&p, dir, fake_resolve, NULL, &rep), 0))
		goto cleanup;
	ASSERT_EQ(p.nr_groups, 0);
	ASSERT_EQ(rep.files, 0);
cleanup:
	policy_free(&p);
	rmtree(dir);
	log_set_level(LOG_LEVEL_INFO);
}
