# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# iorate: BPF objects -> skeletons (build/, never committed) -> one binary.
# `make V=1` shows the commands.

OUTPUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PKG_CONFIG ?= pkg-config
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

PKGS := libbpf libelf zlib json-c libmicrohttpd ncursesw libsystemd libxml-2.0
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -g -O2
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DIORATE_VERSION='"$(VERSION)"' \
	-Iinclude -Iuser -I$(OUTPUT) $(PKG_CFLAGS)
# -mcpu=v3: fetch-and-add whose result is used needs it with clang 14.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Iinclude -I. -I$(OUTPUT)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%.o,$(UNIT_SRCS))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all clean test test-unit test-cli test-host test-vm demo deps

all: $(OUTPUT)/iorate

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/unit:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/iorate.h vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h include/*.h) $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/iorate: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(PKG_LIBS) -lm -o $@

$(OUTPUT)/unit/%.o: tests/unit/%.c $(wildcard tests/unit/*.h user/*.h include/*.h) $(SKELS) | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -c $< -o $@

$(OUTPUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(PKG_LIBS) -lm -o $@

# ---- tests: unit (no root), cli (bats, no root), host (root), vm (qemu) ----
test: test-unit test-cli test-host test-vm

test-unit: $(OUTPUT)/unit-tests
	$(OUTPUT)/unit-tests

test-cli: $(OUTPUT)/iorate
	bats tests/cli

test-host: $(OUTPUT)/iorate
	@tests/run-tier host bats tests/host

# 6.1 (Debian 12's default kernel) and 6.12 (its backport): the meter on
# both; enforcement on 6.12, see docs/enforcement.md for 6.1's blk-throttle.
VM_TESTS_BOTH := tests/vm/000-smoke.bats tests/vm/010-accounting.bats
VM_TESTS_612 := tests/vm/020-enforce.bats
test-vm: $(OUTPUT)/iorate
	@tests/run-tier vm tools/vmtest --kernel 6.1 -- bats $(VM_TESTS_BOTH)
	@tests/run-tier vm tools/vmtest --kernel 6.12 -- bats $(VM_TESTS_BOTH) $(VM_TESTS_612)

demo: $(OUTPUT)/iorate
	tools/vmtest -- tools/demo

clean:
	rm -rf $(OUTPUT)

# ---- install ----
# `make install DESTDIR=/tmp/stage PREFIX=/usr` for packaging; the example
# policy is installed only where none exists, so an upgrade keeps the
# operator's file, and `make uninstall` leaves it too.
.PHONY: install uninstall

MAN8 := docs/man/iorate.8
MAN5 := docs/man/iorate.conf.5

$(OUTPUT)/iorate.service: tools/systemd/iorate.service.in | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@

# FORCE-like: BINDIR may differ from the last build's, so always regenerate.
.PHONY: $(OUTPUT)/iorate.service

install: $(OUTPUT)/iorate $(OUTPUT)/iorate.service
	install -D -m 0755 $(OUTPUT)/iorate $(DESTDIR)$(BINDIR)/iorate
	install -D -m 0644 $(OUTPUT)/iorate.service $(DESTDIR)$(UNITDIR)/iorate.service
	install -D -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/iorate.8
	install -D -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/iorate.conf.5
	install -D -m 0644 tools/completion/iorate.bash $(DESTDIR)$(BASHCOMPDIR)/iorate
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/iorate/iorate.conf ]; then \
		echo "  KEEP     $(DESTDIR)$(SYSCONFDIR)/iorate/iorate.conf (exists)"; \
	else \
		echo "install -D -m 0644 examples/iorate.conf $(DESTDIR)$(SYSCONFDIR)/iorate/iorate.conf"; \
		install -D -m 0644 examples/iorate.conf $(DESTDIR)$(SYSCONFDIR)/iorate/iorate.conf; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/iorate $(DESTDIR)$(UNITDIR)/iorate.service \
		$(DESTDIR)$(MANDIR)/man8/iorate.8 $(DESTDIR)$(MANDIR)/man5/iorate.conf.5 \
		$(DESTDIR)$(BASHCOMPDIR)/iorate
	@echo "  KEEP     $(DESTDIR)$(SYSCONFDIR)/iorate/iorate.conf (remove it by hand)"
