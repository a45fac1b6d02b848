// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libvirt domain XML -> iorate policy groups (see libvirt_xml.h). Nothing
 * here touches the host: where a disk's source lives comes from the
 * caller's resolver, so the unit tests can feed any layout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "libvirt_xml.h"
#include "units.h"

/* <iotune> child names in policy_limit_id order. */
static const char *const lv_iotune_names[POLICY_NR_LIMITS] = {
	"total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
	"total_iops_sec", "read_iops_sec", "write_iops_sec",
};

/* ---- small helpers ---- */

static void lv_appendf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lv_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = buf ? strnlen(buf, len) : len;
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Grow-as-needed note list of a domain: text a reader shows as comments. */
static int lv_note(char **notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lv_note(char **notes, const char *fmt, ...)
{
	char *line, *n;
	size_t old = *notes ? strlen(*notes) : 0;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	n = realloc(*notes, old + (size_t)len + 2);
	if (!n) {
		free(line);
		return -ENOMEM;
	}
	memcpy(n + old, line, (size_t)len);
	n[old + len] = '\n';
	n[old + len + 1] = '\0';
	*notes = n;
	free(line);
	return 0;
}

static bool lv_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *lv_child(const xmlNode *parent, const char *name)
{
	for (const xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (lv_is(c, name))
			return c;
	return NULL;
}

/* A malloc'ed copy of an attribute, or NULL. */
static char *lv_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* The element's text, trimmed, into buf. */
static void lv_text(const xmlNode *n, char *buf, size_t len)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v ? (const char *)v : "";
	size_t l;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	snprintf(buf, len, "%s", s);
	l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t' || buf[l - 1] == '\n' ||
		     buf[l - 1] == '\r'))
		buf[--l] = '\0';
	xmlFree(v);
}

/* libvirt writes these as unsigned long long; QEMU refuses above 1e15. */
static int lv_number(const xmlNode *n, uint64_t *out, char *err, size_t errlen)
{
	char buf[64];
	uint64_t v = 0;

	lv_text(n, buf, sizeof(buf));
	if (!buf[0]) {
		snprintf(err, errlen, "<%s> is empty", (const char *)n->name);
		return -EINVAL;
	}
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen, "<%s>%.40s</%s>: not a whole number",
				 (const char *)n->name, buf, (const char *)n->name);
			return -EINVAL;
		}
		if (v > POLICY_VALUE_MAX) {
			break;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > POLICY_VALUE_MAX) {
		snprintf(err, errlen, "<%s>%.40s</%s>: above QEMU's limit of 1e15",
			 (const char *)n->name, buf, (const char *)n->name);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* ---- parsing ---- */

static bool lv_limits_any(const struct lv_limits *l)
{
	for (int i = 0; i < POLICY_NR_LIMITS; i++)
		if (l->l[i].avg || l->l[i].max)
			return true;
	return false;
}

/* One <iotune> child into the limits; 1 when the name is not an iotune key. */
static int lv_iotune_child(const xmlNode *c, struct lv_disk *d, char *err, size_t errlen)
{
	const char *name = (const char *)c->name;
	uint64_t v;

	if (!strcmp(name, "group_name")) {
		char buf[LV_MAX_NAME];

		lv_text(c, buf, sizeof(buf));
		free(d->group_name);
		d->group_name = buf[0] ? strdup(buf) : NULL;
		return buf[0] && !d->group_name ? -ENOMEM : 0;
	}
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		size_t n = strlen(lv_iotune_names[i]);
		struct policy_limit *l = &d->limits.l[i];

		if (strncmp(name, lv_iotune_names[i], n))
			continue;
		if (!name[n]) {
			if (lv_number(c, &l->avg, err, errlen))
				return -EINVAL;
			return 0;
		}
		if (!strcmp(name + n, "_max")) {
			if (lv_number(c, &l->max, err, errlen))
				return -EINVAL;
			return 0;
		}
		if (!strcmp(name + n, "_max_length")) {
			if (lv_number(c, &v, err, errlen))
				return -EINVAL;
			if (v > UINT32_MAX) {
				snprintf(err, errlen, "<%s>: burst length too long", name);
				return -ERANGE;
			}
			l->max_length_s = (uint32_t)v;
			return 0;
		}
	}
	if (!strcmp(name, "size_iops_sec"))
		return lv_number(c, &d->limits.iops_size, err, errlen) ? -EINVAL : 0;
	return 1;
}

