# null_blk disks from configfs: nullb_create NAME [key=value...] -> /dev/NAME
nullb_create() {
	local name=$1; shift
	local d=/sys/kernel/config/nullb/$name
	mkdir "$d"
	echo 2 > "$d/queue_mode"
	echo 1024 > "$d/size"
	echo 1 > "$d/memory_backed"
	local kv
	for kv in "$@"; do
		echo "${kv#*=}" > "$d/${kv%%=*}"
	done
	echo 1 > "$d/power"
	udevadm settle 2>/dev/null || true
	for _ in $(seq 50); do [ -b /dev/$name ] && return 0; sleep 0.1; done
	echo "nullb_create: /dev/$name did not appear" >&2
	return 1
}

nullb_destroy() {
	local d=/sys/kernel/config/nullb/$1
	[ -d "$d" ] || return 0
	echo 0 > "$d/power" 2>/dev/null || true
	rmdir "$d"
}

# MAJ:MIN of a disk
devnum() { cat /sys/class/block/$1/dev; }
