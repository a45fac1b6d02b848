/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The control loop against a simulated disk, shared by the simulation's
 * tests: each member wants some rate, io.max lets through at most its
 * value per second (in io.max units), and the disk sees `gain` device units
 * per io.max unit (splits, writeback). A member can instead be given
 * blk-throttle itself (blk_throttle_model.h), which then gets every line
 * the actuator writes.
 *
 * Between the controller and the disk sits the daemon's own actuator
 * (actuator.h): the disk sees the line in force, which moves only past the
 * hysteresis and at the write gate's pace, as it does in the daemon.
 */
#ifndef IORATE_CTL_SIM_H
#define IORATE_CTL_SIM_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include "actuator.h"
#include "blk_throttle_model.h"
#include "controller.h"

struct sim_member {
	double want[CTL_NR_DIRS];	/* io.max units/s the workload would do */
	double gain;			/* device ops per io.max op */
	double bytes_per_op;
};

/* 10 ms (the policy's least tick), 100 ms (its default), 1 s */
#define SIM_NR_DTS	3
extern const double sim_dts[SIM_NR_DTS];

/* Ticks in `s` seconds, and the whole second tick t ends in. */
static inline int sim_ticks(double s, double dt) { return (int)lround(s / dt); }
static inline int sim_sec(int t, double dt) { return (int)floor(t * dt + 1e-9); }
/* The tick t is the last of a whole second. */
static inline bool sim_sec_end(int t, double dt) { return sim_sec(t + 1, dt) != sim_sec(t, dt); }

void sim_init(struct ctl_binding *b, const struct policy_group *g, bool steady);
/* A policy group on every disk, without limits yet. */
struct policy_group sim_group(void);
/* The line in force for a member's (kind, dir), 0: none. */
uint64_t sim_in_force(const struct ctl_slot *s, int kind, int dir);
/* The controller's wish for one member through the actuator. */
void sim_actuate(struct ctl_slot *s, bool lower_at_once);
/* The daemon's tick: a filled bucket's event first, then the controller
 * and the actuator on each line. */
void sim_step(struct ctl_binding *b, double dt);
/* A member's slot; a new one gets its first line before its first I/O. */
struct ctl_slot *sim_slot(struct ctl_binding *b, uint64_t id);
/* After sim_init: which lowerings wait for a phase of blk-throttle's
 * slice (actuator.h); sim_init leaves them all untimed. */
void sim_set_timing(enum act_timing timing);
/* io.max writes the actuator made for member id */
uint32_t sim_line_writes(uint64_t id);
/* Member id's io.max writes go to this blk-throttle from now on. */
void sim_attach_plant(uint64_t id, struct btm *plant);
/* What BPF does for a member's requests this tick: `ops` of them, each
 * charged through its bucket sets. */
void sim_io(struct ctl_binding *b, struct ctl_slot *s, int dir, double ops, double bytes_per_op);
/*
 * A workload against a member's blk-throttle, per direction: `depth` bios
 * kept outstanding (fio's iodepth; the disk completes a bio the jiffy it
 * passes, up to `disk_per_s`), or bios arriving at `rate` per second
 * whatever passes (writeback's flushers). `coupled`: one depth for both
 * directions, depth[CTL_READ], each new bio a read with the chance
 * `read_share` (a randrw job, whose reads wait behind its writes).
 */
#define SIM_LOAD_MAX_QUEUE	64

struct sim_load {
	int depth[CTL_NR_DIRS];
	double rate[CTL_NR_DIRS];
	uint32_t bytes[CTL_NR_DIRS];
	bool coupled;
	double read_share;
	double disk_per_s;		/* 0: 20000, a null_blk in the TCG VM */
	/* Beside a coupled job, a second one in the same cgroup: direct
	 * writes kept `writer_depth` deep for the first `writer_s` seconds
	 * (020's mix shift: a 90/10 randrw plus a writer for half its run),
	 * the coupled job from `coupled_from_s` */
	int writer_depth;
	double writer_s;
	double coupled_from_s;
	/* A stall of the whole VM in the next tick (its vCPUs descheduled on
	 * a loaded host), stall_s after stall_at_s of the tick; the harness
	 * clears stall_s once it has passed. */
	double stall_at_s, stall_s;
	/* the loop's own: the clock, whose each waiting write is
	 * (blk-throttle dispatches a direction's bios in order), a stall */
	double jiffy_carry, arrival_carry[CTL_NR_DIRS];
	uint64_t mix_seed;
	double elapsed_s;
	bool write_owner[SIM_LOAD_MAX_QUEUE];
	int write_head, write_len, writer_queued;
	double tick_s;			/* the last tick's dt, a stall in it */
	uint64_t stall_passed;		/* bios passed in all when it stalled */
};

/* dt of member id's I/O through its blk-throttle, charged as BPF charges
 * it, then the daemon's tick. Returns the bios that passed (the disk's
 * requests: the model does not split), both directions.
 * With a stall in it (sim_load.stall_s): nothing runs for the stall (no
 * bio submitted or dispatched, no daemon), then the guest's jiffies catch
 * up at once, blk-throttle's timer fires in the first jiffy after, and the
 * daemon's periodic timer, overdue, ticks there with a dt that spans the
 * stall; a stall that ends before the tick is due delays nothing but I/O.
 * l->tick_s says how long the tick was. */
double sim_plant_tick(struct ctl_binding *b, uint64_t id, struct btm *plant, struct sim_load *l,
		      double dt);

/* One tick of n members against the simple disk; done[i]: device units. */
void sim_tick(struct ctl_binding *b, struct sim_member *m, int n, double dt, double done[]);

#endif