static enum lv_source lv_source_kind(const char *type)
{
	if (!type || !strcmp(type, "file"))
		return LV_SRC_FILE;
	if (!strcmp(type, "block"))
		return LV_SRC_BLOCK;
	if (!strcmp(type, "network"))
		return LV_SRC_NETWORK;
	if (!strcmp(type, "volume"))
		return LV_SRC_VOLUME;
	return LV_SRC_OTHER;
}

static int lv_parse_source(const xmlNode *disk, struct lv_disk *d)
{
	const xmlNode *src = lv_child(disk, "source");
	char *a = NULL, *b = NULL;

	d->kind = lv_source_kind(d->type);
	if (!src) {
		d->kind = LV_SRC_NONE;
		return 0;
	}
	switch (d->kind) {
	case LV_SRC_FILE:
		d->source = lv_attr(src, "file");
		break;
	case LV_SRC_BLOCK:
		d->source = lv_attr(src, "dev");
		break;
	case LV_SRC_NETWORK:
		a = lv_attr(src, "protocol");
		b = lv_attr(src, "name");
		if (asprintf(&d->source, "%s %s", a ? a : "?", b ? b : "?") < 0)
			d->source = NULL;
		break;
	case LV_SRC_VOLUME:
		a = lv_attr(src, "pool");
		b = lv_attr(src, "volume");
		if (asprintf(&d->source, "%s/%s", a ? a : "?", b ? b : "?") < 0)
			d->source = NULL;
		break;
	default:
		d->source = lv_attr(src, "dir");
		if (!d->source)
			d->source = strdup(d->type ? d->type : "?");
		break;
	}
	free(a);
	free(b);
	/* <source/> with no file (an ejected cdrom) has nothing to map. */
	if (!d->source && (d->kind == LV_SRC_FILE || d->kind == LV_SRC_BLOCK))
		d->kind = LV_SRC_NONE;
	return 0;
}

