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

/* typedef void (*btf_trace_track_foreign_dirty)(void *, struct ARG *,
 * struct bdi_writeback *), ARG a folio (5.17 and later) or a page. */
static struct btf *foreign_dirty_btf(const char *arg)
{
	struct btf *btf = btf__new_empty();
	int void_ptr, arg_id, arg_ptr, wb_id, wb_ptr, proto, ptr;

	void_ptr = btf__add_ptr(btf, 0);
	arg_id = btf__add_struct(btf, arg, 8);
	arg_ptr = btf__add_ptr(btf, arg_id);
	wb_id = btf__add_struct(btf, "bdi_writeback", 8);
	wb_ptr = btf__add_ptr(btf, wb_id);
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "__data", void_ptr);
	btf__add_func_param(btf, NULL, arg_ptr);
	btf__add_func_param(btf, NULL, wb_ptr);
	ptr = btf__add_ptr(btf, proto);
	btf__add_typedef(btf, "btf_trace_track_foreign_dirty", ptr);
	return btf;
}

/* The program reads a folio: a kernel whose tracepoint passes a page
 * (RHEL 9's 5.14, Ubuntu 22.04's 5.15) gets the program left out, not the
 * whole object refused. */
TEST(kquirks_foreign_dirty_takes_a_folio_or_is_left_out)
{
	struct btf *btf = foreign_dirty_btf("folio");

	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), 1);
	btf__free(btf);
	btf = foreign_dirty_btf("page");
	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), 0);
	btf__free(btf);
	btf = btf__new_empty();
	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	ASSERT_EQ(kquirk_foreign_dirty_folio(btf), -ENOENT);
	btf__free(btf);
}
