/*
 * local.c — file IO on the local file system, and floe_fileio_for's
 * dispatch by URI scheme (s3://, s3a://, s3n:// go to io/s3.c).
 *
 * Writes are atomic: bytes go to "<path>.tmp-<pid>-<n>" in the same
 * directory, are fsync'd, then renamed over the final name (or, for an
 * exclusive write, hard-linked to it so that an existing file makes the
 * link fail with EEXIST and is never replaced), and the directory is
 * fsync'd so the new name survives a crash.  Parent directories are created
 * as needed.
 */
#include "io/fileio.h"
#include "io/s3.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_uint tmp_counter;

const char *floe_uri_local_path(const char *uri) {
    if (strncmp(uri, "file://", 7) == 0) return uri + 7;
    if (strncmp(uri, "file:", 5) == 0) return uri + 5;
    return uri;
}

void floe_uri_from_path(const char *path, floe_buf *out) {
    if (strstr(path, "://")) {
        floe_buf_puts(out, path);
        return;
    }
    floe_buf_puts(out, "file://");
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) {
            floe_buf_puts(out, cwd);
            if (strcmp(cwd, "/") != 0) floe_buf_putc(out, '/');
        }
        if (path[0] == '.' && path[1] == '/') path += 2;
    }
    floe_buf_puts(out, path);
    /* No trailing slash: locations are joined with "/" by their users. */
    while (out->len > 8 && out->data[out->len - 1] == '/') out->len--;
}

static int mkdirs(const char *path, floe_err *err) {
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf) return floe_err_set(err, FLOE_EINVAL, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return floe_err_set(err, FLOE_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return 0;
}

int floe_local_mkparent(const char *path, floe_err *err) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[PATH_MAX];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return floe_err_set(err, FLOE_EINVAL, "%s: path too long", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return mkdirs(dir, err);
}

static void fsync_parent(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n == 0 || n >= sizeof dir) return;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int local_read(floe_fileio *io, const char *uri, floe_buf *out, floe_err *err) {
    const char *path = floe_uri_local_path(uri);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) floe_buf_reserve(out, (size_t)st.st_size);
    for (;;) {
        floe_buf_reserve(out, 65536);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return floe_err_set(err, FLOE_EIO, "%s: read: %s", path, strerror(e));
        }
        if (r == 0) break;
        out->len += (size_t)r;
    }
    close(fd);
    return 0;
}