/* Control characters (a "&#10;" in the XML) become '?'. */
static void lv_no_ctl(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int lv_parse_disk(const xmlNode *n, struct lv_domain *dom, char *err, size_t errlen)
{
	struct lv_disk *d, *grown;
	const xmlNode *iot;

	grown = realloc(dom->disks, (dom->nr_disks + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	dom->disks = grown;
	d = &dom->disks[dom->nr_disks++];
	memset(d, 0, sizeof(*d));
	d->type = lv_attr(n, "type");
	d->device = lv_attr(n, "device");
	d->target = lv_attr(lv_child(n, "target"), "dev");
	if (!d->target && asprintf(&d->target, "disk#%d", dom->nr_disks) < 0) {
		d->target = NULL;
		return -ENOMEM;
	}
	lv_parse_source(n, d);
	iot = lv_child(n, "iotune");
	for (const xmlNode *c = iot ? iot->children : NULL; c; c = c->next) {
		int r;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		r = lv_iotune_child(c, d, err, errlen);
		if (r < 0) {
			char inner[256];

			snprintf(inner, sizeof(inner), "%s", err);
			snprintf(err, errlen, "disk %s: %s", d->target, inner);
			return r;
		}
		if (r > 0 && lv_note(&dom->notes, "%s: <iotune><%s> is not a limit iorate knows; ignored",
				     d->target, (const char *)c->name))
			return -ENOMEM;
	}
	/* QEMU refuses a burst without a base rate or below it
	 * (throttle_is_valid), and so would the policy written from it. */
	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		const struct policy_limit *l = &d->limits.l[i];

		if (l->max && !l->avg) {
			snprintf(err, errlen, "disk %s: <%s_max> without <%s>",
				 d->target, lv_iotune_names[i], lv_iotune_names[i]);
			return -EINVAL;
		}
		if (l->max && l->max < l->avg) {
			snprintf(err, errlen, "disk %s: <%s_max> %llu is below <%s> %llu",
				 d->target, lv_iotune_names[i], (unsigned long long)l->max,
				 lv_iotune_names[i], (unsigned long long)l->avg);
			return -EINVAL;
		}
	}
	d->has_iotune = lv_limits_any(&d->limits);
	/* Names and paths from the XML go into comments: no newlines. (A
	 * source path with one then names no file: not worth mapping.) */
	lv_no_ctl(d->target);
	lv_no_ctl(d->group_name);
	lv_no_ctl(d->type);
	lv_no_ctl(d->device);
	lv_no_ctl(d->source);
	return 0;
}

static int lv_parse_blkiotune(const xmlNode *bt, struct lv_domain *dom, char *err, size_t errlen)
{
	/* blkiotune has no total: only read/write bytes and iops. */
	static const struct { const char *name; enum policy_limit_id id; } keys[] = {
		{ "read_bytes_sec", POLICY_BPS_READ }, { "write_bytes_sec", POLICY_BPS_WRITE },
		{ "read_iops_sec", POLICY_IOPS_READ }, { "write_iops_sec", POLICY_IOPS_WRITE },
	};

	for (const xmlNode *dev = bt->children; dev; dev = dev->next) {
		struct lv_blkio *b, *grown;
		char path[LV_MAX_NAME];

		if (!lv_is(dev, "device"))
			continue;
		grown = realloc(dom->blkio, (dom->nr_blkio + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		dom->blkio = grown;
		b = &dom->blkio[dom->nr_blkio++];
		memset(b, 0, sizeof(*b));
		lv_text(lv_child(dev, "path") ? lv_child(dev, "path") : dev, path, sizeof(path));
		if (!lv_child(dev, "path"))
			path[0] = '\0';
		b->path = strdup(path);
		if (!b->path)
			return -ENOMEM;
		lv_no_ctl(b->path);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const xmlNode *c = lv_child(dev, keys[i].name);

			if (c && lv_number(c, &b->limits.l[keys[i].id].avg, err, errlen))
				return -EINVAL;
		}
	}
	return 0;
}

int lv_domain_parse(const char *xml, size_t len, struct lv_domain *out, char *err, size_t errlen)
{
	/* NONET: a domain file has no business fetching anything; no NOENT,
	 * so entities are never expanded into the text we read. */
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	const xmlNode *root, *devs, *name, *bt;
	char buf[LV_MAX_NAME];
	xmlDoc *doc;
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > INT32_MAX) {
		snprintf(err, errlen, "document too large");
		return -EFBIG;
	}
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL, opts);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, errlen, "not well-formed XML%s%.*s (line %d)",
			 e && e->message ? ": " : "",
			 e && e->message ? (int)strcspn(e->message, "\n") : 0,
			 e && e->message ? e->message : "", e ? e->line : 0);
		return -EINVAL;
	}
	root = xmlDocGetRootElement(doc);
	/* libvirt's status file (/run/libvirt/qemu/NAME.xml) wraps the live
	 * definition, the one `virsh blkdeviotune` changes, in <domstatus>. */
	if (root && lv_is(root, "domstatus"))
		root = lv_child(root, "domain");
	if (!root || !lv_is(root, "domain")) {
		snprintf(err, errlen, "not a libvirt domain (the root element is <%s>, not <domain>)",
			 root ? (const char *)root->name : "");
		goto cleanup;
	}
	name = lv_child(root, "name");
	if (name)
		lv_text(name, buf, sizeof(buf));
	if (!name || !buf[0]) {
		snprintf(err, errlen, "the domain has no <name>");
		goto cleanup;
	}
	for (const char *p = buf; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "the domain's <name> holds control characters");
			goto cleanup;
		}
	}
	out->name = strdup(buf);
	if (!out->name) {
		ret = -ENOMEM;
		goto cleanup;
	}
	devs = lv_child(root, "devices");
	for (const xmlNode *c = devs ? devs->children : NULL; c; c = c->next) {
		if (!lv_is(c, "disk"))
			continue;
		ret = lv_parse_disk(c, out, err, errlen);
		if (ret)
			goto cleanup;
	}
	bt = lv_child(root, "blkiotune");
	if (bt) {
		ret = lv_parse_blkiotune(bt, out, err, errlen);
		if (ret)
			goto cleanup;
	}
	ret = 0;
cleanup:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	xmlFreeDoc(doc);
	if (ret)
		lv_domain_free(out);
	return ret;
}

void lv_domain_free(struct lv_domain *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nr_disks; i++) {
		free(d->disks[i].target);
		free(d->disks[i].device);
		free(d->disks[i].source);
		free(d->disks[i].type);
		free(d->disks[i].group_name);
	}
	free(d->disks);
	for (int i = 0; i < d->nr_blkio; i++)
		free(d->blkio[i].path);
	free(d->blkio);
	free(d->name);
	free(d->notes);
	memset(d, 0, sizeof(*d));
}

