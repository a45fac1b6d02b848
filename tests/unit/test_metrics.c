// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "status.h"
#include "metrics.h"
#include "test.h"

static char *escaped(const char *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	metrics_write_label_value(f, v);
	fclose(f);
	return out;
}

TEST(metrics_label_values_escaped)
{
	char *s;

	s = escaped("/machine.slice/a\\b\"c\nd");
	ASSERT_STREQ(s, "/machine.slice/a\\\\b\\\"c\\nd");
	free(s);
	s = escaped("plain-name_1.scope");
	ASSERT_STREQ(s, "plain-name_1.scope");
	free(s);
}

/* One group, one member with a name that needs escaping, one io.max line. */
static void fixed_snapshot(struct status_snapshot *s, struct status_group *g, struct status_member *m)
{
	memset(s, 0, sizeof(*s));
	memset(g, 0, sizeof(*g));
	memset(m, 0, sizeof(*m));
	m->cgroup = "/vm\"1\"";
	m->cgroup_id = 42;
	m->dev = iorate_mkdev(252, 0);
	strcpy(m->device, "nullb0");
	m->ops_s[IORATE_DIR_WRITE] = 400;
	m->bytes_s[IORATE_DIR_WRITE] = 1638400;
	m->ops_total[IORATE_LEVEL_DEVICE][IORATE_DIR_WRITE] = 1000;
	m->ops_total[IORATE_LEVEL_BIO][IORATE_DIR_WRITE] = 500;
	m->writeback_ops_total = 700;
	m->writeback_bytes_total = 2867200;
	m->split_pieces_total[1] = 150;
	m->bytes_total[IORATE_LEVEL_DEVICE][IORATE_DIR_WRITE] = 4096000;
	m->has_iomax = true;
	iomax_unlimited(&m->iomax);
	m->iomax.v[IOMAX_WIOPS] = 380;
	for (int i = 0; i < POLICY_NR_LIMITS; i++)
		m->fill[i] = -1;
	m->fill[POLICY_IOPS_TOTAL] = 0.25;
	g->name = "web";
	g->limits[POLICY_IOPS_TOTAL].avg = 400;
	g->members = m;
	g->nr_members = 1;
	s->pid = 7;
	s->policy = "/etc/iorate/iorate.conf";
	s->tick_ns = 100000000;
	s->level = IORATE_LEVEL_DEVICE;
	s->uptime_s = 12.5;
	s->window_s = 1.0;
	s->ticks = 125;
	s->iomax_writes = 3;
	s->groups = g;
	s->nr_groups = 1;
}

TEST(metrics_render_fixed_snapshot)
{
	struct status_snapshot s;
	struct status_group g;
	struct status_member m;
	char *text;

	fixed_snapshot(&s, &g, &m);
	text = metrics_render(&s);
	if (!ASSERT_TRUE(text != NULL))
		return;
	ASSERT_TRUE(strstr(text, "# HELP iorate_io_operations_total ") != NULL);
	ASSERT_TRUE(strstr(text, "\n# TYPE iorate_io_operations_total counter\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_io_operations_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",direction=\"write\",level=\"device\"} 1000\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_io_operations_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",direction=\"write\",level=\"bio\"} 500\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_io_bytes_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",direction=\"write\",level=\"device\"} 4096000\n") != NULL);
	ASSERT_TRUE(strstr(text, "\n# TYPE iorate_writeback_operations_total counter\n"
			   "iorate_writeback_operations_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\"} 700\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_writeback_bytes_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\"} 2867200\n") != NULL);
	ASSERT_TRUE(strstr(text, "\n# TYPE iorate_split_pieces_total counter\n"
			   "iorate_split_pieces_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",direction=\"read\"} 0\n"
			   "iorate_split_pieces_total{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",direction=\"write\"} 150\n") != NULL);
	ASSERT_TRUE(strstr(text, "\n# TYPE iorate_limit gauge\n"
			   "iorate_limit{group=\"web\",kind=\"iops\",direction=\"total\"} 400\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_iomax{member=\"/vm\\\"1\\\"\",device=\"nullb0\",field=\"wiops\"} 380\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_iomax{member=\"/vm\\\"1\\\"\",device=\"nullb0\",field=\"rbps\"} +Inf\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_bucket_fill{group=\"web\",member=\"/vm\\\"1\\\"\","
			   "device=\"nullb0\",limit=\"iops-total\"} 0.25\n") != NULL);
	ASSERT_TRUE(strstr(text, "\n# TYPE iorate_ticks_total counter\niorate_ticks_total 125\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_iomax_writes_total 3\n") != NULL);
	ASSERT_TRUE(strstr(text, "\niorate_uptime_seconds 12.5\n") != NULL);
	/* only the group's one limit, no bucket of a limit it lacks */
	ASSERT_TRUE(strstr(text, "kind=\"bps\"") == NULL);
	ASSERT_TRUE(strstr(text, "limit=\"bps-total\"") == NULL);
	free(text);
}

