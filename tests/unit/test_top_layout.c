// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * iorate top's columns at a width and the names in them (top_layout.c):
 * at 80 columns a member's VM name and group stay beside the rates and the
 * limit; long names are cut at the front; wider screens get the cgroup
 * path back; a cgroup below a VM's scope is named by the VM.
 */
#include <string.h>
#include <json-c/json.h>
#include "status.h"
#include "test.h"
#include "top.h"

/* a member view with a daemon: "web-1" of group "vms", its scope's path */
static const struct top_layout_want short_names = { .name = 5, .group = 3, .cgroup = 40 };

static int sum_widths(const struct top_layout *lay)
{
	int used = 0;

	for (int c = 0; c < TOP_NR_COLS; c++)
		if (lay->on[c])
			used += lay->width[c] + (c == COL_NAME ? 0 : 1);
	return used;
}

TEST(top_layout_80_columns_keeps_name_group_rates_and_limit)
{
	struct top_layout lay;

	top_layout_fit(80, true, false, &short_names, &lay);
	ASSERT_TRUE(lay.used <= 80);
	ASSERT_EQ(lay.used, sum_widths(&lay));
	for (int c = COL_NAME; c <= COL_PCT; c++)
		if (!ASSERT_TRUE(lay.on[c]))
			fprintf(stderr, "    column %s left out at 80\n", top_cols[c].title);
	/* the extras make room, IO.MAX and the path first */
	ASSERT_TRUE(!lay.on[COL_CGROUP] && !lay.on[COL_IOMAX] && !lay.on[COL_THROT]);
	ASSERT_TRUE(lay.width[COL_NAME] >= 12);
	ASSERT_EQ(lay.width[COL_GROUP], 5);	/* "GROUP": as wide as its title */
}

TEST(top_layout_a_long_name_pushes_extras_out_not_the_group)
{
	struct top_layout_want want = { .name = 18, .group = 10, .cgroup = 60 };
	struct top_layout lay;

	/* "prod-db-replica-03": AWAIT goes, the name is whole */
	top_layout_fit(80, true, false, &want, &lay);
	ASSERT_TRUE(lay.used <= 80);
	ASSERT_EQ(lay.used, sum_widths(&lay));
	ASSERT_TRUE(lay.on[COL_GROUP] && lay.on[COL_LIMIT] && lay.on[COL_PCT]);
	ASSERT_TRUE(!lay.on[COL_AWAIT]);
	ASSERT_TRUE(lay.width[COL_NAME] >= 18);
	ASSERT_EQ(lay.width[COL_GROUP], 10);
	/* a 60-character name: every extra goes, not the rates or the group */
	want.name = 60;
	top_layout_fit(80, true, false, &want, &lay);
	ASSERT_TRUE(lay.used <= 80);
	ASSERT_EQ(lay.width[COL_NAME], 19);
	ASSERT_TRUE(!lay.on[COL_FILL]);
	ASSERT_TRUE(lay.on[COL_GROUP] && lay.on[COL_RMB] && lay.on[COL_WMB]);
	/* ... and up to a 24-column name, no more: FILL stays at 90 */
	top_layout_fit(90, true, false, &want, &lay);
	ASSERT_EQ(lay.width[COL_NAME], 24);
	ASSERT_TRUE(lay.on[COL_FILL] && !lay.on[COL_AWAIT]);
	/* group names are cut at 16 */
	want.group = 40;
	top_layout_fit(80, true, false, &want, &lay);
	ASSERT_EQ(lay.width[COL_GROUP], 16);
	ASSERT_TRUE(lay.used <= 80);
}

