# privnuma — build, test, demo, bench, install.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
DESTDIR ?=
# How `make install` grants the right to join opt-in cgroups: none, setcap or setuid (README).
PRIVILEGE ?= none
BIN := .build/release/privnuma
# privnuma's SPANK plugin for Slurm's node daemons (contrib/slurm, README "Under Slurm").
SLURM_PLUGIN := .build/slurm/privnuma_spank.so
# A static executable starts as fast as a C program: the launcher sits in front of every job.
# Each function gets a section of its own and lld (the toolchain's linker) lays the functions a
# launch runs (LAUNCH_ORDER, made by 'make launch-order': privnuma's, the Swift runtime's and the
# C library's) side by side, so a launch faults in fewer pages of the image.
LAUNCH_ORDER := $(CURDIR)/Tests/bench/launch.order
RELEASE_FLAGS := -c release --product privnuma -Xswiftc -static-executable \
	-Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -use-ld=lld \
	-Xlinker --symbol-ordering-file=$(LAUNCH_ORDER) -Xlinker --no-warn-symbol-ordering
APT_PACKAGES := libcap-dev numactl qemu-system-x86 busybox-static hyperfine cpio gcc \
	bash bash-completion zsh fish groff man-db bc time python3 libcap2-bin daxctl mmdebstrap e2fsprogs \
	debhelper dpkg-dev lintian xz-utils libslurm-dev valgrind strace

.PHONY: all build deps test unit-test binary-test vm-test demo bench launch-order install uninstall deb fuzz clean mutate slurm-plugin install-slurm-plugin

all: build

build:
	$(SWIFT) build $(RELEASE_FLAGS)

# Built against Slurm's own spank.h (libslurm-dev); slurmstepd provides the symbols.
slurm-plugin: $(SLURM_PLUGIN)

$(SLURM_PLUGIN): contrib/slurm/privnuma_spank.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $<

# Installs the Debian packages the build, the tests and the demo need (root; skipped when present).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Unit and binary tests (the binary tests run the release build that make install
# installs), the VM suite on a four-node guest with Debian 12's 6.1 kernel and its
# placement and fence scenarios again on Debian 12's 6.12 kernel, then the shell-level
# tests (the layers compiled floor by floor; completions in bash, zsh and fish; make
# install; make deb and lintian; every command the README documents).
test: deps build slurm-plugin
	$(SWIFT) test
	Tests/vm/kernels
	Tests/shell/run

unit-test: deps build
	$(SWIFT) test

vm-test: deps build slurm-plugin
	Tests/vm/kernels

# Switches off each safety check in turn in a scratch copy and runs the tests that stand
# for it; fails if any mutation survives (Tests/mutate/run --list; not part of make test).
mutate: deps build
	Tests/mutate/run

demo: deps build
	@echo "== This machine, as privnuma sees it (privnuma --hardware) =="
	@$(BIN) --hardware
	@echo
	@echo "== A real launch: privnuma --membind=0 runs a shell whose memory policy the kernel"
	@echo "   then reports in /proc/self/numa_maps (second column: bind:0) =="
	@$(BIN) --membind=0 -- sh -c 'grep -m3 -E "heap|stack" /proc/self/numa_maps'
	@echo
	@echo "== The same machine questions on a four-node virtual machine with memory-only nodes,"
	@echo "   then a CXL-like node onlined fenced on a second one =="
	Tests/vm/demo

bench: deps build
	Tests/bench/run

