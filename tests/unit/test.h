/*
 * test.h — the unit-test harness: a test binary is a list of TEST()
 * functions run by TEST_MAIN(); each CHECK that fails prints the file,
 * line and expression, and the binary prints "N passed, N failed" for its
 * tests.  tests/run.sh adds those lines up for the whole suite.
 */
#ifndef FLOE_TEST_H
#define FLOE_TEST_H

#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
typedef struct { const char *name; test_fn fn; } test_case;

static int test_failed_checks_;

/* xorshift64: a deterministic stream of varied test input; each test file
 * keeps its own state (never 0), so its sequence is its own. */
static inline uint64_t test_xorshift64(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#define CHECK(expr)                                                                  \
    do {                                                                             \
        if (!(expr)) {                                                               \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
            test_failed_checks_++;                                                   \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                           \
    do {                                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);                          \
        if (a_ != b_) {                                                              \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,     \
                    __LINE__, #a, #b, a_, b_);                                       \
            test_failed_checks_++;                                                   \
        }                                                                            \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                           \
    do {                                                                             \
        const char *a_ = (a), *b_ = (b);                                             \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                     \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
            test_failed_checks_++;                                                   \
        }                                                                            \
    } while (0)

/* Asserts that a floe call returning 0/-1 succeeded, printing err->msg if not. */
#define CHECK_OK(call, errp)                                                         \
    do {                                                                             \
        if ((call) != 0) {                                                           \
            fprintf(stderr, "  %s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,   \
                    (errp)->msg);                                                    \
            test_failed_checks_++;                                                   \
        }                                                                            \
    } while (0)

/* Path of a file under the shared test data (../shared beside the checkout,
 * or $FLOE_SHARED).  Tests run from the repository root.  Missing data is a
 * failure, never a skip: a conformance test that cannot find its corpus
 * must not pass. */
static inline const char *test_shared(const char *rel) {
    static char buf[4][1024];
    static int k;
    const char *root = getenv("FLOE_SHARED");
    char *b = buf[k++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", root && *root ? root : "../shared", rel);
    return b;
}

static inline int test_rm_entry_(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

/* Removes a directory tree made by a test (mkdtemp). */
static inline void test_rmtree(const char *dir) { nftw(dir, test_rm_entry_, 16, FTW_DEPTH | FTW_PHYS); }

#define TEST(name) static void name(void)

#define TEST_MAIN(...)                                                               \
    int main(void) {                                                                 \
        test_case cases_[] = {__VA_ARGS__};                                          \
        int passed_ = 0, failed_ = 0;                                                \
        for (size_t i_ = 0; i_ < sizeof cases_ / sizeof cases_[0]; i_++) {           \
            int before_ = test_failed_checks_;                                       \
            cases_[i_].fn();                                                         \
            if (test_failed_checks_ == before_) {                                    \
                passed_++;                                                           \
                printf("ok   %s\n", cases_[i_].name);                                \
            } else {                                                                 \
                failed_++;                                                           \
                printf("FAIL %s\n", cases_[i_].name);                                \
            }                                                                        \
        }                                                                            \
        printf("%d passed, %d failed\n", passed_, failed_);                          \
        return failed_ ? 1 : 0;                                                      \
    }

#define T(fn) {#fn, fn}

#endif
