// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The blk-throttle carryover probe against BTF built the way each kernel
 * series lays out struct throtl_grp (6.1, 6.12, 6.18, as read from their
 * /sys/kernel/btf/vmlinux). */
#include <errno.h>
#include <bpf/btf.h>
#include "kquirks.h"
#include "test.h"

/* A throtl_grp with carryover_ios[2] of the given int type (0: no such
 * field), next to a field that must not be mistaken for it. */
static struct btf *throtl_btf(int ios_signed, bool with_carryover, bool via_typedef)
{
	struct btf *btf = btf__new_empty();
	int u32_id, ios_id, arr_id, disp_id;

	u32_id = btf__add_int(btf, "unsigned int", 4, 0);
	ios_id = btf__add_int(btf, ios_signed ? "int" : "unsigned int2", 4,
			      ios_signed ? BTF_INT_SIGNED : 0);
	if (via_typedef)
		ios_id = btf__add_typedef(btf, "u32_alias", ios_id);
	arr_id = btf__add_array(btf, u32_id, ios_id, 2);
	disp_id = btf__add_array(btf, u32_id, u32_id, 2);
	/* fields follow their struct directly: no type may be added between */
	btf__add_struct(btf, "throtl_grp", 16);
	btf__add_field(btf, "last_io_disp", disp_id, 0, 0);
	if (with_carryover)
		btf__add_field(btf, "carryover_ios", arr_id, 64, 0);
	return btf;
}

TEST(kquirks_unsigned_carryover_is_the_61_layout)
{
	struct btf *btf = throtl_btf(0, true, false);

	ASSERT_EQ(kquirk_carryover(btf), KQUIRK_CARRYOVER_UNSIGNED);
	btf__free(btf);
	btf = throtl_btf(0, true, true);
	ASSERT_EQ(kquirk_carryover(btf), KQUIRK_CARRYOVER_UNSIGNED);
	btf__free(btf);
}

TEST(kquirks_signed_or_absent_carryover_told_apart)
{
	struct btf *btf = throtl_btf(1, true, false);

	ASSERT_EQ(kquirk_carryover(btf), KQUIRK_CARRYOVER_SIGNED);	/* 6.12 */
	btf__free(btf);
	btf = throtl_btf(0, false, false);
	ASSERT_EQ(kquirk_carryover(btf), KQUIRK_CARRYOVER_NONE);	/* 6.18 */
	btf__free(btf);
}

TEST(kquirks_no_blk_throttle_says_so)
{
	struct btf *btf = btf__new_empty();

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ASSERT_TRUE(kquirk_carryover(btf) < 0);
	btf__free(btf);
}

/* typedef void (*NAME)(void *, struct ARG *, struct OTHER *) into btf */
static void add_tracepoint(struct btf *btf, const char *name, const char *arg, const char *other)
{
	int void_ptr, arg_ptr, other_ptr, proto;

	void_ptr = btf__add_ptr(btf, 0);
	arg_ptr = btf__add_ptr(btf, btf__add_struct(btf, arg, 8));
	other_ptr = btf__add_ptr(btf, btf__add_struct(btf, other, 8));
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "__data", void_ptr);
	btf__add_func_param(btf, NULL, arg_ptr);
	btf__add_func_param(btf, NULL, other_ptr);
	btf__add_typedef(btf, name, btf__add_ptr(btf, proto));
}

/* writeback_dirty_folio's tracepoint with ARG (a folio from 5.17 on),
 * and track_foreign_dirty's where the kernel has cgroup writeback */
static struct btf *foreign_dirty_btf(const char *arg, bool cgroup_writeback)
{
	struct btf *btf = btf__new_empty();

	add_tracepoint(btf, "btf_trace_writeback_dirty_folio", arg, "address_space");
	if (cgroup_writeback)
		add_tracepoint(btf, "btf_trace_track_foreign_dirty", arg, "bdi_writeback");
	return btf;
}

TEST(kquirks_foreign_dirty_takes_a_folio_or_is_left_out)
{
	struct btf *btf = foreign_dirty_btf("folio", true);

	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), 1);
	btf__free(btf);
	btf = foreign_dirty_btf("page", true);
	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), 0);
	btf__free(btf);
	/* no memcg or blkcg: no inode->i_wb to read */
	btf = foreign_dirty_btf("folio", false);
	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), -ENOENT);
	btf__free(btf);
	btf = btf__new_empty();
	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), -ENOENT);
	btf__free(btf);
}
