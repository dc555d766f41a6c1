/*
 * err.c — the error value.  See err.h.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *floe_errcode_name(int code) {
    switch (code) {
    case FLOE_OK: return "ok";
    case FLOE_EINVAL: return "invalid";
    case FLOE_EIO: return "io";
    case FLOE_ECORRUPT: return "corrupt";
    case FLOE_EUNSUPPORTED: return "unsupported";
    case FLOE_ENOTFOUND: return "not found";
    case FLOE_EEXISTS: return "exists";
    case FLOE_ECONFLICT: return "conflict";
    case FLOE_EUNKNOWN: return "unknown outcome";
    default: return "error";
    }
}

const char *floe_version(void) { return FLOE_VERSION; }

int floe_err_set(floe_err *err, int code, const char *fmt, ...) {
    if (!err) return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int floe_err_prefix(floe_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char pre[FLOE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    /* Build "pre: msg" in place, truncating the tail if it does not fit. */
    size_t plen = strlen(pre), mlen = strlen(err->msg);
    if (plen > FLOE_ERR_MSG_MAX - 3) plen = FLOE_ERR_MSG_MAX - 3;
    if (plen + 2 + mlen > FLOE_ERR_MSG_MAX - 1) mlen = FLOE_ERR_MSG_MAX - 1 - plen - 2;
    memmove(err->msg + plen + 2, err->msg, mlen);
    memcpy(err->msg, pre, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    err->msg[plen + 2 + mlen] = '\0';
    if (err->code == FLOE_OK) err->code = FLOE_EINVAL;
    return -1;
}

void floe_err_clear(floe_err *err) {
    if (!err) return;
    err->code = FLOE_OK;
    err->msg[0] = '\0';
}
