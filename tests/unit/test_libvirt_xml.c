// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libvirt domain XML -> policy: parsing, summing, and the text written,
 * with a fake resolver standing in for the host's disks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "libvirt_xml.h"
#include "policy.h"

#include "fake_disks.h"

static bool parse(const char *xml, struct lv_domain *d)
{
	char err[512] = "";
	int r = lv_domain_parse(xml, strlen(xml), d, err, sizeof(err));

	if (r)
		test_fail(__FILE__, __LINE__, "parse failed: %s", err);
	return r == 0;
}

/* Write the policy for one domain and parse it back as iorate would. */
static bool import(const char *xml, struct policy *pol, struct lv_report *rep, char **text)
{
	struct policy_errors errs;
	struct lv_domain d;
	size_t len = 0;
	FILE *mem;
	bool ok;

	*text = NULL;
	if (!parse(xml, &d))
		return false;
	mem = open_memstream(text, &len);
	ok = ASSERT_TRUE(mem != NULL) &&
	     ASSERT_EQ(lv_policy_write(mem, NULL, &d, 1, fake_resolve, NULL, rep), 0);
	if (mem)
		fclose(mem);
	lv_domain_free(&d);
	if (!ok)
		return false;
	if (policy_parse_buffer("import", *text, len, pol, &errs)) {
		for (int i = 0; i < errs.nr; i++)
			test_fail(__FILE__, __LINE__, "%s", errs.lines[i]);
		test_fail(__FILE__, __LINE__, "in:\n%s", *text);
		policy_errors_free(&errs);
		return false;
	}
	return true;
}

#define DOM(name, body) "<domain type='kvm'><name>" name "</name><devices>" body "</devices></domain>"
#define DISK(file, tgt, iotune) \
	"<disk type='file' device='disk'><source file='" file "'/><target dev='" tgt "'/>" \
	"<iotune>" iotune "</iotune></disk>"

TEST(libvirt_parse_every_iotune_element)
{
	struct lv_domain d;
	const struct lv_limits *l;

	if (!parse(DOM("vm1", DISK("/sdd/a.img", "vda",
		"<total_bytes_sec>1</total_bytes_sec><read_bytes_sec>2</read_bytes_sec>"
		"<write_bytes_sec>3</write_bytes_sec><total_iops_sec>4</total_iops_sec>"
		"<read_iops_sec>5</read_iops_sec><write_iops_sec>6</write_iops_sec>"
		"<total_bytes_sec_max>11</total_bytes_sec_max><read_bytes_sec_max>12</read_bytes_sec_max>"
		"<write_bytes_sec_max>13</write_bytes_sec_max><total_iops_sec_max>14</total_iops_sec_max>"
		"<read_iops_sec_max>15</read_iops_sec_max><write_iops_sec_max>16</write_iops_sec_max>"
		"<total_bytes_sec_max_length>21</total_bytes_sec_max_length>"
		"<read_bytes_sec_max_length>22</read_bytes_sec_max_length>"
		"<write_bytes_sec_max_length>23</write_bytes_sec_max_length>"
		"<total_iops_sec_max_length>24</total_iops_sec_max_length>"
		"<read_iops_sec_max_length>25</read_iops_sec_max_length>"
		"<write_iops_sec_max_length>26</write_iops_sec_max_length>"
		"<size_iops_sec>4096</size_iops_sec><group_name> g1 </group_name>")), &d))
		return;
	ASSERT_STREQ(d.name, "vm1");
	ASSERT_EQ(d.nr_disks, 1);
	ASSERT_STREQ(d.disks[0].target, "vda");
	ASSERT_EQ(d.disks[0].kind, LV_SRC_FILE);
	ASSERT_STREQ(d.disks[0].source, "/sdd/a.img");
	ASSERT_TRUE(d.disks[0].has_iotune);
	ASSERT_STREQ(d.disks[0].group_name, "g1");
	l = &d.disks[0].limits;
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		ASSERT_U64_EQ(l->l[i].avg, (uint64_t)i + 1);
		ASSERT_U64_EQ(l->l[i].max, (uint64_t)i + 11);
		ASSERT_EQ(l->l[i].max_length_s, i + 21);
	}
	ASSERT_U64_EQ(l->iops_size, 4096);
	ASSERT_TRUE(d.notes == NULL);
	lv_domain_free(&d);
}

