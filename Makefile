# sipwarden build.  `make` builds build/sipwarden; `make test` builds and runs
# the whole suite; `make SAN=1 ...` builds everything with ASan+UBSan into
# build-san/; `make fuzz` builds the libFuzzer harnesses; `make bench` runs the
# benchmarks.
CC      ?= cc
PKGS    := libpcap sqlite3 libnftables libnetfilter_conntrack libcurl libmicrohttpd libsodium
SAN     ?= 0
ifeq ($(SAN),1)
B       := build-san
SANFLAGS:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
B       := build
SANFLAGS:=
OPT     := -O2
endif
CPPFLAGS+= -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS))
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes $(SANFLAGS)
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread -lm
LDFLAGS += $(SANFLAGS)

SRCS    := $(filter-out src/main.c,$(wildcard src/*.c))
ASRCS   := $(wildcard src/*.S)
OBJS    := $(SRCS:src/%.c=$(B)/obj/%.o) $(ASRCS:src/%.S=$(B)/obj/%.o)
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
FUZZERS := $(patsubst fuzz/%.c,build-fuzz/%,$(wildcard fuzz/fuzz_*.c))
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

PREFIX  ?= /usr/local
.PHONY: all test unit fuzz bench clean install
all: $(B)/sipwarden $(TESTS) $(BENCHES)

$(B)/obj/%.o: src/%.c $(wildcard src/*.h) | $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
# Assembly (webassets.S embeds the files of src/web/ with .incbin).
$(B)/obj/%.o: src/%.S $(wildcard src/web/*) | $(B)/obj
	$(CC) $(CPPFLAGS) -c -o $@ $<
$(B)/sipwarden: $(B)/obj/main.o $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/%: tests/%.c tests/t.h $(OBJS) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(LDLIBS)
$(B)/bench/%: bench/%.c $(OBJS) | $(B)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(LDLIBS)
$(B)/obj $(B)/tests $(B)/bench build-fuzz:
	mkdir -p $@

# libFuzzer harnesses: clang, coverage-guided, with ASan+UBSan.  Every
# sanitizer report aborts (-fno-sanitize-recover=all: undefined behaviour is
# a crash, not a line in the log).  The sources are compiled once into
# build-fuzz/obj and linked into each harness.  `make fuzz-long` runs every
# harness FUZZ_LONG_SECONDS (default 1800) from a copy of fuzz/corpus/
# (scripts/fuzz.sh; FUZZ_JOBS > 1 runs that many jobs per harness).
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE -Isrc
FUZZ_OBJS := $(SRCS:src/%.c=build-fuzz/obj/%.o) $(ASRCS:src/%.S=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: src/%.c $(wildcard src/*.h) | build-fuzz/obj
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(shell pkg-config --cflags $(PKGS)) -c -o $@ $<
build-fuzz/obj/%.o: src/%.S $(wildcard src/web/*) | build-fuzz/obj
	clang -D_GNU_SOURCE -Isrc -c -o $@ $<
build-fuzz/%: fuzz/%.c $(FUZZ_OBJS) $(wildcard fuzz/*.h) | build-fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)
.SECONDARY: $(FUZZ_OBJS)
build-fuzz/obj:
	mkdir -p $@
fuzz: $(FUZZERS)

.PHONY: fuzz-long
fuzz-long: fuzz
	FUZZ_SECONDS=$${FUZZ_LONG_SECONDS:-1800} ./scripts/fuzz.sh

unit: $(TESTS)
	@for t in $(TESTS); do $$t || exit 1; done

test:
	./tests/run.sh

bench: all
	./bench/run.sh

# The parsers' cost on worst-case messages against normal ones (bench/worst_msg.c).
.PHONY: bench-worst
bench-worst: $(B)/bench/worst_msg
	$(B)/bench/worst_msg

# The mutation check (scripts/mutate.sh): deliberate bugs, one at a time on a
# copy of the tree, each of which some test must catch.  Root for the firewall ones.
.PHONY: mutate
mutate: all
	./scripts/mutate.sh

# Installs the binary, the systemd unit, the README (the unit's
# Documentation=) and, when none exists yet, the example configuration as
# /etc/sipwarden/sipwarden.conf.
install: $(B)/sipwarden
	install -D -m 0755 $(B)/sipwarden $(DESTDIR)$(PREFIX)/sbin/sipwarden
	install -D -m 0644 packaging/sipwarden.service $(DESTDIR)/etc/systemd/system/sipwarden.service
	sed -i 's|/usr/local/|$(PREFIX)/|g' $(DESTDIR)/etc/systemd/system/sipwarden.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/sipwarden/README.md
	[ -e $(DESTDIR)/etc/sipwarden/sipwarden.conf ] || \
		install -D -m 0640 examples/sipwarden.conf $(DESTDIR)/etc/sipwarden/sipwarden.conf

clean:
	rm -rf build build-san build-san-clang build-fuzz
