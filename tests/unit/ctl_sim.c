// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The simulation's harness (ctl_sim.h): the bucket sets BPF would charge,
 * each member's io.max line as the actuator keeps it, the clock, and the
 * daemon's tick order.
 */
#include <math.h>
#include <string.h>
#include "ctl_sim.h"
#include "iorate_bucket.h"

/* The bucket sets BPF would charge: plain memory here. */
#define SIM_SETS	64
static struct iorate_bucket_set sim_mem[SIM_SETS];
static struct bucket_sets sim_sets;
static double sim_carry[SIM_SETS][CTL_NR_DIRS];
static double sim_thr_carry[SIM_SETS][CTL_NR_DIRS];
/* each member's io.max line as the actuator keeps it, and the clock */
static struct state_entry sim_line[SIM_SETS];
static struct act_params sim_act;
static uint64_t sim_now_ns;
/* a bucket passed full while armed: BPF's event, which the daemon acts on
 * before its next tick (daemon_bucket_full) */
static bool sim_filled;
/* a member's blk-throttle, where a test gives it one */
static struct btm *sim_plant[SIM_SETS];

void sim_init(struct ctl_binding *b, const struct policy_group *g, bool steady)
{
	bucket_sets_fini(&sim_sets);
	bucket_sets_init(&sim_sets, sim_mem, SIM_SETS);
	memset(sim_carry, 0, sizeof(sim_carry));
	memset(sim_thr_carry, 0, sizeof(sim_thr_carry));
	memset(sim_line, 0, sizeof(sim_line));
	memset(sim_plant, 0, sizeof(sim_plant));
	sim_filled = false;
	for (int i = 0; i < SIM_SETS; i++) {
		iomax_unlimited(&sim_line[i].original);
		iomax_unlimited(&sim_line[i].current);
	}
	act_params_init(&sim_act, steady, ACT_UNTIMED);
	sim_now_ns = 1000000000ULL;
	ctl_binding_init(b, g, 1, steady, &sim_sets);
}

/* The line in force for a member's (kind, dir), 0: none, as the
 * controller's own iomax[][] says it. */
uint64_t sim_in_force(const struct ctl_slot *s, int kind, int dir)
{
	uint64_t line[CTL_NR_KINDS][CTL_NR_DIRS];

	act_in_force(&sim_line[s->cgroup_id % SIM_SETS].current, line);
	return line[kind][dir];
}

/* An io.max write reaching blk-throttle: "max" is the model's 0 */
static void sim_write_plant(struct btm *plant, const struct iomax *line)
{
	uint64_t v[IOMAX_NR_FIELDS];

	for (int f = 0; f < IOMAX_NR_FIELDS; f++)
		v[f] = line->v[f] == IOMAX_UNLIMITED ? 0 : line->v[f];
	btm_set_limits(plant, v[IOMAX_RBPS], v[IOMAX_WBPS], (uint32_t)v[IOMAX_RIOPS],
		       (uint32_t)v[IOMAX_WIOPS]);
}

void sim_actuate(struct ctl_slot *s, bool lower_at_once)
{
	struct state_entry *e = &sim_line[s->cgroup_id % SIM_SETS];
	uint64_t in_force[CTL_NR_KINDS][CTL_NR_DIRS];
	struct iomax want, line;

	iomax_unlimited(&want);
	act_tighten(&want, s->iomax);
	if (act_next_line(&sim_act, e, &want, lower_at_once, sim_now_ns, &line)) {
		act_written(e, &line, 0, sim_now_ns);
		if (sim_plant[s->cgroup_id % SIM_SETS])
			sim_write_plant(sim_plant[s->cgroup_id % SIM_SETS], &line);
	}
	act_in_force(&e->current, in_force);
	ctl_slot_in_force(s, in_force, e->waiting);
}

/* The daemon's tick: a filled bucket's event first (BPF posts it while
 * the tick's I/O runs: halfway, for the actuator's write gate), then the
 * controller and the actuator on each line. */
/* A filled bucket's event, if BPF posted one: the binding tightened and
 * every line lowered at once (daemon_bucket_full). */
static void sim_bucket_event(struct ctl_binding *b)
{
	if (!sim_filled)
		return;
	ctl_binding_tighten(b);
	for (int i = 0; i < b->nr_slots; i++)
		sim_actuate(&b->slots[i], true);
	sim_filled = false;
}

/* The controller's tick, then the actuator on each line */
static void sim_tick_lines(struct ctl_binding *b, double dt)
{
	ctl_binding_tick(b, dt);
	for (int i = 0; i < b->nr_slots; i++)
		sim_actuate(&b->slots[i], false);
}

void sim_step(struct ctl_binding *b, double dt)
{
	sim_now_ns += (uint64_t)llround(dt * 1e9 / 2);
	sim_bucket_event(b);
	sim_now_ns += (uint64_t)llround(dt * 1e9 / 2);
	sim_tick_lines(b, dt);
}

void sim_set_timing(enum act_timing timing)
{
	sim_act.timing = timing;
}