TEST(libvirt_parse_source_kinds)
{
	struct lv_domain d;

	if (!parse(DOM("vm1",
		"<disk type='block'><source dev='/dev/sdd'/><target dev='vda'/></disk>"
		"<disk type='network'><source protocol='rbd' name='pool/img'/><target dev='vdb'/></disk>"
		"<disk type='volume'><source pool='p' volume='v'/><target dev='vdc'/></disk>"
		"<disk type='file' device='cdrom'><target dev='sda'/></disk>"
		"<disk type='nvme'><source type='pci'/><target dev='vde'/></disk>"
		"<disk type='file'><source file='/x'/></disk>"), &d))
		return;
	ASSERT_EQ(d.nr_disks, 6);
	ASSERT_EQ(d.disks[0].kind, LV_SRC_BLOCK);
	ASSERT_STREQ(d.disks[0].source, "/dev/sdd");
	ASSERT_EQ(d.disks[1].kind, LV_SRC_NETWORK);
	ASSERT_STREQ(d.disks[1].source, "rbd pool/img");
	ASSERT_EQ(d.disks[2].kind, LV_SRC_VOLUME);
	ASSERT_STREQ(d.disks[2].source, "p/v");
	ASSERT_EQ(d.disks[3].kind, LV_SRC_NONE);
	ASSERT_EQ(d.disks[4].kind, LV_SRC_OTHER);
	ASSERT_STREQ(d.disks[5].target, "disk#6");
	for (int i = 0; i < d.nr_disks; i++)
		ASSERT_TRUE(!d.disks[i].has_iotune);
	lv_domain_free(&d);
}

TEST(libvirt_parse_errors)
{
	static const struct { const char *xml, *want; } cases[] = {
		{ "<domain><name>x</name>", "not well-formed XML" },
		{ "<network><name>x</name></network>", "not a libvirt domain" },
		{ "<domain><devices/></domain>", "no <name>" },
		{ DOM("x", DISK("/sdd/a", "vda", "<total_iops_sec>12abc</total_iops_sec>")),
		  "disk vda: <total_iops_sec>12abc</total_iops_sec>: not a whole number" },
		{ DOM("x", DISK("/sdd/a", "vda", "<total_iops_sec>-1</total_iops_sec>")),
		  "not a whole number" },
		{ DOM("x", DISK("/sdd/a", "vda", "<total_iops_sec>1000000000000001</total_iops_sec>")),
		  "above QEMU's limit" },
		{ DOM("x", DISK("/sdd/a", "vda", "<total_iops_sec></total_iops_sec>")), "is empty" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lv_domain d;
		char err[512] = "";

		if (!ASSERT_TRUE(lv_domain_parse(cases[i].xml, strlen(cases[i].xml), &d, err,
						 sizeof(err)) < 0))
			continue;
		if (!strstr(err, cases[i].want))
			test_fail(__FILE__, __LINE__, "case %zu: '%s' lacks '%s'", i, err,
				  cases[i].want);
		ASSERT_TRUE(d.name == NULL && d.disks == NULL);
		lv_domain_free(&d);
	}
}

TEST(libvirt_parse_no_entity_expansion)
{
	static const char xml[] =
		"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
		"<domain><name>a&e;</name></domain>";
	struct lv_domain d;
	char err[512];

	/* Either refused or read literally: never the file's text. */
	if (lv_domain_parse(xml, strlen(xml), &d, err, sizeof(err)) == 0) {
		ASSERT_TRUE(strstr(d.name, "root:") == NULL);
		lv_domain_free(&d);
	}
}

TEST(libvirt_import_seed_total_bytes)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("virtual-machine-1", DISK("/sdd/vm1/os.img", "vda",
			"<total_bytes_sec>125829120</total_bytes_sec>"
			"<total_iops_sec>3000</total_iops_sec>")), &pol, &rep, &text))
		goto out;
	ASSERT_TRUE(strstr(text, "bps-total = 120M\n") != NULL);
	ASSERT_EQ(rep.groups, 1);
	ASSERT_EQ(rep.unmapped, 0);
	ASSERT_EQ(pol.nr_groups, 1);
	ASSERT_STREQ(pol.groups[0].name, "virtual-machine-1-sdd");
	ASSERT_EQ(pol.groups[0].nr_matches, 1);
	ASSERT_EQ(pol.groups[0].matches[0].kind, POLICY_MATCH_VM);
	ASSERT_STREQ(pol.groups[0].matches[0].pattern, "virtual-machine-1");
	ASSERT_STREQ(pol.groups[0].devices[0].spec, "/dev/sdd");
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_BPS_TOTAL].avg, 125829120);
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_IOPS_TOTAL].avg, 3000);
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_bursts_and_size)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("b", DISK("/sdd/a", "vda",
			"<total_iops_sec>3000</total_iops_sec><total_iops_sec_max>6000</total_iops_sec_max>"
			"<total_iops_sec_max_length>60</total_iops_sec_max_length>"
			"<write_bytes_sec>1000</write_bytes_sec><write_bytes_sec_max>2000</write_bytes_sec_max>"
			"<size_iops_sec>16384</size_iops_sec>")), &pol, &rep, &text))
		goto out;
	const struct policy_group *g = &pol.groups[0];
	ASSERT_U64_EQ(g->limits[POLICY_IOPS_TOTAL].avg, 3000);
	ASSERT_U64_EQ(g->limits[POLICY_IOPS_TOTAL].max, 6000);
	ASSERT_EQ(g->limits[POLICY_IOPS_TOTAL].max_length_s, 60);
	ASSERT_U64_EQ(g->limits[POLICY_BPS_WRITE].avg, 1000);
	ASSERT_U64_EQ(g->limits[POLICY_BPS_WRITE].max, 2000);
	ASSERT_EQ(g->limits[POLICY_BPS_WRITE].max_length_s, 1);
	ASSERT_U64_EQ(g->iops_size, 16384);
	policy_free(&pol);
