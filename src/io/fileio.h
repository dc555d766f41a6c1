/*
 * fileio.h — the file IO interface that everything above the formats uses
 * for data, manifests and metadata: whole-file and ranged reads, atomic
 * writes (optionally exclusive: fail if the file exists), streaming output
 * for large data files, listing and deletion.  Implementations: local files
 * (io/local.c) and S3 (io/s3.c).
 *
 * Locations are URIs: "file:///abs/path" or "s3://bucket/key".  A plain
 * path given to the local IO is made absolute and treated as file://.
 */
#ifndef FLOE_IO_FILEIO_H
#define FLOE_IO_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/props.h"

typedef struct floe_fileio floe_fileio;
typedef struct floe_outfile floe_outfile;

typedef struct floe_file_info {
    const char *uri;
    int64_t size;
    int64_t mtime_ms;
} floe_file_info;

typedef int (*floe_fileio_list_fn)(void *ctx, const floe_file_info *info);

/* A streaming output: bytes become visible at the final location only when
 * close succeeds (local: temp file + fsync + rename; S3: multipart
 * complete); abort discards. */
struct floe_outfile {
    int (*write)(floe_outfile *o, const void *p, size_t n, floe_err *err);
    int (*close)(floe_outfile *o, floe_err *err); /* frees o, success or not */
    void (*abort)(floe_outfile *o);               /* frees o */
    int64_t written;
};

struct floe_fileio {
    const char *scheme; /* "file", "s3" */
    int (*read)(floe_fileio *io, const char *uri, floe_buf *out, floe_err *err);
    int (*read_range)(floe_fileio *io, const char *uri, uint64_t off, void *buf, size_t n, floe_err *err);
    int (*size)(floe_fileio *io, const char *uri, uint64_t *size, floe_err *err);
    /* Atomic write of a whole file; exclusive = fail with FLOE_EEXISTS if the
     * file exists (metadata files are never overwritten). */
    int (*write)(floe_fileio *io, const char *uri, const void *p, size_t n, int exclusive, floe_err *err);
    floe_outfile *(*create)(floe_fileio *io, const char *uri, floe_err *err);
    /* FLOE_ENOTFOUND if absent. */
    int (*remove)(floe_fileio *io, const char *uri, floe_err *err);
    /* Calls fn for every file below prefix (recursively). */
    int (*list)(floe_fileio *io, const char *prefix, floe_fileio_list_fn fn, void *ctx, floe_err *err);
    void (*free)(floe_fileio *io);
};

floe_fileio *floe_fileio_local(void);
/* The IO for a location's scheme ("file://", plain path, "s3://", "s3a://",
 * "s3n://"), with properties (s3.endpoint, s3.region, credentials, ...; see
 * io/s3.h).  Release it with io->free (a no-op for the local IO). */
floe_fileio *floe_fileio_for(const char *location, const floe_props *props, floe_err *err);

/* "file:///abs/dir" for a local path (made absolute), or the URI itself. */
void floe_uri_from_path(const char *path, floe_buf *out);
/* The local path of a file:// URI (or the string itself if not a URI). */
const char *floe_uri_local_path(const char *uri);
/* Creates the missing directories above a local file path (for local
 * files not written through the IO, like a SQLite catalog database). */
int floe_local_mkparent(const char *path, floe_err *err);

#endif