TEST(top_layout_wide_screens_show_everything_and_the_path)
{
	struct top_layout lay;

	top_layout_fit(200, true, false, &short_names, &lay);
	for (int c = 0; c < TOP_NR_COLS; c++)
		if (!ASSERT_TRUE(lay.on[c]))
			fprintf(stderr, "    column %s left out at 200\n", top_cols[c].title);
	ASSERT_EQ(lay.width[COL_NAME], 12);
	ASSERT_EQ(lay.width[COL_CGROUP], 40);
	ASSERT_EQ(lay.used, sum_widths(&lay));
	ASSERT_TRUE(lay.used <= 200);
	/* no VM names: the name column holds the paths, no CGROUP column */
	struct top_layout_want paths = { .name = 40, .group = 4, .cgroup = 0 };

	top_layout_fit(200, true, false, &paths, &lay);
	ASSERT_TRUE(!lay.on[COL_CGROUP]);
	ASSERT_EQ(lay.width[COL_NAME], 40);
	/* the group view: no GROUP column, the name is the group */
	top_layout_fit(200, true, true, &short_names, &lay);
	ASSERT_TRUE(!lay.on[COL_GROUP] && !lay.on[COL_CGROUP]);
	/* without a daemon: no group, no limit */
	top_layout_fit(80, false, false, &paths, &lay);
	ASSERT_TRUE(!lay.on[COL_GROUP] && !lay.on[COL_LIMIT] && !lay.on[COL_IOMAX]);
	ASSERT_TRUE(lay.on[COL_AWAIT] && lay.used <= 80);
}

TEST(top_layout_fits_every_width)
{
	struct top_layout_want wants[] = {
		short_names, { .name = 18, .group = 10, .cgroup = 60 },
		{ .name = 200, .group = 40, .cgroup = 4000 }, { 0 },
	};

	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++)
		for (int cols = 48; cols <= 300; cols++) {
			struct top_layout lay;

			top_layout_fit(cols, true, false, &wants[i], &lay);
			if (!ASSERT_TRUE(lay.used <= cols && lay.used == sum_widths(&lay))) {
				fprintf(stderr, "    want %d/%d/%d at %d: %d used\n", wants[i].name,
					wants[i].group, wants[i].cgroup, cols, lay.used);
				return;
			}
			/* the group stays down to 80 columns, the shortest groups
			 * down to 60 */
			if ((cols >= 80 || (cols >= 60 && wants[i].group <= 10)) &&
			    !ASSERT_TRUE(lay.on[COL_GROUP]))
				return;
			/* the cut buffer holds every column */
			if (!ASSERT_TRUE(lay.width[COL_CGROUP] < TOP_CUT_MAX - 4 &&
					 lay.width[COL_NAME] < TOP_CUT_MAX - 4))
				return;
		}
}

TEST(top_fit_keeps_the_end_of_a_name)
{
	char buf[TOP_CUT_MAX];
	const char *path = "/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope";

	ASSERT_STREQ(top_fit("web-1", 12, buf, sizeof(buf)), "web-1");
	ASSERT_STREQ(top_fit("prod-db-replica-03", 18, buf, sizeof(buf)), "prod-db-replica-03");
	ASSERT_STREQ(top_fit("prod-db-replica-03", 12, buf, sizeof(buf)), "..replica-03");
	ASSERT_STREQ(top_fit(path, 16, buf, sizeof(buf)), "..web\\x2d1.scope");
	ASSERT_EQ((int)strlen(top_fit(path, 16, buf, sizeof(buf))), 16);
	ASSERT_STREQ(top_fit("prod-db-replica-03", 2, buf, sizeof(buf)), "03");
	ASSERT_STREQ(top_fit("prod-db-replica-03", 0, buf, sizeof(buf)), "");
	/* never half a UTF-8 character: "é" is two bytes */
	ASSERT_STREQ(top_fit("caf\xc3\xa9-db", 6, buf, sizeof(buf)), "..-db");
}