out:
	free(text);
}

/* Two VMs per SSD (the seed): one group per VM per disk, not a shared one. */
TEST(libvirt_import_drives_summed_per_host_disk)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("vm", DISK("/sdd/a", "vda", "<total_iops_sec>3000</total_iops_sec>")
			      DISK("/sdd/b", "vdb", "<total_iops_sec>1000</total_iops_sec>")
			      DISK("/sde/c", "vdc", "<total_iops_sec>500</total_iops_sec>")),
		    &pol, &rep, &text))
		goto out;
	if (!ASSERT_EQ(pol.nr_groups, 2))
		goto free;
	ASSERT_STREQ(pol.groups[0].name, "vm-sdd");
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_IOPS_TOTAL].avg, 4000);
	ASSERT_STREQ(pol.groups[1].name, "vm-sde");
	ASSERT_STREQ(pol.groups[1].devices[0].spec, "/dev/sde");
	ASSERT_U64_EQ(pol.groups[1].limits[POLICY_IOPS_TOTAL].avg, 500);
free:
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_throttle_group_counts_once)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("vm", DISK("/sdd/a", "vda", "<total_iops_sec>1000</total_iops_sec><group_name>g</group_name>")
			      DISK("/sdd/b", "vdb", "<total_iops_sec>1000</total_iops_sec><group_name>g</group_name>")),
		    &pol, &rep, &text))
		goto out;
	ASSERT_EQ(pol.nr_groups, 1);
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_IOPS_TOTAL].avg, 1000);
	ASSERT_EQ(rep.warnings, 0);
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_unmappable_drives)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("vm",
			"<disk type='network'><source protocol='rbd' name='p/i'/><target dev='vda'/>"
			"<iotune><total_iops_sec>10</total_iops_sec></iotune></disk>"
			DISK("/nowhere/x", "vdb", "<total_iops_sec>20</total_iops_sec>")
			"<disk type='file'><source file='/nowhere/y'/><target dev='vdc'/></disk>"),
		    &pol, &rep, &text))
		goto out;
	ASSERT_EQ(pol.nr_groups, 0);
	ASSERT_EQ(rep.unmapped, 2);	/* vdc has no limits: nothing lost */
	ASSERT_TRUE(strstr(text, "# cannot map vda (network rbd p/i): a network disk") != NULL);
	ASSERT_TRUE(strstr(text, "# cannot map vdb (file /nowhere/x): /nowhere/x: no such file") != NULL);
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_blkiotune)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import("<domain><name>old</name><blkiotune><weight>100</weight>"
		    "<device><path>/dev/sdd</path><read_iops_sec>400</read_iops_sec>"
		    "<write_bytes_sec>5242880</write_bytes_sec></device>"
		    "<device><path>/dev/sde</path><weight>10</weight></device>"
		    "</blkiotune></domain>", &pol, &rep, &text))
		goto out;
	if (!ASSERT_EQ(pol.nr_groups, 1))
		goto free;
	ASSERT_STREQ(pol.groups[0].name, "old-blkio-sdd");
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_IOPS_READ].avg, 400);
	ASSERT_U64_EQ(pol.groups[0].limits[POLICY_BPS_WRITE].avg, 5242880);
	ASSERT_EQ(rep.warnings, 1);	/* libvirt writes io.max too */
free:
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_names_escaped)
{
	struct lv_report rep;
	struct policy pol;
	char *text;

	if (!import(DOM("we*b #1", DISK("/sdd/a", "vda", "<total_iops_sec>1</total_iops_sec>")),
		    &pol, &rep, &text))
		goto out;
	ASSERT_STREQ(pol.groups[0].name, "we_b__1-sdd");
	ASSERT_STREQ(pol.groups[0].matches[0].pattern, "we\\*b\\ \\#1");
	policy_free(&pol);
out:
	free(text);
}