/* ---- names ---- */

void lv_group_name(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		char c = *in;

		out[o++] = ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-') ? c : '_';
	}
	if (!o && len > 1)
		out[o++] = '_';
	out[o] = '\0';
}

void lv_glob_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 2 < len; in++) {
		/* Blanks: the parser trims them around a value and reads " #"
		 * as a comment; escaped, they stay part of the name. */
		if (strchr("*?[]\\#; \t", *in))
			out[o++] = '\\';
		out[o++] = *in;
	}
	out[o] = '\0';
}

/* ---- summing ---- */

struct lv_acc {
	uint64_t avg;		/* sum of base rates */
	uint64_t max;		/* sum of burst rates (base rate when none) */
	uint64_t allowance;	/* sum of max x length over the drives that burst */
	uint32_t len0;		/* the first burst length seen */
	bool bursts, len_differs;
	int count;		/* drives that limit this */
};

static uint64_t lv_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void lv_acc_add(struct lv_acc *a, uint64_t avg, uint64_t max, uint32_t len)
{
	if (!avg)
		return;
	a->count++;
	a->avg = lv_add(a->avg, avg);
	a->max = lv_add(a->max, max ? max : avg);
	if (max) {
		uint32_t l = len ? len : 1;

		if (a->bursts && l != a->len0)
			a->len_differs = true;
		if (!a->bursts)
			a->len0 = l;
		a->bursts = true;
		a->allowance = lv_add(a->allowance,
				      (uint64_t)l > UINT64_MAX / max ? UINT64_MAX : max * l);
	}
}