/* The format's rules, line by line: every family has HELP then TYPE
 * before its samples, once; every sample belongs to the family above it;
 * the text ends with a newline. */
TEST(metrics_render_is_well_formed)
{
	struct status_snapshot s;
	struct status_group g;
	struct status_member m;
	char family[128] = "", *text, *line, *save = NULL;
	int families = 0;
	bool typed = false;

	fixed_snapshot(&s, &g, &m);
	text = metrics_render(&s);
	if (!ASSERT_TRUE(text != NULL && text[strlen(text) - 1] == '\n'))
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", name);
			ASSERT_TRUE(strcmp(name, family) != 0);
			strcpy(family, name);
			typed = false;
			families++;
		} else if (!strncmp(line, "# TYPE ", 7)) {
			char type[32];

			ASSERT_EQ(sscanf(line + 7, "%127s %31s", name, type), 2);
			ASSERT_STREQ(name, family);
			ASSERT_TRUE(!strcmp(type, "counter") || !strcmp(type, "gauge"));
			typed = true;
		} else {
			size_t n = strcspn(line, "{ ");

			ASSERT_TRUE(typed);
			ASSERT_TRUE(n == strlen(family) && !strncmp(line, family, n));
			ASSERT_TRUE(strchr(line, ' ') != NULL);
		}
	}
	ASSERT_TRUE(families >= 9);
	free(text);
}

TEST(status_json_shape)
{
	struct status_snapshot s;
	struct status_group g;
	struct status_member m;
	struct json_object *o, *v, *mem;

	fixed_snapshot(&s, &g, &m);
	o = status_json(&s);
	ASSERT_TRUE(json_object_object_get_ex(o, "version", &v));
	ASSERT_TRUE(json_object_object_get_ex(o, "pid", &v) && json_object_get_int(v) == 7);
	ASSERT_TRUE(json_object_object_get_ex(o, "tick_ms", &v) && json_object_get_double(v) == 100);
	ASSERT_TRUE(json_object_object_get_ex(o, "uptime_s", &v));
	ASSERT_TRUE(json_object_object_get_ex(o, "counters", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "ticks", &v) && json_object_get_int(v) == 125);
	ASSERT_TRUE(json_object_object_get_ex(o, "groups", &v) && json_object_array_length(v) == 1);
	v = json_object_array_get_idx(v, 0);
	ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "name")), "web");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "share")), "each");
	ASSERT_EQ(json_object_get_int(json_object_object_get(
		json_object_object_get(json_object_object_get(v, "limits"), "iops_total"), "avg")), 400);
	mem = json_object_array_get_idx(json_object_object_get(v, "members"), 0);
	ASSERT_STREQ(json_object_get_string(json_object_object_get(mem, "cgroup")), "/vm\"1\"");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(mem, "device")), "nullb0");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(mem, "dev")), "252:0");
	ASSERT_NEAR(json_object_get_double(json_object_object_get(
		json_object_object_get(mem, "rates"), "write_iops")), 400, 1e-9);
	v = json_object_object_get(mem, "iomax");
	ASSERT_EQ(json_object_get_int(json_object_object_get(v, "wiops")), 380);
	ASSERT_TRUE(json_object_object_get_ex(v, "riops", &v) && v == NULL);	/* null: max */
	ASSERT_NEAR(json_object_get_double(json_object_object_get(
		json_object_object_get(mem, "bucket_fill"), "iops_total")), 0.25, 1e-9);
	ASSERT_TRUE(!json_object_object_get_ex(json_object_object_get(mem, "bucket_fill"), "bps_total", NULL));
	json_object_put(o);
}