uint32_t sim_line_writes(uint64_t id)
{
	return sim_line[id % SIM_SETS].writes;
}

void sim_attach_plant(uint64_t id, struct btm *plant)
{
	sim_plant[id % SIM_SETS] = plant;
}

/* A member's slot; a new one gets its first line before its first I/O,
 * as the daemon's mkdir event gives it. */
struct ctl_slot *sim_slot(struct ctl_binding *b, uint64_t id)
{
	struct ctl_slot *s = ctl_binding_slot(b, id, true);

	if (!sim_line[id % SIM_SETS].written_ns)
		sim_actuate(s, false);
	return s;
}

/* n requests charged through the member's sets with the shared header's
 * code, as BPF charges them */
static void sim_charge(struct ctl_binding *b, struct ctl_slot *s, int dir, long n,
		       double bytes_per_op)
{
	uint32_t sets[2];
	int nr_sets = ctl_slot_sets(b, s, sets);

	for (long r = 0; r < n; r++)
		for (int j = 0; j < nr_sets; j++)
			if (iorate_bucket_charge(bucket_sets_at(b->sets, sets[j]), dir,
						 (uint64_t)bytes_per_op, 1))
				sim_filled = true;
}

/* What BPF does for a member's requests: `ops` of them this tick (the
 * fraction carried to the next). */
void sim_io(struct ctl_binding *b, struct ctl_slot *s, int dir, double ops,
		   double bytes_per_op)
{
	double *carry = &sim_carry[s->cgroup_id % SIM_SETS][dir];
	long n = (long)floor(ops + *carry + 1e-9);

	*carry += ops - n;
	s->dev.ops[dir] = ops;
	s->dev.bytes[dir] = ops * bytes_per_op;
	sim_charge(b, s, dir, n, bytes_per_op);
}

const double sim_dts[SIM_NR_DTS] = { 0.01, 0.1, 1.0 };

struct policy_group sim_group(void)
{
	static struct policy_device any = { .any = true, .spec = "*" };
	struct policy_group g = { .name = "sim", .devices = &any, .nr_devices = 1 };

	return g;
}

/* Run one tick; returns device units done per member (sum of dirs). */
void sim_tick(struct ctl_binding *b, struct sim_member *m, int n, double dt,
		     double done[])
{
	for (int i = 0; i < n; i++) {
		struct ctl_slot *s = sim_slot(b, i + 1);

		done[i] = 0;
		for (int d = 0; d < CTL_NR_DIRS; d++) {
			uint64_t line = sim_in_force(s, CTL_IOPS, d);
			double allowed = line ? line : INFINITY;
			double *carry = &sim_thr_carry[(i + 1) % SIM_SETS][d];
			/* whole bios, as blk-throttle counts them: at 10 ms a
			 * rate of 50/s is a bio every other tick, not half of
			 * one in each */
			double thr = floor(fmin(m[i].want[d], allowed) * dt + *carry + 1e-9);

			*carry += fmin(m[i].want[d], allowed) * dt - thr;

			s->thr.ops[d] = thr;
			s->thr.bytes[d] = thr * m[i].bytes_per_op;
			sim_io(b, s, d, thr * m[i].gain, m[i].bytes_per_op / m[i].gain);
			done[i] += s->dev.ops[d];
		}
	}
	sim_step(b, dt);
}
/* One jiffy of a load's submissions: each direction filled to its depth or
 * fed its arrivals; a coupled job tops up its shared depth, dealing each
 * new bio to a direction by the read share. */
/* A write that waits in blk-throttle, and whose job it is */
static void queue_write(struct sim_load *l, bool writer)
{
	l->write_owner[(l->write_head + l->write_len++) % SIM_LOAD_MAX_QUEUE] = writer;
	if (writer)
		l->writer_queued++;
}

/* n waiting writes went, the oldest first */
static void dequeue_writes(struct sim_load *l, uint32_t n)
{
	for (; n && l->write_len; n--, l->write_len--) {
		if (l->write_owner[l->write_head])
			l->writer_queued--;
		l->write_head = (l->write_head + 1) % SIM_LOAD_MAX_QUEUE;
	}
}

static void plant_submit(struct btm *plant, struct sim_load *l, double *room)
{
	if (l->coupled) {
		while (l->elapsed_s >= l->coupled_from_s &&
		       plant->dir[0].queued + plant->dir[1].queued - l->writer_queued <
		       (uint32_t)l->depth[0] && *room >= 1) {
			int rw;

			/* fio draws each I/O's direction at random (rwmixread):
			 * a fixed pseudo-random sequence, the same every run */
			l->mix_seed = l->mix_seed * 6364136223846793005ULL + 1442695040888963407ULL;
			rw = (double)(l->mix_seed >> 11) / 9007199254740992.0 < l->read_share ?
			     CTL_READ : CTL_WRITE;
			if (btm_submit(plant, rw, l->bytes[rw]))
				*room -= 1;
			else if (rw == CTL_WRITE)
				queue_write(l, false);
		}
		while (l->elapsed_s < l->writer_s && l->writer_queued < l->writer_depth &&
		       *room >= 1) {
			if (btm_submit(plant, CTL_WRITE, l->bytes[CTL_WRITE]))
				*room -= 1;
			else
				queue_write(l, true);
		}
		return;
	}
	for (int d = 0; d < CTL_NR_DIRS; d++) {
		if (l->rate[d] > 0) {
			long n;

			l->arrival_carry[d] += l->rate[d] / BTM_HZ;
			n = (long)floor(l->arrival_carry[d]);
			l->arrival_carry[d] -= n;
			while (n-- > 0)
				btm_submit(plant, d, l->bytes[d]);
		}
		while (l->depth[d] && plant->dir[d].queued < (uint32_t)l->depth[d] && *room >= 1)
			if (btm_submit(plant, d, l->bytes[d]))
				*room -= 1;
	}
}

