/*
 * gen_clickstream — writes a deterministic clickstream as NDJSON to stdout,
 * the input of floe's benchmarks (bench/run.sh).  One event per line:
 *   {"id":<sequential long>,"ts":"<ISO-8601 UTC, microseconds, increasing>",
 *    "user":"u<one of 10000>","event":"<one of 8>","amount":<2 decimals>,
 *    "country":"<one of 30>","tags":{"a":<int>,"b":"<short string>"}}
 * The same row count always gives the same bytes: a fixed-seed xorshift64*
 * drives every choice, and nothing depends on the clock or the locale.
 *   usage: gen_clickstream [ROWS]     (default 1000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n) { return (uint32_t)((next() >> 32) % n); }

/* Civil date of a day number (days since 1970-01-01), proleptic Gregorian. */
static void civil(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int main(int argc, char **argv) {
    long long rows = argc > 1 ? atoll(argv[1]) : 1000000;
    if (rows < 0) {
        fprintf(stderr, "gen_clickstream: row count must be >= 0\n");
        return 2;
    }
    static const char *events[8] = {"page_view", "click", "add_to_cart", "remove_from_cart",
                                    "checkout", "purchase", "search", "signup"};
    static const char *countries[30] = {"US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "NO", "DK",
                                        "FI", "PL", "CZ", "AT", "CH", "BE", "IE", "PT", "GR", "TR",
                                        "JP", "KR", "CN", "IN", "BR", "MX", "CA", "AU", "NZ", "ZA"};
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    /* 2026-01-01T00:00:00Z in microseconds. */
    int64_t ts = 1767225600LL * 1000000;
    for (long long id = 0; id < rows; id++) {
        ts += below(20000);
        int64_t secs = ts / 1000000, us = ts % 1000000;
        int y, mo, d;
        civil(secs / 86400, &y, &mo, &d);
        int sod = (int)(secs % 86400);
        /* Amounts skew small, like real baskets. */
        uint32_t cents = below(100) < 80 ? below(10000) : below(1000000);
        char tag[9];
        int tl = 3 + (int)below(6);
        for (int i = 0; i < tl; i++) tag[i] = alpha[below(sizeof alpha - 1)];
        tag[tl] = 0;
        printf("{\"id\":%lld,\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\",\"user\":\"u%u\","
               "\"event\":\"%s\",\"amount\":%u.%02u,\"country\":\"%s\",\"tags\":{\"a\":%u,\"b\":\"%s\"}}\n",
               id, y, mo, d, sod / 3600, sod / 60 % 60, sod % 60, (int)us, below(10000),
               events[below(8)], cents / 100, cents % 100, countries[below(30)], below(1000), tag);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gen_clickstream: write");
        return 1;
    }
    return 0;
}
