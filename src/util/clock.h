/*
 * clock.h — the clocks in milliseconds, and sleeping.
 *
 * floe_mono_ms is for intervals, deadlines and timeouts: it never jumps
 * when the system time is set.  floe_wall_ms is the Unix epoch time, for
 * what is stored or compared with stored times (snapshot timestamps,
 * retention windows, Retry-After).  floe_mono_coarse_ms is the monotonic
 * clock at the kernel tick's resolution (a few ms), for loops that read the
 * clock once per record and only need it roughly.
 *
 * They are static inline: callers read the clock in hot loops, and the
 * call is a vDSO read that should not cost a library call around it.
 */
#ifndef FLOE_UTIL_CLOCK_H
#define FLOE_UTIL_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline int64_t floe_clock_ms_(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t floe_mono_ms(void) { return floe_clock_ms_(CLOCK_MONOTONIC); }
static inline int64_t floe_mono_coarse_ms(void) { return floe_clock_ms_(CLOCK_MONOTONIC_COARSE); }
static inline int64_t floe_wall_ms(void) { return floe_clock_ms_(CLOCK_REALTIME); }

/* Sleeps ms milliseconds (none when ms <= 0), resuming after signals. */
static inline void floe_sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

#endif