TEST(top_vm_of_path_names_a_vm_and_what_lies_below)
{
	char vm[256];
	const char *rest;

	rest = top_vm_of_path("/machine.slice/machine-qemu\\x2d3\\x2dweb\\x2d1.scope/libvirt/emulator",
			      vm, sizeof(vm));
	ASSERT_TRUE(rest != NULL);
	ASSERT_STREQ(vm, "web-1");
	ASSERT_STREQ(rest, "/libvirt/emulator");
	rest = top_vm_of_path("/machine/qemu-3-web-1.libvirt-qemu", vm, sizeof(vm));
	ASSERT_TRUE(rest != NULL && !*rest);
	ASSERT_STREQ(vm, "web-1");
	/* a bare QEMU the daemon moved under the default move-to */
	rest = top_vm_of_path("/iorate.slice/vm-db-1", vm, sizeof(vm));
	ASSERT_TRUE(rest != NULL && !*rest);
	ASSERT_STREQ(vm, "db-1");
	ASSERT_TRUE(!top_vm_of_path("/iorate.slice/pid-4242", vm, sizeof(vm)));
	ASSERT_TRUE(!top_vm_of_path("/other.slice/vm-db-1", vm, sizeof(vm)));
	ASSERT_TRUE(!top_vm_of_path("/system.slice/sshd.service", vm, sizeof(vm)));
	ASSERT_TRUE(!top_vm_of_path("/", vm, sizeof(vm)));
}

TEST(top_known_match_names_rows_by_member_and_disk)
{
	struct top_known known[] = {
		{ "/machine.slice/a.scope", "sdb", "vms", "web-1" },
		{ "/machine.slice/a.scope", "sdc", "vms2", "web-1" },
		{ "/machine.slice", "sdb", "all", NULL },
	};
	const char *vm;
	int idx[4];

	ASSERT_EQ(top_known_match(known, 3, "/machine.slice/a.scope/libvirt/emulator", "sdb",
				  idx, 4, &vm), 2);
	ASSERT_TRUE(idx[0] == 0 && idx[1] == 2);
	ASSERT_STREQ(vm, "web-1");
	/* a prefix of a name is not a cgroup above it */
	ASSERT_EQ(top_known_match(known, 3, "/machine.slice/a.scopex", "sdb", idx, 4, &vm), 1);
	ASSERT_TRUE(idx[0] == 2 && vm == NULL);
	/* a disk no group holds it on: no group, the VM still known */
	ASSERT_EQ(top_known_match(known, 3, "/machine.slice/a.scope", "sdd", idx, 4, &vm), 0);
	ASSERT_STREQ(vm, "web-1");
	ASSERT_EQ(top_known_match(known, 3, "/machine.slice/a.scope", "sdb", idx, 1, &vm), 1);
	ASSERT_TRUE(top_path_within("/x/y", "/") && top_path_within("/x", "/x") &&
		    !top_path_within("/xy", "/x"));
}

TEST(top_row_label_is_the_vm_unless_paths_are_asked_for)
{
	struct top_row r = { .name = "/machine.slice/s.scope", .vm = "web-1" };
	struct top_opts o = { 0 };

	ASSERT_STREQ(top_row_label(&o, &r), "web-1");
	o.paths = true;
	ASSERT_STREQ(top_row_label(&o, &r), "/machine.slice/s.scope");
	r.vm = NULL;
	o.paths = false;
	ASSERT_STREQ(top_row_label(&o, &r), "/machine.slice/s.scope");
}

/* What top reads: every member of the status document says its group and
 * its VM (docs/status.md), and top's row takes the VM's name. */
TEST(status_members_carry_group_and_vm)
{
	struct status_member m[2] = {
		{ .cgroup = "/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d1.scope", .vm = "web-1",
		  .device = "sdb" },
		{ .cgroup = "/batch", .device = "sdb" },
	};
	struct status_group g = { .name = "vms", .members = m, .nr_members = 2 };
	struct status_snapshot s = { .policy = "p", .groups = &g, .nr_groups = 1 };
	struct json_object *o = status_json(&s), *groups, *mj, *v;

	ASSERT_TRUE(json_object_object_get_ex(o, "groups", &groups));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(groups, 0), "members", &mj));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(mj, 0), "group", &v));
	ASSERT_STREQ(json_object_get_string(v), "vms");
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(mj, 0), "vm", &v));
	ASSERT_STREQ(json_object_get_string(v), "web-1");
	/* not a VM: "vm" is there, null */
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(mj, 1), "vm", &v));
	ASSERT_TRUE(v == NULL);
	json_object_put(o);
}