/* Whole jiffies in secs of the plant's time, carried across calls: a
 * 10 ms tick is 2 or 3 of them at HZ 250. */
static long plant_jiffies(struct sim_load *l, double secs)
{
	long jiffies;

	l->jiffy_carry += secs * BTM_HZ;
	jiffies = (long)floor(l->jiffy_carry + 1e-9);
	l->jiffy_carry -= jiffies;
	return jiffies;
}

/* n jiffies of the load against blk-throttle, the bios that pass charged */
static void plant_run(struct ctl_binding *b, struct ctl_slot *s, uint64_t id, struct btm *plant,
		      struct sim_load *l, long n, uint64_t last[CTL_NR_DIRS])
{
	double per_jiffy = (l->disk_per_s ? l->disk_per_s : 20000) / BTM_HZ;

	for (long j = 0; j < n; j++) {
		uint64_t at = sim_line[id % SIM_SETS].lower_at_ns;
		double room = per_jiffy;
		uint32_t waiting;

		/* the daemon's timer: a lowering waiting for its moment in
		 * blk-throttle's slice is written at it, to the jiffy */
		if (at && at <= sim_now_ns)
			sim_actuate(s, false);
		plant_submit(plant, l, &room);
		waiting = plant->dir[CTL_WRITE].queued;
		btm_tick(plant);
		if (l->coupled)
			dequeue_writes(l, waiting - plant->dir[CTL_WRITE].queued);
		l->elapsed_s += 1.0 / BTM_HZ;
		/* BPF charges each bio as it passes, and the daemon acts on a
		 * filled bucket's event at once, not at its next tick */
		for (int d = 0; d < CTL_NR_DIRS; d++) {
			sim_charge(b, s, d, (long)(plant->dir[d].dispatched - last[d]),
				   l->bytes[d] ? l->bytes[d] : 4096);
			last[d] = plant->dir[d].dispatched;
		}
		sim_bucket_event(b);
		sim_now_ns += 1000000000ULL / BTM_HZ;
	}
}

double sim_plant_tick(struct ctl_binding *b, uint64_t id, struct btm *plant, struct sim_load *l,
		      double dt)
{
	struct ctl_slot *s;
	uint64_t before[CTL_NR_DIRS], last[CTL_NR_DIRS];
	double done = 0;

	sim_attach_plant(id, plant);
	s = sim_slot(b, id);
	for (int d = 0; d < CTL_NR_DIRS; d++)
		before[d] = last[d] = plant->dir[d].dispatched;
	if (l->stall_s > 0 && l->stall_at_s < dt) {
		long stalled;

		plant_run(b, s, id, plant, l, plant_jiffies(l, l->stall_at_s), last);
		l->stall_passed = plant->dir[CTL_READ].dispatched + plant->dir[CTL_WRITE].dispatched;
		/* the guest's clock catches up: blk-throttle's slices and the
		 * actuator's gate see the time gone by */
		stalled = plant_jiffies(l, l->stall_s);
		plant->jiffies += stalled;
		l->elapsed_s += (double)stalled / BTM_HZ;
		sim_now_ns += stalled * (1000000000ULL / BTM_HZ);
		if (l->stall_at_s + l->stall_s < dt) {
			plant_run(b, s, id, plant, l, plant_jiffies(l, dt - l->stall_at_s - l->stall_s),
				  last);
		} else {
			/* the tick overdue: one jiffy for the kernel's timers
			 * (blk-throttle's dispatch) before the daemon runs */
			plant_run(b, s, id, plant, l, 1, last);
			dt = l->stall_at_s + l->stall_s + 1.0 / BTM_HZ;
		}
		l->stall_s = 0;
	} else {
		plant_run(b, s, id, plant, l, plant_jiffies(l, dt), last);
	}
	for (int d = 0; d < CTL_NR_DIRS; d++) {
		double ops = (double)(plant->dir[d].dispatched - before[d]);

		s->thr.ops[d] = s->dev.ops[d] = ops;
		s->thr.bytes[d] = s->dev.bytes[d] = ops * l->bytes[d];
		done += ops;
	}
	l->tick_s = dt;
	/* the clock is the plant's: the tick at its end */
	sim_tick_lines(b, dt);
	return done;
}