static void lv_acc_out(const struct lv_acc *a, struct policy_limit *l, const char *key,
		       int n, char *notes, size_t noteslen)
{
	uint64_t len;

	if (!a->count)
		return;
	if (a->count < n)
		lv_appendf(notes, noteslen,
			   "%d of %d drives set no %s: their I/O counts against the others' sum\n",
			   n - a->count, n, key);
	l->avg = a->avg > POLICY_VALUE_MAX ? POLICY_VALUE_MAX : a->avg;
	if (!a->bursts)
		return;
	l->max = a->max > POLICY_VALUE_MAX ? POLICY_VALUE_MAX : a->max;
	/* Keep the burst allowance (max x length) the drives had together. */
	len = a->allowance / l->max;
	if (len < 1)
		len = 1;
	if (len > POLICY_VALUE_MAX / l->max)
		len = POLICY_VALUE_MAX / l->max;
	if (a->len_differs || a->allowance % l->max)
		lv_appendf(notes, noteslen,
			   "%s-max-length: the drives' burst lengths differ; %llu s keeps about the burst allowance they had together\n",
			   key, (unsigned long long)len);
	l->max_length_s = (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
}

void lv_limits_sum(const struct lv_limits *in, int n, struct lv_limits *out,
		   char *notes, size_t noteslen)
{
	static const enum policy_limit_id totals[] = { POLICY_BPS_TOTAL, POLICY_IOPS_TOTAL };
	uint64_t size = 0;
	bool size_missing = false, size_differs = false;
	int iops_users = 0;

	memset(out, 0, sizeof(*out));
	if (notes && noteslen)
		notes[0] = '\0';
	for (size_t k = 0; k < 2; k++) {
		enum policy_limit_id t = totals[k], r = t + 1, w = t + 2;
		bool any_total = false, any_rw = false;

		for (int i = 0; i < n; i++) {
			any_total |= in[i].l[t].avg != 0;
			any_rw |= in[i].l[r].avg || in[i].l[w].avg;
		}
		if (any_total && any_rw) {
			/* A group cannot have both: read + write is a total
			 * that never lets more through than the two did. */
			struct lv_acc a = { 0 };

			lv_appendf(notes, noteslen,
				   "some drives limit %s, others %s/%s: their read and write limits are added into %s\n",
				   policy_limit_name(t), policy_limit_name(r), policy_limit_name(w),
				   policy_limit_name(t));
			for (int i = 0; i < n; i++) {
				const struct policy_limit *lt = &in[i].l[t], *lr = &in[i].l[r],
							  *lw = &in[i].l[w];

				if (lt->avg)
					lv_acc_add(&a, lt->avg, lt->max, lt->max_length_s);
				else
					lv_acc_add(&a, lv_add(lr->avg, lw->avg),
						   lr->max || lw->max ?
						   lv_add(lr->max ? lr->max : lr->avg,
							  lw->max ? lw->max : lw->avg) : 0,
						   lr->max_length_s > lw->max_length_s ?
						   lr->max_length_s : lw->max_length_s);
			}
			lv_acc_out(&a, &out->l[t], policy_limit_name(t), n, notes, noteslen);
			continue;
		}
		for (enum policy_limit_id id = t; id <= w; id++) {
			struct lv_acc a = { 0 };

			for (int i = 0; i < n; i++)
				lv_acc_add(&a, in[i].l[id].avg, in[i].l[id].max,
					   in[i].l[id].max_length_s);
			lv_acc_out(&a, &out->l[id], policy_limit_name(id), n, notes, noteslen);
		}
	}
	/* iops-size cannot be summed: keep it only when every drive that
	 * limits iops agrees on it, else take the largest (never count a
	 * request as more operations than QEMU did). */
	for (int i = 0; i < n; i++) {
		if (!in[i].l[POLICY_IOPS_TOTAL].avg && !in[i].l[POLICY_IOPS_READ].avg &&
		    !in[i].l[POLICY_IOPS_WRITE].avg)
			continue;
		iops_users++;
		if (!in[i].iops_size)
			size_missing = true;
		else if (size && size != in[i].iops_size)
			size_differs = true;
		if (in[i].iops_size > size)
			size = in[i].iops_size;
	}
	if (size && size_missing) {
		lv_appendf(notes, noteslen,
			   "iops-size: set on some drives only; left out (QEMU counted the others' large requests once)\n");
		size = 0;
	} else if (size_differs) {
		lv_appendf(notes, noteslen, "iops-size: the drives differ; the largest is kept\n");
	}
	if (iops_users)
		out->iops_size = size;
}

/* ---- writing ---- */

struct lv_unit {
	struct lv_limits limits;
	const char *group_name;		/* NULL: a single drive */
	char label[512];		/* "vda (file ...)" or "group g1: vda, vdb" */
	struct lv_hostdisk disks[LV_MAX_HOSTDISKS];
	int nr_disks;
};

struct lv_writer {
	FILE *out, *warn;
	const char *prefix;		/* before every group name */
	struct lv_report *rep;
	char **used;			/* group names written so far */
	int nr_used;
	bool oom;
};

static void lv_warn(struct lv_writer *w, const char *dom, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lv_warn(struct lv_writer *w, const char *dom, const char *fmt, ...)
{
	va_list ap;

	w->rep->warnings++;
	if (!w->warn)
		return;
	fprintf(w->warn, "%swarning: %s: ", w->prefix[0] ? "" : "iorate import-libvirt: ", dom);
	va_start(ap, fmt);
	vfprintf(w->warn, fmt, ap);
	va_end(ap);
	fputc('\n', w->warn);
}

/* Every line of text as a "# " comment. */
static void lv_comment_lines(FILE *out, const char *prefix, const char *text)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		fprintf(out, "# %s%.*s\n", prefix, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static void lv_unique_name(struct lv_writer *w, const char *base, char *out, size_t len)
{
	char **grown;

	snprintf(out, len, "%s", base);
	for (int suffix = 2;; suffix++) {
		bool taken = false;

		for (int i = 0; i < w->nr_used && !taken; i++)
			taken = !strcmp(w->used[i], out);
		if (!taken)
			break;
		/* Room for the suffix within the 64-character limit. */
		snprintf(out, len, "%.*s-%d", POLICY_MAX_NAME - 8, base, suffix);
	}
	grown = realloc(w->used, (w->nr_used + 1) * sizeof(*grown));
	if (!grown || !(grown[w->nr_used] = strdup(out))) {
		if (grown)
			w->used = grown;
		w->oom = true;
		return;
	}
	w->used = grown;
	w->nr_used++;
}

static void lv_write_limits(FILE *out, const struct lv_limits *l)
{
	char buf[32];

	for (int i = 0; i < POLICY_NR_LIMITS; i++) {
		const struct policy_limit *p = &l->l[i];
		bool bytes = i < POLICY_IOPS_TOTAL;

		if (!p->avg)
			continue;
		if (bytes)
			fprintf(out, "%s = %s\n", policy_limit_name(i),
				units_format_size(p->avg, buf, sizeof(buf)));
		else
			fprintf(out, "%s = %llu\n", policy_limit_name(i), (unsigned long long)p->avg);
		if (!p->max)
			continue;
		if (bytes)
			fprintf(out, "%s-max = %s\n", policy_limit_name(i),
				units_format_size(p->max, buf, sizeof(buf)));
		else
			fprintf(out, "%s-max = %llu\n", policy_limit_name(i),
				(unsigned long long)p->max);
		if (p->max_length_s)
			fprintf(out, "%s-max-length = %us\n", policy_limit_name(i),
				p->max_length_s);
	}
	if (l->iops_size)
		fprintf(out, "iops-size = %s\n", units_format_size(l->iops_size, buf, sizeof(buf)));
}

static void lv_write_group(struct lv_writer *w, const struct lv_domain *dom, const char *suffix,
			   const struct lv_hostdisk *hd, const struct lv_limits *l)
{
	char base[POLICY_MAX_NAME + 32], name[POLICY_MAX_NAME + 32], glob[2 * LV_MAX_NAME];
	char vm[POLICY_MAX_NAME + 1], hint[LV_MAX_NAME];
	const char *disk = strrchr(hd->name, '/') ? strrchr(hd->name, '/') + 1 : hd->name;
	int room;

	lv_group_name(dom->name, vm, sizeof(vm));
	/* "<vm>-<disk>", the VM's part cut so that the disk's always fits
	 * (8 spare for lv_unique_name's "-N") */
	room = POLICY_MAX_NAME - 1 - (int)strlen(w->prefix) - (int)strlen(suffix) -
	       (int)strlen(disk) - 8;
	if (room < 1)
		room = 1;
	snprintf(base, sizeof(base), "%s%.*s-%s%s", w->prefix, room, vm, suffix, disk);
	lv_group_name(base, base, sizeof(base));
	lv_unique_name(w, base, name, sizeof(name));
	lv_glob_escape(dom->name, glob, sizeof(glob));
	/* libvirt's scope is machine-qemu\x2dN\x2dNAME.scope with systemd's
	 * escaping; a '*' for every character systemd might escape. */
	lv_group_name(dom->name, hint, sizeof(hint));
	for (char *p = hint; *p; p++)
		if (*p == '_' || *p == '-' || *p == '.')
			*p = '*';
	fprintf(w->out, "[group %s]\n", name);
	fprintf(w->out, "match = vm:%s\n", glob);
	fprintf(w->out, "# until the daemon matches vm: names, libvirt's cgroup:\n");
	fprintf(w->out, "# match = cgroup:/machine.slice/machine-qemu*%s.scope\n", hint);
	fprintf(w->out, "device = %s\n", hd->name);
	lv_write_limits(w->out, l);
	fputc('\n', w->out);
	w->rep->groups++;
}

static bool lv_unit_has_disk(const struct lv_unit *u, uint32_t dev)
{
	for (int i = 0; i < u->nr_disks; i++)
		if (u->disks[i].dev == dev)
			return true;
	return false;
}

static void lv_unit_add_disks(struct lv_unit *u, const struct lv_mapping *m)
{
	for (int i = 0; i < m->nr; i++)
		if (!lv_unit_has_disk(u, m->disks[i].dev) && u->nr_disks < LV_MAX_HOSTDISKS)
			u->disks[u->nr_disks++] = m->disks[i];
}

static const char *lv_source_why(const struct lv_disk *d)
{
	switch (d->kind) {
	case LV_SRC_NONE:
		return "no <source> (an empty drive)";
	case LV_SRC_NETWORK:
		return "a network disk: its I/O never reaches a disk of this host";
	case LV_SRC_VOLUME:
		return "a storage pool volume: give its path instead (virsh vol-path), or a <source file/dev>";
	case LV_SRC_OTHER:
		return "a disk type iorate cannot place on a host block device";
	default:
		return NULL;
	}
}

static int lv_write_domain(struct lv_writer *w, const struct lv_domain *dom,
			   lv_resolve_fn resolve, void *ctx)
{
	struct lv_mapping *maps = calloc(dom->nr_disks ? dom->nr_disks : 1, sizeof(*maps));
	bool *mapped = calloc(dom->nr_disks ? dom->nr_disks : 1, sizeof(*mapped));
	struct lv_unit *units = calloc(dom->nr_disks ? dom->nr_disks : 1, sizeof(*units));
	struct lv_hostdisk hosts[64];
	int nr_units = 0, nr_hosts = 0, ret = 0;
	bool any = false;

	if (!maps || !mapped || !units) {
		ret = -ENOMEM;
		goto cleanup;
	}
	fprintf(w->out, "# ---- domain %s ----\n", dom->name);
	lv_comment_lines(w->out, "note: ", dom->notes);
	for (int i = 0; i < dom->nr_disks; i++) {
		const struct lv_disk *d = &dom->disks[i];
		const char *why = lv_source_why(d);
		char buf[512];

		any |= d->has_iotune;
		if (!why && resolve(ctx, d, &maps[i], buf, sizeof(buf)) == 0 && maps[i].nr > 0) {
			mapped[i] = true;
			continue;
		}
		if (!why)
			why = buf;
		if (!d->has_iotune)
			continue;
		fprintf(w->out, "# cannot map %s (%s%s%s): %s; no group for it\n", d->target,
			d->type ? d->type : "file", d->source ? " " : "",
			d->source ? d->source : "", why);
		lv_warn(w, dom->name, "cannot map %s: %s; its <iotune> is not imported",
			d->target, why);
		w->rep->unmapped++;
	}
	/* A throttle group is one unit however many drives name it. */
	for (int i = 0; i < dom->nr_disks; i++) {
		const struct lv_disk *d = &dom->disks[i];
		struct lv_unit *u = NULL;

		if (!mapped[i] || !d->has_iotune)
			continue;
		for (int j = 0; d->group_name && j < nr_units; j++)
			if (units[j].group_name && !strcmp(units[j].group_name, d->group_name))
				u = &units[j];
		if (u) {
			if (memcmp(&u->limits, &d->limits, sizeof(u->limits)))
				lv_warn(w, dom->name,
					"throttle group '%s': %s sets other limits than the group's first drive; the first one's are used (as QEMU holds one set per group)",
					d->group_name, d->target);
			lv_appendf(u->label, sizeof(u->label), ", %s", d->target);
		} else {
			u = &units[nr_units++];
			u->limits = d->limits;
			u->group_name = d->group_name;
			if (d->group_name)
				snprintf(u->label, sizeof(u->label), "throttle group %s: %s",
					 d->group_name, d->target);
			else
				snprintf(u->label, sizeof(u->label), "%s", d->target);
		}
		lv_unit_add_disks(u, &maps[i]);
		for (int k = 0; k < maps[i].nr; k++) {
			bool seen = false;

			for (int h = 0; h < nr_hosts; h++)
				seen |= hosts[h].dev == maps[i].disks[k].dev;
			if (!seen && nr_hosts < (int)(sizeof(hosts) / sizeof(hosts[0])))
				hosts[nr_hosts++] = maps[i].disks[k];
		}
	}
	for (int j = 0; j < nr_units; j++)
		if (units[j].group_name && units[j].nr_disks > 1)
			lv_warn(w, dom->name,
				"throttle group '%s' spans %d host disks: iorate limits each disk on its own, so together they may reach %d times the group's limits",
				units[j].group_name, units[j].nr_disks, units[j].nr_disks);
	for (int h = 0; h < nr_hosts; h++) {
		struct lv_limits in[64], sum;
		char notes[2048];
		int n = 0;

		for (int j = 0; j < nr_units && n < 64; j++)
			if (lv_unit_has_disk(&units[j], hosts[h].dev))
				in[n++] = units[j].limits;
		fprintf(w->out, "# %s on %s:", dom->name, hosts[h].name);
		for (int j = 0; j < nr_units; j++)
			if (lv_unit_has_disk(&units[j], hosts[h].dev))
				fprintf(w->out, " [%s]", units[j].label);
		fputc('\n', w->out);
		for (int i = 0; i < dom->nr_disks; i++) {
			bool here = false;

			for (int k = 0; mapped[i] && k < maps[i].nr; k++)
				here |= maps[i].disks[k].dev == hosts[h].dev;
			if (!here)
				continue;
			fprintf(w->out, "#   %s: %s\n", dom->disks[i].target, maps[i].how);
			if (!dom->disks[i].has_iotune) {
				fprintf(w->out, "#   note: %s has no <iotune>: QEMU let it run free, iorate counts its I/O in this group\n",
					dom->disks[i].target);
				lv_warn(w, dom->name,
					"%s has no <iotune> but is also on %s: its I/O counts against the group's limits",
					dom->disks[i].target, hosts[h].name);
			}
		}
		if (n > 1)
			fprintf(w->out, "#   %d QEMU limits on one host disk: summed (QEMU limits each drive on its own)\n", n);
		lv_limits_sum(in, n, &sum, notes, sizeof(notes));
		lv_comment_lines(w->out, "  note: ", notes);
		if (notes[0])
			lv_warn(w, dom->name, "%s: the summed limits are approximate (see the comments)",
				hosts[h].name);
		lv_write_group(w, dom, "", &hosts[h], &sum);
	}
	for (int b = 0; b < dom->nr_blkio; b++) {
		const struct lv_blkio *bl = &dom->blkio[b];
		struct lv_disk fake = { .target = bl->path, .kind = LV_SRC_BLOCK,
					.source = bl->path, .type = "block" };
		struct lv_mapping m = { 0 };
		char why[512];

		if (!lv_limits_any(&bl->limits))
			continue;	/* a weight only: iorate has no weights */
		any = true;
		if (!bl->path[0] || resolve(ctx, &fake, &m, why, sizeof(why)) || !m.nr) {
			if (!bl->path[0])
				snprintf(why, sizeof(why), "no <path>");
			fprintf(w->out, "# cannot map <blkiotune> device %s: %s; no group for it\n",
				bl->path, why);
			lv_warn(w, dom->name, "cannot map <blkiotune> device %s: %s", bl->path, why);
			w->rep->unmapped++;
			continue;
		}
		fprintf(w->out, "# %s <blkiotune> device %s (%s): host-side limits, imported as they are.\n"
			"# libvirt writes them to io.max itself: drop them from the domain once iorate\n"
			"# enforces them, or both will write the same io.max.\n",
			dom->name, bl->path, m.how);
		lv_warn(w, dom->name,
			"<blkiotune> device %s: libvirt writes these limits to io.max too; drop them from the domain once iorate enforces them",
			bl->path);
		for (int k = 0; k < m.nr; k++)
			lv_write_group(w, dom, "blkio-", &m.disks[k], &bl->limits);
	}
	if (!any)
		fprintf(w->out, "# no <iotune> or <blkiotune> limits\n\n");
cleanup:
	free(maps);
	free(mapped);
	free(units);
	return ret;
}

static void lv_writer_free(struct lv_writer *w)
{
	for (int i = 0; i < w->nr_used; i++)
		free(w->used[i]);
	free(w->used);
}

int lv_domain_write(FILE *out, FILE *warn, const struct lv_domain *dom, const char *prefix,
		    lv_resolve_fn resolve, void *ctx, struct lv_report *rep)
{
	struct lv_writer w = { .out = out, .warn = warn, .prefix = prefix, .rep = rep };
	int ret;

	memset(rep, 0, sizeof(*rep));
	ret = lv_write_domain(&w, dom, resolve, ctx);
	if (!ret && w.oom)
		ret = -ENOMEM;
	if (!ret && ferror(out))
		ret = -EIO;
	lv_writer_free(&w);
	return ret;
}

int lv_policy_write(FILE *out, FILE *warn, const struct lv_domain *doms, int nr,
		    lv_resolve_fn resolve, void *ctx, struct lv_report *rep)
{
	struct lv_writer w = { .out = out, .warn = warn, .prefix = "", .rep = rep };
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	fprintf(out, "# iorate policy imported from libvirt domain XML (iorate import-libvirt).\n"
		"# Each VM's drives that share a host disk are summed into one group for that\n"
		"# disk: QEMU limited each drive, iorate limits what the host disk sees.\n\n");
	for (int i = 0; i < nr && !ret; i++)
		ret = lv_write_domain(&w, &doms[i], resolve, ctx);
	lv_writer_free(&w);
	if (!ret && w.oom)
		ret = -ENOMEM;
	if (!ret && ferror(out))
		ret = -EIO;
	return ret;
}
