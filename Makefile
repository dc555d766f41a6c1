# floe build.  One Makefile, three flavours:
#   make              release build   -> build/release/{libfloe.a,floe}
#   make debug        debug build     -> build/debug/...
#   make asan         ASan+UBSan      -> build/asan/...
#   make test         build release + asan and run the whole suite (tests/run.sh)
#   make fuzz         libFuzzer targets (clang) -> build/fuzz/
#   make bench        the benchmarks (bench/run.sh)
# Sources are found by wildcard: a new .c file under src/ joins libfloe, a new
# tests/unit/test_*.c becomes a test binary, a new fuzz/fuzz_*.c a fuzz target.

MODE ?= release
BUILD := build/$(MODE)
CC ?= cc

PKGS := libzstd snappy liblz4 zlib libbrotlidec libbrotlienc jansson sqlite3 libpq rdkafka libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wpointer-arith -Wvla
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP

ifeq ($(MODE),release)
  OPT := -O2 -g -DNDEBUG
else ifeq ($(MODE),debug)
  OPT := -O0 -g3
else ifeq ($(MODE),asan)
  OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDOPT := -fsanitize=address,undefined
else
  $(error MODE must be release, debug or asan)
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
LDFLAGS_ALL := $(LDOPT) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lm -lpthread

LIB_SRC := $(shell find src -name '*.c' -not -path 'src/cli/*' | sort)
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Helper programs for the tests: tests/tools/foo_bar.c -> $(BUILD)/foo-bar.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(foreach s,$(TOOL_SRC),$(BUILD)/$(subst _,-,$(basename $(notdir $(s)))))

.PHONY: all release debug asan test fuzz bench clean deps

all: $(BUILD)/floe $(BUILD)/libfloe.a $(TEST_BIN) $(TOOL_BIN)

release:
	$(MAKE) MODE=release
debug:
	$(MAKE) MODE=debug
asan:
	$(MAKE) MODE=asan

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libfloe.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/floe: $(CLI_OBJ) $(BUILD)/libfloe.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libfloe.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h $(BUILD)/libfloe.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libfloe.a $(LIBS)

define TOOL_RULE
$(BUILD)/$(subst _,-,$(basename $(notdir $(1)))): $(1) $(BUILD)/libfloe.a
	$$(CC) $$(CFLAGS_ALL) $$(LDFLAGS_ALL) -o $$@ $(1) $(BUILD)/libfloe.a $$(LIBS)
endef
$(foreach s,$(TOOL_SRC),$(eval $(call TOOL_RULE,$(s))))

# libFuzzer targets: always clang, always with ASan+UBSan.  The library is
# compiled once for them (instrumented, without libFuzzer's main) and each
# target links against that archive.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -Isrc $(PKG_CFLAGS) -O1 -g -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
fuzz: $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/libfloe.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libfloe.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libfloe.a $(LIBS)

test:
	bash tests/run.sh

bench:
	bash bench/run.sh

deps:
	bash scripts/deps.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
