/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One file per subcommand, each with a do_<verb>() entry (bpftool's shape). */
#ifndef IORATE_COMMANDS_H
#define IORATE_COMMANDS_H

int do_top(int argc, char **argv);
int do_explain(int argc, char **argv);
int do_run(int argc, char **argv);
int do_check(int argc, char **argv);
int do_import_libvirt(int argc, char **argv);
int do_status(int argc, char **argv);
int do_reload(int argc, char **argv);

#endif
