# need CMD HINT: skip a test whose tool is missing, with HINT saying what
# to install; under CI=true every test must run, so it fails instead.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "$1 missing ($2), and CI=true: every test must run" >&2
		return 1
	fi
	skip "$1 missing: $2"
}

# need_file PATH HINT: the same for a file (a package without a command)
need_file() {
	[ -e "$1" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "$1 missing ($2), and CI=true: every test must run" >&2
		return 1
	fi
	skip "$1 missing: $2"
}

# cannot_run WHY: skip a test this machine cannot run; under CI=true every
# test must run, so it fails instead.
cannot_run() {
	if [ "${CI:-}" = true ]; then
		echo "cannot run: $1, and CI=true: every test must run" >&2
		return 1
	fi
	skip "$1"
}