static int local_read_range(floe_fileio *io, const char *uri, uint64_t off, void *buf, size_t n, floe_err *err) {
    const char *path = floe_uri_local_path(uri);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            return floe_err_set(err, FLOE_EIO, "%s: short read at offset %llu", path, (unsigned long long)(off + got));
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

static int local_size(floe_fileio *io, const char *uri, uint64_t *size, floe_err *err) {
    const char *path = floe_uri_local_path(uri);
    struct stat st;
    if (stat(path, &st) != 0)
        return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
    *size = (uint64_t)st.st_size;
    return 0;
}

typedef struct local_out {
    floe_outfile base;
    int fd;
    char *tmp, *path;
    int exclusive;
} local_out;

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void out_free(local_out *o) {
    if (o->fd >= 0) close(o->fd);
    free(o->tmp);
    free(o->path);
    free(o);
}

static int out_write(floe_outfile *base, const void *p, size_t n, floe_err *err) {
    local_out *o = (local_out *)base;
    if (write_all(o->fd, p, n) != 0) return floe_err_set(err, FLOE_EIO, "%s: write: %s", o->path, strerror(errno));
    base->written += (int64_t)n;
    return 0;
}

static void out_abort(floe_outfile *base) {
    local_out *o = (local_out *)base;
    unlink(o->tmp);
    out_free(o);
}

static int out_close(floe_outfile *base, floe_err *err) {
    local_out *o = (local_out *)base;
    int rc = 0;
    if (fsync(o->fd) != 0) rc = floe_err_set(err, FLOE_EIO, "%s: fsync: %s", o->path, strerror(errno));
    close(o->fd);
    o->fd = -1;
    if (rc == 0) {
        if (o->exclusive) {
            if (link(o->tmp, o->path) != 0)
                rc = floe_err_set(err, errno == EEXIST ? FLOE_EEXISTS : FLOE_EIO, "%s: %s", o->path,
                                  errno == EEXIST ? "already exists" : strerror(errno));
            unlink(o->tmp);
        } else if (rename(o->tmp, o->path) != 0) {
            rc = floe_err_set(err, FLOE_EIO, "%s: rename: %s", o->path, strerror(errno));
        }
    }
    if (rc != 0) unlink(o->tmp);
    else fsync_parent(o->path);
    out_free(o);
    return rc;
}

static local_out *out_open(const char *uri, int exclusive, floe_err *err) {
    const char *path = floe_uri_local_path(uri);
    if (floe_local_mkparent(path, err)) return NULL;
    local_out *o = floe_xcalloc(1, sizeof *o);
    o->path = floe_xstrdup(path);
    size_t n = strlen(path) + 64;
    o->tmp = floe_xmalloc(n);
    snprintf(o->tmp, n, "%s.tmp-%ld-%u", path, (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
    o->exclusive = exclusive;
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        floe_err_set(err, FLOE_EIO, "%s: create: %s", o->tmp, strerror(errno));
        out_free(o);
        return NULL;
    }
    o->base.write = out_write;
    o->base.close = out_close;
    o->base.abort = out_abort;
    return o;
}

static floe_outfile *local_create(floe_fileio *io, const char *uri, floe_err *err) {
    local_out *o = out_open(uri, 0, err);
    return o ? &o->base : NULL;
}

static int local_write(floe_fileio *io, const char *uri, const void *p, size_t n, int exclusive, floe_err *err) {
    local_out *o = out_open(uri, exclusive, err);
    if (!o) return -1;
    if (out_write(&o->base, p, n, err)) {
        out_abort(&o->base);
        return -1;
    }
    return out_close(&o->base, err);
}

static int local_remove(floe_fileio *io, const char *uri, floe_err *err) {
    const char *path = floe_uri_local_path(uri);
    if (unlink(path) != 0)
        return floe_err_set(err, errno == ENOENT ? FLOE_ENOTFOUND : FLOE_EIO, "%s: %s", path, strerror(errno));
    return 0;
}

static int list_dir(const char *dir, const char *scheme_prefix, floe_fileio_list_fn fn, void *ctx, int depth,
                    floe_err *err) {
    if (depth > 64) return 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        return floe_err_set(err, FLOE_EIO, "%s: %s", dir, strerror(errno));
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        floe_buf p;
        floe_buf_init(&p);
        floe_buf_printf(&p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(floe_buf_cstr(&p), &st) == 0) {
            if (S_ISDIR(st.st_mode)) rc = list_dir((char *)p.data, scheme_prefix, fn, ctx, depth + 1, err);
            else if (S_ISREG(st.st_mode)) {
                floe_buf uri;
                floe_buf_init(&uri);
                floe_buf_printf(&uri, "%s%s", scheme_prefix, (char *)p.data);
                floe_file_info info = {floe_buf_cstr(&uri), (int64_t)st.st_size,
                                       (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000};
                if (fn(ctx, &info) != 0) rc = floe_err_set(err, FLOE_EIO, "listing %s stopped", dir);
                floe_buf_free(&uri);
            }
        }
        floe_buf_free(&p);
    }
    closedir(d);
    return rc;
}

static int local_list(floe_fileio *io, const char *prefix, floe_fileio_list_fn fn, void *ctx, floe_err *err) {
    const char *path = floe_uri_local_path(prefix);
    const char *scheme = strncmp(prefix, "file://", 7) == 0 ? "file://" : "";
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') dir[--n] = '\0';
    return list_dir(dir, scheme, fn, ctx, 0, err);
}

static void local_free(floe_fileio *io) { (void)io; }

static floe_fileio local_io = {
    "file", local_read, local_read_range, local_size, local_write, local_create, local_remove, local_list, local_free,
};

floe_fileio *floe_fileio_local(void) { return &local_io; }

floe_fileio *floe_fileio_for(const char *location, const floe_props *props, floe_err *err) {
    /* The S3 IO also serves local URIs, so a warehouse in S3 can still name
     * local files; the local IO is a shared static and its free does
     * nothing, so callers free whatever they get. */
    if (floe_s3_is_uri(location)) return floe_fileio_s3(props, err);
    const char *colon = strstr(location, "://");
    if (colon && strncmp(location, "file://", 7) != 0) {
        floe_err_set(err, FLOE_EUNSUPPORTED, "%s: unsupported storage scheme '%.*s'", location,
                     (int)(colon - location), location);
        return NULL;
    }
    return &local_io;
}
