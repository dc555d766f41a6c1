/*
 * floe.h — the root of floe's public API: version, the error value every
 * call reports through, and the umbrella include of the per-area headers.
 *
 * Conventions that hold across the whole library:
 *  - Functions that can fail return int: 0 on success, -1 on failure, and
 *    fill the caller's floe_err with a code and a message that names what
 *    failed (file, column, field, offset).  The library never prints and
 *    never exits on bad input.
 *  - Memory exhaustion is not treated as recoverable: allocation failure
 *    aborts (as in Redis' zmalloc).  Sizes that come from untrusted bytes are
 *    validated before anything is allocated for them.
 *  - Names are floe_<module>_<verb>; "_take" consumes an argument,
 *    "_borrow" does not.
 */
#ifndef FLOE_FLOE_H
#define FLOE_FLOE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLOE_VERSION_MAJOR 0
#define FLOE_VERSION_MINOR 1
#define FLOE_VERSION_PATCH 0
#define FLOE_VERSION "0.1.0"

/* Error codes: the class of a failure.  The message says the specifics. */
typedef enum floe_errcode {
    FLOE_OK = 0,
    FLOE_EINVAL,       /* a caller's argument or a user's input is invalid */
    FLOE_EIO,          /* the operating system or the network failed */
    FLOE_ECORRUPT,     /* bytes that claim to be a format are not */
    FLOE_EUNSUPPORTED, /* valid input that uses a feature floe does not implement */
    FLOE_ENOTFOUND,    /* a named thing does not exist */
    FLOE_EEXISTS,      /* a named thing already exists */
    FLOE_ECONFLICT,    /* an optimistic commit lost a race */
    FLOE_EUNKNOWN      /* outcome unknown (timeout after the request was sent) */
} floe_errcode;

#define FLOE_ERR_MSG_MAX 1024

typedef struct floe_err {
    int code;                    /* floe_errcode; FLOE_OK when nothing failed */
    char msg[FLOE_ERR_MSG_MAX];  /* human-readable, names the failing thing */
} floe_err;

/* A growable byte vector; the library fills these for callers (JSON rows,
 * serialized metadata).  Release with floe_buf_free. */
typedef struct floe_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} floe_buf;
void floe_buf_free(floe_buf *b);
/* Appends p[0..n) as a quoted JSON string; invalid UTF-8 bytes become
 * U+FFFD (for printers that emit JSON, like the CLI). */
void floe_json_escape(const uint8_t *p, size_t n, floe_buf *out);

/* Short name of an error code ("corrupt", "unsupported", ...). */
const char *floe_errcode_name(int code);

/* Library version string, e.g. "0.1.0". */
const char *floe_version(void);

#ifdef __cplusplus
}
#endif

#include "floe/parquet.h"

#endif
