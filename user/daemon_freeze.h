/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The bypass repair's freeze (actuator.h): a cgroup whose io.max stopped
 * holding is frozen for ACT_FREEZE_NS and thawed by a timer of its own, not
 * by a sleep inside the tick (which stalled every other group with it).
 * The freeze is in the state file before cgroup.freeze is written, so a
 * daemon killed before the thaw leaves a mark the next start thaws, and
 * SIGTERM thaws with the restore.
 */
#ifndef IORATE_DAEMON_FREEZE_H
#define IORATE_DAEMON_FREEZE_H

#include "daemon.h"

/* After state_open: the thaw timer, and a thaw of what a previous run
 * left frozen. */
int daemon_freeze_open(struct daemon *d);
void daemon_freeze_close(struct daemon *d);
/* Freeze e's cgroup now, unless it is frozen already (by iorate for
 * another disk, or by somebody else: theirs to thaw). True when it did. */
bool daemon_freeze(struct daemon *d, struct state_entry *e);
/* Thaw e's cgroup now if iorate froze it (a restore, a line dropped);
 * the caller saves the state once for all it thawed. */
void daemon_thaw(struct daemon *d, struct state_entry *e);
/* The actuator's timer: thaws, and lowerings waiting for their moment
 * on 6.1 (actuator.h). Its fd for the main loop's poll set; the handler
 * thaws what is due and says whether a lowering is (daemon.c applies
 * it); arm sets it for the soonest of either. */
int daemon_thaw_fd(struct daemon *d);
bool daemon_handle_thaw(struct daemon *d);
void daemon_timer_arm(struct daemon *d);

#endif
