// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The disk-kind table the tick asks for every usage entry: each device is
 * looked up in sysfs once per rescan, found again through collisions, and
 * a full table still answers. Majors from 4000 up name no device, so
 * sysfs answers "not bio-based" for all of them; a cached answer is told
 * apart by flipping it in the table.
 */
#include <stdlib.h>
#include "disk.h"
#include "iorate.h"
#include "test.h"

TEST(disk_kinds_remember_each_device_through_collisions)
{
	struct disk_kinds *k = calloc(1, sizeof(*k));
	int found = 0;

	if (!ASSERT_TRUE(k != NULL))
		return;
	ASSERT_EQ(disk_kinds_bio_based(k, 0), false);
	ASSERT_EQ(k->nr, 0);
	for (uint32_t i = 0; i < DISK_KIND_SLOTS / 2; i++)
		ASSERT_EQ(disk_kinds_bio_based(k, iorate_mkdev(4000 + i % 50, i)), false);
	ASSERT_EQ(k->nr, DISK_KIND_SLOTS / 2);
	for (int s = 0; s < DISK_KIND_SLOTS; s++)
		if (k->dev[s])
			k->bio_based[s] = true;
	for (uint32_t i = 0; i < DISK_KIND_SLOTS / 2; i++)
		found += disk_kinds_bio_based(k, iorate_mkdev(4000 + i % 50, i));
	ASSERT_EQ(found, DISK_KIND_SLOTS / 2);
	/* half full: a new device is answered from sysfs, not remembered */
	ASSERT_EQ(disk_kinds_bio_based(k, iorate_mkdev(4095, 1)), false);
	ASSERT_EQ(k->nr, DISK_KIND_SLOTS / 2);
	free(k);
}