TEST(libvirt_import_duplicate_names_get_suffixes)
{
	struct lv_domain d[2];
	struct lv_report rep;
	struct policy pol;
	struct policy_errors errs;
	char *text = NULL;
	size_t len;
	FILE *mem;

	if (!parse(DOM("a.b", DISK("/sdd/a", "vda", "<total_iops_sec>1</total_iops_sec>")), &d[0]))
		return;
	if (!parse(DOM("a b", DISK("/sdd/a", "vda", "<total_iops_sec>1</total_iops_sec>")), &d[1]))
		goto free0;
	mem = open_memstream(&text, &len);
	lv_policy_write(mem, NULL, d, 2, fake_resolve, NULL, &rep);
	fclose(mem);
	if (ASSERT_EQ(policy_parse_buffer("x", text, len, &pol, &errs), 0)) {
		ASSERT_STREQ(pol.groups[0].name, "a.b-sdd");
		ASSERT_STREQ(pol.groups[1].name, "a_b-sdd");
		policy_free(&pol);
	}
	policy_errors_free(&errs);
	free(text);
	lv_domain_free(&d[1]);
free0:
	lv_domain_free(&d[0]);
}

static struct lv_limits lim(enum policy_limit_id id, uint64_t avg, uint64_t max, uint32_t len)
{
	struct lv_limits l = { 0 };

	l.l[id].avg = avg;
	l.l[id].max = max;
	l.l[id].max_length_s = len;
	return l;
}

TEST(libvirt_sum_same_kind)
{
	struct lv_limits in[2] = { lim(POLICY_IOPS_READ, 100, 0, 0), lim(POLICY_IOPS_READ, 50, 0, 0) }, out;
	char notes[1024];

	in[1].l[POLICY_IOPS_WRITE].avg = 70;
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.l[POLICY_IOPS_READ].avg, 150);
	/* the first drive's writes were free in QEMU: said so */
	ASSERT_U64_EQ(out.l[POLICY_IOPS_WRITE].avg, 70);
	ASSERT_TRUE(strstr(notes, "1 of 2 drives set no iops-write") != NULL);
}

TEST(libvirt_sum_folds_read_write_into_total)
{
	struct lv_limits in[2] = { lim(POLICY_BPS_TOTAL, 1000, 0, 0), lim(POLICY_BPS_READ, 300, 0, 0) }, out;
	char notes[1024];

	in[1].l[POLICY_BPS_WRITE].avg = 200;
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.l[POLICY_BPS_TOTAL].avg, 1500);
	ASSERT_U64_EQ(out.l[POLICY_BPS_READ].avg, 0);
	ASSERT_U64_EQ(out.l[POLICY_BPS_WRITE].avg, 0);
	ASSERT_TRUE(strstr(notes, "added into bps-total") != NULL);
}

TEST(libvirt_sum_bursts_keep_allowance)
{
	struct lv_limits in[2] = { lim(POLICY_IOPS_TOTAL, 100, 200, 10),
				   lim(POLICY_IOPS_TOTAL, 100, 200, 10) }, out;
	char notes[1024];

	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.l[POLICY_IOPS_TOTAL].avg, 200);
	ASSERT_U64_EQ(out.l[POLICY_IOPS_TOTAL].max, 400);
	ASSERT_EQ(out.l[POLICY_IOPS_TOTAL].max_length_s, 10);
	ASSERT_STREQ(notes, "");

	/* one drive without a burst: its base rate joins -max, length shrinks
	 * so that max x length stays 200 x 10 */
	in[1] = lim(POLICY_IOPS_TOTAL, 100, 0, 0);
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.l[POLICY_IOPS_TOTAL].max, 300);
	ASSERT_EQ(out.l[POLICY_IOPS_TOTAL].max_length_s, 6);
	ASSERT_TRUE(strstr(notes, "iops-total-max-length") != NULL);
}

TEST(libvirt_sum_iops_size)
{
	struct lv_limits in[2] = { lim(POLICY_IOPS_TOTAL, 1, 0, 0), lim(POLICY_IOPS_TOTAL, 1, 0, 0) }, out;
	char notes[1024];

	in[0].iops_size = 4096;
	in[1].iops_size = 4096;
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.iops_size, 4096);
	in[1].iops_size = 16384;
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.iops_size, 16384);
	in[1].iops_size = 0;
	lv_limits_sum(in, 2, &out, notes, sizeof(notes));
	ASSERT_U64_EQ(out.iops_size, 0);
	ASSERT_TRUE(strstr(notes, "iops-size") != NULL);
}

TEST(libvirt_glob_escape_and_group_name)
{
	char buf[64];

	lv_glob_escape("a*b?[c]\\d#e;f g", buf, sizeof(buf));
	ASSERT_STREQ(buf, "a\\*b\\?\\[c\\]\\\\d\\#e\\;f\\ g");
	lv_group_name("web-1.example/x y", buf, sizeof(buf));
	ASSERT_STREQ(buf, "web-1.example_x_y");
	lv_group_name("", buf, sizeof(buf));
	ASSERT_STREQ(buf, "_");
}
