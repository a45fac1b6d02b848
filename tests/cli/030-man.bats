#!/usr/bin/env bats
# The man pages render cleanly and stay in step with the code (as bpftool
# keeps its docs): every command and long option of the binary is in
# iorate(8) and the bash completion, every policy key of the parser is in
# iorate.conf(5). A test here fails when someone adds one and not the other.

bats_require_minimum_version 1.5.0

load ../need

IORATE=${IORATE:-build/iorate}
MAN8=docs/man/iorate.8
MAN5=docs/man/iorate.conf.5
COMPLETION=tools/completion/iorate.bash

# A page as plain ASCII text, one paragraph per line.
render() {
	MANWIDTH=1000 man -E ascii -l "$1" 2>/dev/null | col -b
}

# The commands `iorate --help` lists.
commands() {
	"$IORATE" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}

# The long options `iorate CMD --help` prints.
long_options() {
	"$IORATE" "$1" --help | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# Every key the policy parser knows, read from its tables in user/policy.c.
policy_keys() {
	local src=user/policy.c
	# from the table's first line to its "};" (maybe the same line)
	strings_of() {
		awk -v re="$1" '$0 ~ re { f = 1 } f { print } f && /};/ { exit }' "$src" |
			grep -o '"[^"]*"' | tr -d '"'
	}
	strings_of 'policy_daemon_keys\\[DKEY_NR\\] = {'
	strings_of 'named\\[GKEY_LIMIT0\\] = {'
	local l s
	for l in $(strings_of 'policy_limit_names\\[POLICY_NR_LIMITS\\] = {'); do
		# the suffix table is one line: "", "-max", "-max-length"
		for s in '' $(strings_of 'policy_field_suffix\\[FIELD_NR\\] = {'); do
			echo "$l$s"
		done
	done | sort -u
}

@test "man pages render without warnings" {
	need man "install man-db"
	for page in "$MAN8" "$MAN5"; do
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$page"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$page: $stderr" >&2; false; }
		run --separate-stderr groff -man -ww -z "$page"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$page: $stderr" >&2; false; }
	done
}

@test "the key extraction from user/policy.c still finds every table" {
	run policy_keys
	[ "$status" -eq 0 ]
	# 7 daemon keys, 5 named group keys, 6 limits x (base, -max, -max-length)
	[ "${#lines[@]}" -ge 30 ] || { echo "found: ${lines[*]}" >&2; false; }
	[[ " ${lines[*]} " == *" tick "* ]]
	[[ " ${lines[*]} " == *" match "* ]]
	[[ " ${lines[*]} " == *" iops-write-max-length "* ]]
}

@test "iorate.8 documents every command and its long options" {
	need man "install man-db"
	text=$(render "$MAN8")
	run commands
	[ "${#lines[@]}" -ge 4 ]
	missing=
	for cmd in $(commands); do
		grep -qw -- "iorate $cmd" <<<"$text" || missing+=" $cmd"
		for opt in $(long_options "$cmd"); do
			grep -q -- "$opt\b" <<<"$text" || missing+=" $cmd:$opt"
		done
	done
	for opt in --version --help; do
		grep -q -- "$opt" <<<"$text" || missing+=" $opt"
	done
	[ -z "$missing" ] || { echo "missing from $MAN8:$missing" >&2; false; }
}

@test "iorate.8 documents no command the binary lacks" {
	need man "install man-db"
	cmds=" $(commands | tr '\n' ' ') "
	# the COMMANDS section: tagged paragraphs indented by 7
	extra=
	for c in $(render "$MAN8" | sed -n '/^COMMANDS/,/^OPTIONS/p' |
		   sed -n 's/^       \([a-z][a-z-]*\)$/\1/p'); do
		[[ $cmds == *" $c "* ]] || extra+=" $c"
	done
	[ -z "$extra" ] || { echo "documented but not in iorate --help:$extra" >&2; false; }
}

@test "the bash completion knows every command and long option" {
	missing=
	for cmd in $(commands); do
		grep -qw -- "$cmd" "$COMPLETION" || missing+=" $cmd"
		for opt in $(long_options "$cmd"); do
			# the option in the word list of its command's case branch
			sed -n "/^	$cmd)/,/^		;;\$/p" "$COMPLETION" | grep -q -- "$opt\b" ||
				missing+=" $cmd:$opt"
		done
	done
	[ -z "$missing" ] || { echo "missing from $COMPLETION:$missing" >&2; false; }
}

@test "the bash completion completes commands and options" {
	need_file /usr/share/bash-completion/bash_completion "install the bash-completion package"
	complete_words() {
		bash -c '
			source /usr/share/bash-completion/bash_completion
			source "$0"
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_iorate iorate "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' "$COMPLETION" "$@"
	}
	run complete_words iorate im
	[ "$output" = import-libvirt ]
	run complete_words iorate top --le
	[ "$output" = --level ]
	run complete_words iorate top --level ""
	[ "$(echo $output)" = "device bio" ]
	run complete_words iorate run --p
	[ "$output" = --policy ]
}

@test "iorate.conf.5 documents every policy key" {
	need man "install man-db"
	text=$(render "$MAN5")
	missing=
	for key in $(policy_keys); do
		grep -q -- "\(^\|[^a-z-]\)$key\([^a-z-]\|\$\)" <<<"$text" || missing+=" $key"
	done
	[ -z "$missing" ] || { echo "missing from $MAN5:$missing" >&2; false; }
}

@test "iorate.conf.5 gives the libvirt element of every limit" {
	need man "install man-db"
	text=$(render "$MAN5")
	for el in total_bytes_sec read_bytes_sec write_bytes_sec total_iops_sec \
		  read_iops_sec write_iops_sec size_iops_sec; do
		grep -qw -- "$el" <<<"$text" || { echo "no $el" >&2; false; }
	done
}

@test "--version names iorate's version and libbpf's" {
	run "$IORATE" --version
	[ "$status" -eq 0 ]
	[[ $output =~ ^iorate\ $(cat VERSION)\ \(libbpf\ v?[0-9]+\.[0-9]+ ]]
}
