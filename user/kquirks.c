// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kquirks.h"

/* Typedefs and qualifiers down to the type they name. */
static const struct btf_type *resolve(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

int kquirk_carryover(const struct btf *btf)
{
	const struct btf_member *m;
	const struct btf_type *t;
	__s32 id;

	id = btf__find_by_name_kind(btf, "throtl_grp", BTF_KIND_STRUCT);
	if (id < 0)
		return -ENOENT;	/* no blk-throttle in this kernel */
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "carryover_ios"))
			continue;
		mt = resolve(btf, m->type);
		if (mt && btf_is_array(mt))
			mt = resolve(btf, btf_array(mt)->type);
		if (!mt || !btf_is_int(mt))
			return -EINVAL;
		return btf_int_encoding(mt) & BTF_INT_SIGNED ? KQUIRK_CARRYOVER_SIGNED :
								 KQUIRK_CARRYOVER_UNSIGNED;
	}
	return KQUIRK_CARRYOVER_NONE;
}

int kquirk_running_carryover(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int ret;

	if (!btf)
		return -errno;
	ret = kquirk_carryover(btf);
	btf__free(btf);
	return ret;
}

int kquirk_foreign_dirty_folio(const struct btf *btf)
{
	const struct btf_type *t;
	__s32 id;

	/* no cgroup writeback built (no memcg or blkcg): no inode->i_wb to
	 * read, and no foreign dirtying to see */
	if (btf__find_by_name_kind(btf, "btf_trace_track_foreign_dirty", BTF_KIND_TYPEDEF) < 0)
		return -ENOENT;
	/* typedef void (*btf_trace_writeback_dirty_folio)(void *, struct X *, ...) */
	id = btf__find_by_name_kind(btf, "btf_trace_writeback_dirty_folio", BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	t = resolve(btf, id);
	if (!t || !btf_is_ptr(t) || !(t = btf__type_by_id(btf, t->type)) ||
	    !btf_is_func_proto(t) || btf_vlen(t) < 2)
		return 0;
	t = resolve(btf, btf_params(t)[1].type);
	if (!t || !btf_is_ptr(t) || !(t = resolve(btf, t->type)) || !btf_is_struct(t))
		return 0;
	return !strcmp(btf__name_by_offset(btf, t->name_off), "folio");
}
