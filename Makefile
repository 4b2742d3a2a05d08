# Empyra build. Plain GNU make: one binary per role, objects in build/.
# `make` builds; `make check` installs Debian deps, builds (normal + ASan/UBSan)
# and runs every test; `make demo` shows a sandbox; `make bench` runs bench/.

BUILD   ?= build
CC      ?= cc
PKGS    := glib-2.0 gio-2.0 libseccomp libcap libsodium jansson
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -Isrc -I$(BUILD)/gen
LDFLAGS += -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -U_FORTIFY_SOURCE
LDFLAGS += -fsanitize=address,undefined
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# GLib, libsodium and libcap are linked statically: resolving their symbols
# at every launch cost ~0.5 ms, a tenth of a whole sandbox start.
PKG_LIBS   := -Wl,-Bstatic -lglib-2.0 -lpcre2-8 -lsodium -lcap -ljansson -Wl,-Bdynamic -pthread

COMMON_SRC   := $(wildcard src/common/*.c)
MANIFEST_SRC := $(wildcard src/manifest/*.c)
LAUNCHER_SRC := $(wildcard src/launcher/*.c)
POLICY_SRC   := $(wildcard src/policy/*.c)
AUDIT_SRC    := $(wildcard src/audit/*.c)
GATEWAY_SRC  := $(wildcard src/gateway/*.c)
DAEMON_SRC   := $(filter-out src/daemon/empyra-integrityd.c,$(wildcard src/daemon/*.c))
INTEGRITY_SRC := $(wildcard src/integrity/*.c) src/attest/empyra-attest.c
CLI_SRC      := $(wildcard src/cli/*.c)
LIB_SRC      := $(COMMON_SRC) $(MANIFEST_SRC) $(LAUNCHER_SRC) $(POLICY_SRC) $(AUDIT_SRC) $(GATEWAY_SRC) \
                $(INTEGRITY_SRC)
LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/seccomp_filters.o
CLI_OBJ      := $(CLI_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ   := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROBE_SRC    := $(wildcard tests/probes/*.c)
PROBE_BIN    := $(PROBE_SRC:tests/probes/%.c=$(BUILD)/probes/%)

.PHONY: all check demo bench deps clean fuzz tests install
all: $(BUILD)/empyra $(BUILD)/empyrad $(BUILD)/empyra-integrityd $(BUILD)/libempyra-attest.so

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# The seccomp filters are compiled once, at build time, by libseccomp from the
# rule table; the launcher loads the resulting BPF with no per-launch cost.
$(BUILD)/gen-seccomp: tools/gen_seccomp.c src/launcher/seccomp_table.c src/launcher/seccomp_table.h \
                     src/launcher/seccomp.h src/launcher/seccomp_filters.h
	@mkdir -p $(BUILD)/gen
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -Isrc tools/gen_seccomp.c \
	      src/launcher/seccomp_table.c -o $@ $(shell pkg-config --libs libseccomp)
$(BUILD)/gen/seccomp_filters.c: $(BUILD)/gen-seccomp
	$(BUILD)/gen-seccomp > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/seccomp_filters.o: $(BUILD)/gen/seccomp_filters.c
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libempyra.a: $(LIB_OBJ)
	ar rcs $@ $^
$(BUILD)/empyra: $(CLI_OBJ) $(BUILD)/libempyra.a
	$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS)
# empyrad uses GDBus, so it takes GLib as shared libraries (one GLib per
# process); its start-up time does not matter the way a launch's does.
DAEMON_LIBS := $(shell pkg-config --libs gio-2.0 glib-2.0 libcap libsodium jansson 2>/dev/null) -pthread
$(BUILD)/empyrad: $(DAEMON_OBJ) $(BUILD)/libempyra.a
	$(CC) $(LDFLAGS) $^ -o $@ $(DAEMON_LIBS)

# The integrity service: root, no GDBus; libraries linked like the CLI's.
# TPM anchoring when libtss2-esys is there (shared: its TCTIs are modules).
TSS2_PKGS := tss2-esys tss2-tctildr tss2-rc
ifeq ($(shell pkg-config --exists $(TSS2_PKGS) && echo yes),yes)
INTEGRITYD_TPM_OBJ := $(BUILD)/src/integrity/tpm/tpm_quote.o
INTEGRITYD_LIBS := $(shell pkg-config --libs $(TSS2_PKGS))
$(BUILD)/src/daemon/empyra-integrityd.o: CFLAGS += -DEMP_HAVE_TSS2
endif
# File hashing with OpenSSL's SHA-256 (the CPU's SHA extensions).
$(BUILD)/empyra-integrityd: $(BUILD)/src/daemon/empyra-integrityd.o $(INTEGRITYD_TPM_OBJ) $(BUILD)/libempyra.a
	$(CC) $(LDFLAGS) $^ -o $@ $(PKG_LIBS) $(INTEGRITYD_LIBS) $(shell pkg-config --libs libcrypto)
# libempyra-attest: what a game links to ask for a report (libc only).
ATTEST_SONAME := libempyra-attest.so.1
$(BUILD)/libempyra-attest.so: src/attest/empyra-attest.c src/attest/empyra-attest.h src/attest/empyra-attest.map
	@mkdir -p $(BUILD)
	$(CC) $(filter-out -fPIE,$(CFLAGS)) -fPIC -fvisibility=hidden -shared -Wl,-soname,$(ATTEST_SONAME) \
	      -Wl,--version-script=src/attest/empyra-attest.map -Wl,-z,relro,-z,now $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libempyra.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $< -o $@ $(LDFLAGS) $(BUILD)/libempyra.a $(PKG_LIBS) \
	      $(shell pkg-config --libs libseccomp) -lcmocka
# Probes run inside sandboxes; static so they need nothing from the view.
$(BUILD)/probes/%: tests/probes/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -pthread -static $< -o $@

# Test helpers that stand in for desktop services (dynamic: they use GDBus).
$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror $(shell pkg-config --cflags gio-2.0) $< -o $@ \
	      $(shell pkg-config --libs gio-2.0)
HELPER_BIN := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))

# A "game" linked against libempyra-attest, run in a sandbox by t_integrity.sh;
# the library sits beside it ($ORIGIN) so the staged copy finds it.
$(BUILD)/probes/libempyra-attest.so.1: $(BUILD)/libempyra-attest.so
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/probes/attest_client: tests/lib/attest_client.c src/attest/empyra-attest.h $(BUILD)/probes/libempyra-attest.so.1
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror -Isrc/attest $< -o $@ -L$(BUILD)/probes \
	      -l:libempyra-attest.so.1 -Wl,-rpath,'$$ORIGIN'

tests: all $(UNIT_BIN) $(PROBE_BIN) $(HELPER_BIN) $(BUILD)/probes/attest_client

$(BUILD)/fuzz_manifest: tests/fuzz/fuzz_manifest.c $(MANIFEST_SRC) $(COMMON_SRC)
	@mkdir -p $(BUILD)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	      $(PKG_CFLAGS) $^ -o $@ $(shell pkg-config --libs glib-2.0)
$(BUILD)/fuzz_policy_store: tests/fuzz/fuzz_policy_store.c $(POLICY_SRC) $(COMMON_SRC) $(MANIFEST_SRC)
	@mkdir -p $(BUILD)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	      $(PKG_CFLAGS) $^ -o $@ $(shell pkg-config --libs jansson glib-2.0)
$(BUILD)/fuzz_audit_verify: tests/fuzz/fuzz_audit_verify.c $(AUDIT_SRC) $(COMMON_SRC)
	@mkdir -p $(BUILD)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	      $(PKG_CFLAGS) $^ -o $@ $(shell pkg-config --libs jansson libsodium glib-2.0)
$(BUILD)/fuzz_api: tests/fuzz/fuzz_api.c src/gateway/api.c src/gateway/broker_path.c src/gateway/dns.c $(POLICY_SRC) \
                   $(COMMON_SRC) \
                   $(MANIFEST_SRC)
	@mkdir -p $(BUILD)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	      $(PKG_CFLAGS) $^ -o $@ $(shell pkg-config --libs jansson glib-2.0)
$(BUILD)/fuzz_integrity_report: tests/fuzz/fuzz_integrity_report.c src/integrity/verify.c src/integrity/verify_tpm.c \
                                src/integrity/sign.c $(COMMON_SRC)
	@mkdir -p $(BUILD)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
	      $(PKG_CFLAGS) $^ -o $@ $(shell pkg-config --libs jansson libsodium glib-2.0)
fuzz: $(BUILD)/fuzz_manifest $(BUILD)/fuzz_policy_store $(BUILD)/fuzz_audit_verify $(BUILD)/fuzz_api \
      $(BUILD)/fuzz_integrity_report

deps:
	@sh tools/install-deps.sh

check: deps
	$(MAKE) tests
	$(MAKE) BUILD=build-asan SANITIZE=1 tests
	$(MAKE) fuzz
	sh tests/run.sh

demo: deps all
	sh tools/demo.sh

bench: deps all
	sh bench/launch
	sh bench/compile
	bash bench/frame-deadline
	bash bench/broker
	bash bench/net
	$(MAKE) tests
	sh bench/attest

PREFIX ?= /usr/local
install: all
	install -Dm755 $(BUILD)/empyra $(DESTDIR)$(PREFIX)/bin/empyra
	install -Dm755 $(BUILD)/empyrad $(DESTDIR)$(PREFIX)/bin/empyrad
	install -Dm644 docs/empyra.1 $(DESTDIR)$(PREFIX)/share/man/man1/empyra.1
	install -Dm644 docs/empyra-run.1 $(DESTDIR)$(PREFIX)/share/man/man1/empyra-run.1
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/user
	sed 's|@BINDIR@|$(PREFIX)/bin|' data/systemd/empyrad.service.in > $(DESTDIR)$(PREFIX)/lib/systemd/user/empyrad.service
	install -Dm755 $(BUILD)/empyra-integrityd $(DESTDIR)$(PREFIX)/libexec/empyra/empyra-integrityd
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|@LIBEXECDIR@|$(PREFIX)/libexec/empyra|' data/systemd/empyra-integrityd.service.in \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/empyra-integrityd.service
	install -Dm755 $(BUILD)/libempyra-attest.so $(DESTDIR)$(PREFIX)/lib/$(ATTEST_SONAME)
	ln -sf $(ATTEST_SONAME) $(DESTDIR)$(PREFIX)/lib/libempyra-attest.so
	install -Dm644 src/attest/empyra-attest.h $(DESTDIR)$(PREFIX)/include/empyra-attest.h
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|0.1.0|' src/attest/empyra-attest.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/empyra-attest.pc
	install -Dm644 docs/integrity.md $(DESTDIR)$(PREFIX)/share/doc/empyra/integrity.md
	install -d $(DESTDIR)/etc/apparmor.d
	sed 's|@BINDIR@|$(PREFIX)/bin|' data/apparmor/empyra.in > $(DESTDIR)/etc/apparmor.d/empyra

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
