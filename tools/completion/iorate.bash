# bash completion for iorate(8). Kept in step with the binary's --help by
# tests/cli/030-man.bats.

_iorate()
{
	local cur prev words cword
	_init_completion || return

	local commands='run check top explain status reload import-libvirt'
	local cmd i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands --version --help" -- "$cur"))
		return
	fi

	case $cmd in
	run)
		case $prev in
		-p | --policy)
			_filedir conf
			return ;;
		esac
		COMPREPLY=($(compgen -W '--policy --verbose --help' -- "$cur"))
		;;
	check)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--verbose --help' -- "$cur"))
		else
			_filedir conf
		fi
		;;
	top)
		case $prev in
		-l | --level)
			COMPREPLY=($(compgen -W 'device bio' -- "$cur"))
			return ;;
		-n | --iterations | -d | --delay)
			return ;;
		-s | --socket)
			_filedir
			return ;;
		esac
		COMPREPLY=($(compgen -W '--batch --iterations --delay --json --level --all --socket --help' -- "$cur"))
		;;
	explain)
		case $prev in
		-d | --duration | -n | --count)
			return ;;
		-q | --qmp)
			_filedir
			return ;;
		esac
		COMPREPLY=($(compgen -W '--qmp --duration --count --json --help' -- "$cur"))
		;;
	status)
		case $prev in
		-s | --socket)
			_filedir
			return ;;
		esac
		COMPREPLY=($(compgen -W '--json --socket --help' -- "$cur"))
		;;
	reload)
		case $prev in
		-s | --socket)
			_filedir
			return ;;
		esac
		COMPREPLY=($(compgen -W '--socket --help' -- "$cur"))
		;;
	import-libvirt)
		case $prev in
		-o | --output)
			_filedir
			return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--output --help' -- "$cur"))
		else
			_filedir xml
		fi
		;;
	esac
} &&
	complete -F _iorate iorate