# Lists the launch path's functions anew (valgrind), then links the binary with that order.
launch-order: build
	Tests/bench/launch-order
	rm -f $(BIN)
	$(SWIFT) build $(RELEASE_FLAGS)
	rm -f $(BIN)
	$(SWIFT) build $(RELEASE_FLAGS)

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/privnuma
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	# The manual names the example file and the Slurm plugin where this PREFIX puts them.
	sed -e 's|/usr/local/share/doc/privnuma|$(PREFIX)/share/doc/privnuma|g' \
	  -e 's|/usr/local/lib/privnuma|$(PREFIX)/lib/privnuma|g' man/privnuma.1 > $(DESTDIR)$(PREFIX)/share/man/man1/privnuma.1
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/privnuma.1
	install -m 0644 man/privnuma.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/privnuma.conf.5
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 completions/privnuma.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/privnuma
	install -d $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions
	install -m 0644 completions/_privnuma $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_privnuma
	install -d $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0644 completions/privnuma.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/privnuma.fish
	install -d $(DESTDIR)$(PREFIX)/share/doc/privnuma
	install -m 0644 README.md examples/50-cxl0.conf $(DESTDIR)$(PREFIX)/share/doc/privnuma/
	@case "$(PRIVILEGE)" in \
	  none) ;; \
	  setcap) setcap cap_dac_override,cap_sys_nice+p $(DESTDIR)$(PREFIX)/bin/privnuma ;; \
	  setuid) chown root:root $(DESTDIR)$(PREFIX)/bin/privnuma && chmod 4755 $(DESTDIR)$(PREFIX)/bin/privnuma ;; \
	  *) echo "PRIVILEGE must be none, setcap or setuid" >&2; exit 2 ;; \
	esac

# The SPANK plugin, for the node daemons of a Slurm cluster; plugstack.conf names it.
install-slurm-plugin: slurm-plugin
	install -d $(DESTDIR)$(PREFIX)/lib/privnuma
	install -m 0755 $(SLURM_PLUGIN) $(DESTDIR)$(PREFIX)/lib/privnuma/privnuma_spank.so

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/privnuma $(DESTDIR)$(PREFIX)/lib/privnuma/privnuma_spank.so
	rmdir $(DESTDIR)$(PREFIX)/lib/privnuma 2>/dev/null || true
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/privnuma.1 $(DESTDIR)$(PREFIX)/share/man/man5/privnuma.conf.5
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/privnuma
	rm -f $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_privnuma
	rm -f $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/privnuma.fish
	rm -f $(DESTDIR)$(PREFIX)/share/doc/privnuma/README.md $(DESTDIR)$(PREFIX)/share/doc/privnuma/50-cxl0.conf
	rmdir $(DESTDIR)$(PREFIX)/share/doc/privnuma 2>/dev/null || true

# The Debian package, privnuma_<version>_<arch>.deb here, rebuilt when a file of the tree
# changed: dpkg-buildpackage -b on a copy of the tree under .build/deb (root not needed;
# debian/README.source).
DEB := privnuma_$(shell sed -n '1s/^privnuma (\(.*\)).*/\1/p' debian/changelog)_$(shell dpkg --print-architecture 2>/dev/null).deb

deb: $(DEB)

# Prerequisites: every regular file of the tree (a fixture's dangling sysfs link is no
# file make could find), colons escaped.
DEB_INPUTS := $(shell git ls-files -co --exclude-standard 2>/dev/null | \
  while IFS= read -r f; do [ -f "$$f" ] && printf '%s\n' "$$f"; done | sed 's/:/\\:/g')

$(DEB): $(DEB_INPUTS) | deps
	rm -rf .build/deb && mkdir -p .build/deb/privnuma
	git ls-files -co --exclude-standard | \
	  tar -cf - --ignore-failed-read --verbatim-files-from -T - | tar -xf - -C .build/deb/privnuma
	cd .build/deb/privnuma && dpkg-buildpackage -b -us -uc
	cp .build/deb/$@ $@

# Regenerates the files made from the command table (a test compares them): the completion
# scripts and the OPTIONS and COMMANDS sections of privnuma(1).
.PHONY: generated
generated: build
	$(BIN) __generate bash > completions/privnuma.bash
	$(BIN) __generate zsh > completions/_privnuma
	$(BIN) __generate fish > completions/privnuma.fish
	$(BIN) __generate man < man/privnuma.1 > man/privnuma.1.new && mv man/privnuma.1.new man/privnuma.1

clean:
	rm -rf .build .cache fuzz-out

# Coverage-guided fuzzing of the registry and NODES parsers (libFuzzer; not part of make test).
FUZZ_SECONDS ?= 600

fuzz: fuzz-registry fuzz-nodespec

fuzz-registry fuzz-nodespec: fuzz-%:
	Fuzz/run.sh $* $(FUZZ_SECONDS)

.PHONY: fuzz-registry fuzz-nodespec
