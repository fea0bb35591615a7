# osr — open sharedroot. See README.md.
SHELL        := /bin/bash
GO           ?= go
PREFIX       ?= /usr
SYSCONFDIR   ?= /etc
LIBEXECDIR   ?= $(PREFIX)/libexec
DATADIR      ?= $(PREFIX)/share
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(DATADIR)/man
BASHCOMPDIR  ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR   ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR  ?= $(DATADIR)/fish/vendor_completions.d
KERNELINSTALLDIR ?= $(PREFIX)/lib/kernel/install.d
KERNELHOOKDIR    ?= $(SYSCONFDIR)/kernel
DESTDIR      ?=
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
DRIVERS      := nfs gfs2 ocfs2 ext3
# The installation directories are compiled into osr (internal/paths); see `osr version --paths`.
PATHS        := github.com/open-sharedroot/osr/internal/paths
LDFLAGS      := -s -w -X github.com/open-sharedroot/osr/internal/buildinfo.linkVersion=$(VERSION) -X $(PATHS).sysconfDir=$(SYSCONFDIR) \
                -X $(PATHS).libexecDir=$(LIBEXECDIR) -X $(PATHS).dataDir=$(DATADIR)
GOBUILD      := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
INIT_TAGS    := grpcnotrace,nethttpomithttp2
export CGO_ENABLED := 0

.PHONY: all build deps test test-long test-short fuzz-short lint proto man install install-compat uninstall uninstall-compat package demo bench clean

all: build

build:
	@mkdir -p bin
	$(GOBUILD) -o bin/osr ./cmd/osr
	$(GOBUILD) -o bin/osr-driverhost ./cmd/osr-driverhost
	@# osr-init is the /init of images with a built-in driver (no gRPC in it);
	@# osr-init-plugin the /init of images whose driver is a program of its own.
	@# Without gRPC's x/net/trace and net/http's HTTP/2 (neither is used by
	@# go-plugin over a unix socket) osr-init-plugin is smaller.
	$(GOBUILD) -o bin/osr-init ./cmd/osr-init
	$(GOBUILD) -tags '$(INIT_TAGS)' -o bin/osr-init-plugin ./cmd/osr-init-plugin
	@# The built-in drivers are osr-init-plugin under their names (docs/layout.md).
	@for d in $(DRIVERS); do ln -sfn osr-init-plugin bin/osr-driver-$$d; done

# The whole test suite. Kernel, qemu and NFS tests fetch and set up what they need;
# run as root on Debian 12 (see .ci/run for the packages).
# Debian packages the tests and the demo use (installed when missing; needs root).
deps:
	scripts/install-deps.sh

test: deps build fuzz-short
	$(GO) test -count=1 -timeout 40m $$($(GO) list ./... | grep -v /test/e2e)
	@# The boot tests one package at a time: rpcbind, which the NFS tests start,
	@# is one per machine (its lock and socket are not per network namespace).
	$(GO) test -count=1 -p 1 -timeout 40m ./test/e2e/...
	cd examples/osr-driver-squashfs && $(GO) test -count=1 ./...
	scripts/test-install.sh
	scripts/test-package.sh

# The boot tests too long for `make test`: four Debian nodes with systemd at once,
# two Debian nodes on one GFS2 lock_dlm disk and on one OCFS2 disk.
test-long: deps build
	OSR_E2E_LONG=1 $(GO) test -count=1 -timeout 90m -run 'TestDebianFourNodes|TestDebianGFS2TwoNodes|TestDebianOCFS2TwoNodes' ./test/e2e/realos

# Unit tests only: no kernel download, no qemu.
test-short:
	$(GO) test -short -count=1 ./...

# Short fuzz runs of the fuzz targets (their seeds also run in every plain go test).
# Each run is bounded by a count of inputs ("Nx"), not by a duration: Go 1.26's
# coordinator can report its own -fuzztime deadline as a failure when a worker is
# busy at that moment (go.dev/issue/75804), which failed CI without any crashing
# input. The counts give about 10 s per target on 2 cores; minimizing a new input
# is bounded the same way. FUZZSCALE multiplies every count (make fuzz-short FUZZSCALE=10).
FUZZSCALE ?= 1
FUZZ_TARGETS := \
	./framework/initrd/image:FuzzImage:20000 \
	./framework/initrd/image:FuzzExtract:3000 \
	./framework/cdsl/inventory:FuzzParse:200000 \
	./framework/cdsl/inventory:FuzzLayout:200000 \
	./framework/cdsl/inventory:FuzzNames:200000 \
	./framework/internal/hcldepth:FuzzParseConfig:150000 \
	./framework/config:FuzzLoad:80000 \
	./framework/config:FuzzDecodeFile:80000 \
	./framework/cluster:FuzzReadHCL:80000 \
	./framework/cluster:FuzzReadClusterConf:60000 \
	./framework/cluster/render:FuzzHCLFile:20000 \
	./framework/driver/plugin:FuzzParseHandshake:60000
fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$$(( $${rest#*:} * $(FUZZSCALE) )); \
		echo "$(GO) test -run '^$$' -fuzz '^$$name\$$' -fuzztime $${n}x $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${n}x -fuzzminimizetime 100x -timeout 5m $$pkg || exit 1; \
	done

# gofmt, the licence header on every source file, go vet and staticcheck (installed into .tools at a pinned version).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@out=$$(for f in $$(git ls-files '*.go' '*.sh' '*.proto' .ci/run 'packaging/kernel/*'); do head -n 3 "$$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || echo "$$f"; done); \
		if [ -n "$$out" ]; then echo "missing '// SPDX-License-Identifier: Apache-2.0' in the first lines:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd examples/osr-driver-squashfs && $(GO) vet ./...
	@mkdir -p .tools
	GOBIN=$(CURDIR)/.tools $(GO) install $(STATICCHECK)
	$(CURDIR)/.tools/staticcheck ./...
	cd examples/osr-driver-squashfs && $(CURDIR)/.tools/staticcheck ./...

# Regenerate the man pages osr(8) and osr-COMMAND(8) and the bash, zsh and fish
# completions in packaging/ from the command tree (a test fails when they are stale).
man:
	$(GO) test -count=1 -run 'TestManPages|TestCompletions' ./internal/drivercli -args -update

# Regenerate the driver protocol's Go code from proto/osr/driver/v1/driver.proto.
# Needs protoc (Debian: protobuf-compiler); the Go generators are installed at pinned versions.
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
proto:
	@mkdir -p .tools
	GOBIN=$(CURDIR)/.tools $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(CURDIR)/.tools $(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH=$(CURDIR)/.tools:$$PATH protoc -I proto \
		--go_out=. --go_opt=module=github.com/open-sharedroot/osr \
		--go-grpc_out=. --go-grpc_opt=module=github.com/open-sharedroot/osr \
		proto/osr/driver/v1/driver.proto

# The main job: two nodes boot one NFS shared root under qemu (needs root).
demo: deps build
	$(GO) run ./test/e2e/cmd/osr-demo

# Benchmarks, each against its anchor on this machine in one run: initrd builds
# (osr vs dracut and initramfs-tools), CDSL creation (vs cp -a), a cluster query on
# 1000 nodes, the boot to switch_root (osr vs dracut, NFS root under qemu), and a
# two-node GFS2 lock_dlm cluster: per node kernel start to quorum and to the mount,
# the survivor's recovery after a node is killed, and a real Debian's boot to
# multi-user.target (osr on one and two nodes vs dracut); per-process speed and
# image weight (scripts/bench-speed.sh): osr version vs a Go hello-world, a cluster
# query vs xmllint, osr inspect vs zstd/pigz/gzip/xz -dc with peak memory, an xz
# build vs a zstd build, the Go code in an image.
bench: deps build
	@# dracut and initramfs-tools are timed while no boot test runs (the qemu lock).
	flock /tmp/osr-qemu.lock scripts/bench-build.sh
	scripts/bench-speed.sh
	scripts/bench-cdsl.sh
	$(GO) test -run '^$$' -bench 'Query1000' -benchtime 20x ./framework/cluster/query
	$(GO) test -run '^$$' -bench 'BootNFS' -benchtime 3x -timeout 30m ./test/e2e/osrboot
	$(GO) test -run '^$$' -bench 'GFS2Cluster' -benchtime 1x -timeout 40m ./test/e2e/osrboot
	$(GO) test -run '^$$' -bench 'DebianBoot' -benchtime 1x -timeout 60m ./test/e2e/realos

# PREFIX, BINDIR, SYSCONFDIR, LIBEXECDIR and DATADIR are honoured; the directories
# osr searches are compiled in by build (LDFLAGS). An existing osr.hcl is kept.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/osr/drivers \
		$(DESTDIR)$(DATADIR)/osr/listfiles $(DESTDIR)$(SYSCONFDIR)/osr/conf.d \
		$(DESTDIR)$(SYSCONFDIR)/osr/listfiles.d
	install -m 0755 bin/osr $(DESTDIR)$(BINDIR)/osr
	@# osr execs osr-driverhost for the commands that talk to drivers; osr-init and
	@# osr-init-plugin are the images' /init, and the built-in drivers are links to
	@# osr-init-plugin, which serves them (docs/layout.md).
	install -m 0755 bin/osr-driverhost bin/osr-init bin/osr-init-plugin $(DESTDIR)$(LIBEXECDIR)/osr/
	@for d in $(DRIVERS); do ln -sfn ../osr-init-plugin $(DESTDIR)$(LIBEXECDIR)/osr/drivers/osr-driver-$$d; done
	cp -r listfiles/. $(DESTDIR)$(DATADIR)/osr/listfiles/
	@[ -e $(DESTDIR)$(SYSCONFDIR)/osr/osr.hcl ] || install -m 0644 docs/osr.hcl.example $(DESTDIR)$(SYSCONFDIR)/osr/osr.hcl
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 packaging/man/osr.hcl.5 $(DESTDIR)$(MANDIR)/man5/osr.hcl.5
	install -m 0644 packaging/man/osr-cmdline.7 $(DESTDIR)$(MANDIR)/man7/osr-cmdline.7
	install -m 0644 packaging/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	@# Shell completions (generated with the man pages by make man).
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0644 packaging/completion/osr.bash $(DESTDIR)$(BASHCOMPDIR)/osr
	install -m 0644 packaging/completion/_osr $(DESTDIR)$(ZSHCOMPDIR)/_osr
	install -m 0644 packaging/completion/osr.fish $(DESTDIR)$(FISHCOMPDIR)/osr.fish
	@# The kernel hooks (off until osr.hcl sets initrd { kernel_hooks = true }).
	install -d $(DESTDIR)$(KERNELINSTALLDIR) $(DESTDIR)$(KERNELHOOKDIR)/postinst.d $(DESTDIR)$(KERNELHOOKDIR)/postrm.d
	@for h in 50-osr.install:$(KERNELINSTALLDIR)/50-osr.install postinst.d/osr:$(KERNELHOOKDIR)/postinst.d/osr \
		postrm.d/osr:$(KERNELHOOKDIR)/postrm.d/osr; do \
		sed 's|@BINDIR@|$(BINDIR)|' packaging/kernel/$${h%%:*} >$(DESTDIR)$${h#*:} && chmod 0755 $(DESTDIR)$${h#*:} || exit 1; \
	done

# The original tools' names, as links to osr, for clusters whose scripts and boot code
# call them (docs/migrating.md): com-* beside osr, mkinitrd where comoonics-bootimage had it.
COMPAT_BIN   := com-queryclusterconf com-mkcdsl com-rmcdsl com-cdslinvadm com-cdslinvchk com-mkcdslinfrastructure
BOOTIMAGEDIR ?= /opt/atix/comoonics-bootimage
install-compat:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BOOTIMAGEDIR)
	@for c in $(COMPAT_BIN); do ln -sfn $(BINDIR)/osr $(DESTDIR)$(BINDIR)/$$c; echo "$(DESTDIR)$(BINDIR)/$$c -> osr"; done
	ln -sfn $(BINDIR)/osr $(DESTDIR)$(BOOTIMAGEDIR)/mkinitrd

uninstall-compat:
	@for c in $(COMPAT_BIN); do rm -f $(DESTDIR)$(BINDIR)/$$c; done
	rm -f $(DESTDIR)$(BOOTIMAGEDIR)/mkinitrd
	-rmdir $(DESTDIR)$(BOOTIMAGEDIR) 2>/dev/null

# Removes what install wrote, except osr.hcl and the administrator's drop-ins.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/osr $(DESTDIR)$(KERNELINSTALLDIR)/50-osr.install \
		$(DESTDIR)$(MANDIR)/man5/osr.hcl.5 $(DESTDIR)$(MANDIR)/man7/osr-cmdline.7 \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard packaging/man/*.8))) \
		$(DESTDIR)$(BASHCOMPDIR)/osr $(DESTDIR)$(ZSHCOMPDIR)/_osr $(DESTDIR)$(FISHCOMPDIR)/osr.fish \
		$(DESTDIR)$(KERNELHOOKDIR)/postinst.d/osr $(DESTDIR)$(KERNELHOOKDIR)/postrm.d/osr
	rm -rf $(DESTDIR)$(LIBEXECDIR)/osr $(DESTDIR)$(DATADIR)/osr
	-rmdir $(DESTDIR)$(SYSCONFDIR)/osr/conf.d $(DESTDIR)$(SYSCONFDIR)/osr/listfiles.d 2>/dev/null

# .deb and .rpm of osr in dist/ (nfpm at a pinned version, packaging/nfpm.yaml): the
# binaries built for /usr, the listfiles, the kernel hooks, man pages, completions and
# osr.hcl as a conffile; and osr-compat (packaging/nfpm-compat.yaml), the links of
# make install-compat, depending on osr. The version comes from git tags
# (scripts/pkg-version.sh).
NFPM           := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
PKG_ARCH       ?= $(shell $(GO) env GOARCH)
PKG_MAINTAINER ?= open-sharedroot <https://github.com/open-sharedroot/osr>
package:
	rm -rf dist/root dist/osr_*.deb dist/osr-*.rpm dist/osr-compat_*.deb dist/osr-compat-*.rpm && mkdir -p dist .tools
	GOBIN=$(CURDIR)/.tools $(GO) install $(NFPM)
	v=$$(scripts/pkg-version.sh) && \
	$(MAKE) -s install VERSION=$$v DESTDIR=$(CURDIR)/dist/root PREFIX=/usr BINDIR=/usr/bin \
		SYSCONFDIR=/etc LIBEXECDIR=/usr/libexec DATADIR=/usr/share && \
	for p in deb rpm; do for f in nfpm nfpm-compat; do \
		OSR_PKG_VERSION=$$v OSR_PKG_ARCH=$(PKG_ARCH) OSR_PKG_MAINTAINER='$(PKG_MAINTAINER)' \
			$(CURDIR)/.tools/nfpm package -f packaging/$$f.yaml -p $$p -t dist/ || exit 1; \
	done; done
	rm -rf dist/root

clean:
	rm -rf bin .tools
