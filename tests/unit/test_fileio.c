/*
 * test_fileio.c — local file IO: atomic and exclusive writes, streaming
 * output with commit and abort, ranged reads, listing, removal, URIs.
 */
#include "io/fileio.h"
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

static int count_files(void *ctx, const floe_file_info *info) {
    int *n = ctx;
    (*n)++;
    CHECK(strncmp(info->uri, "file:///", 8) == 0);
    CHECK(strstr(info->uri, ".tmp-") == NULL);
    return 0;
}

TEST(local_io_roundtrip) {
    char dir[] = "/tmp/floe-io-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    floe_buf uri, base;
    floe_buf_init(&uri);
    floe_buf_init(&base);
    floe_uri_from_path(dir, &base);
    floe_buf_printf(&uri, "%s/a/b/metadata/00000-x.metadata.json", floe_buf_cstr(&base));
    floe_fileio *io = floe_fileio_for(floe_buf_cstr(&uri), NULL, NULL);
    floe_err err = {0};
    CHECK(io != NULL);
    CHECK_OK(io->write(io, floe_buf_cstr(&uri), "hello world", 11, 1, &err), &err);
    /* Exclusive: the second create of the same name fails and keeps the first. */
    CHECK(io->write(io, floe_buf_cstr(&uri), "other", 5, 1, &err) == -1);
    CHECK_EQ_INT(err.code, FLOE_EEXISTS);
    floe_buf got;
    floe_buf_init(&got);
    CHECK_OK(io->read(io, floe_buf_cstr(&uri), &got, &err), &err);
    CHECK(got.len == 11 && memcmp(got.data, "hello world", 11) == 0);
    char part[5];
    CHECK_OK(io->read_range(io, floe_buf_cstr(&uri), 6, part, 5, &err), &err);
    CHECK(memcmp(part, "world", 5) == 0);
    CHECK(io->read_range(io, floe_buf_cstr(&uri), 8, part, 5, &err) == -1);
    uint64_t size = 0;
    CHECK_OK(io->size(io, floe_buf_cstr(&uri), &size, &err), &err);
    CHECK_EQ_INT(size, 11);
    /* Non-exclusive overwrite replaces. */
    CHECK_OK(io->write(io, floe_buf_cstr(&uri), "v2", 2, 0, &err), &err);
    got.len = 0;
    CHECK_OK(io->read(io, floe_buf_cstr(&uri), &got, &err), &err);
    CHECK(got.len == 2);

    /* Streaming output: invisible until close; abort leaves nothing. */
    floe_buf data;
    floe_buf_init(&data);
    floe_buf_printf(&data, "%s/a/data/f1.parquet", floe_buf_cstr(&base));
    floe_outfile *o = io->create(io, floe_buf_cstr(&data), &err);
    CHECK(o != NULL);
    CHECK_OK(o->write(o, "abc", 3, &err), &err);
    CHECK(access(floe_uri_local_path(floe_buf_cstr(&data)), F_OK) != 0);
    CHECK_OK(o->close(o, &err), &err);
    CHECK(access(floe_uri_local_path(floe_buf_cstr(&data)), F_OK) == 0);
    floe_buf_printf(&data, ".2");
    o = io->create(io, floe_buf_cstr(&data), &err);
    CHECK_OK(o->write(o, "abc", 3, &err), &err);
    o->abort(o);
    int n = 0;
    CHECK_OK(io->list(io, floe_buf_cstr(&base), count_files, &n, &err), &err);
    CHECK_EQ_INT(n, 2);
    CHECK_OK(io->remove(io, floe_buf_cstr(&uri), &err), &err);
    CHECK(io->remove(io, floe_buf_cstr(&uri), &err) == -1 && err.code == FLOE_ENOTFOUND);
    CHECK(io->read(io, floe_buf_cstr(&uri), &got, &err) == -1 && err.code == FLOE_ENOTFOUND);
    CHECK(floe_fileio_for("gs://bucket/x", NULL, &err) == NULL);
    CHECK(strstr(err.msg, "gs") != NULL);
    floe_buf_free(&got);
    floe_buf_free(&data);
    floe_buf_free(&uri);
    floe_buf_free(&base);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST(uris) {
    floe_buf b;
    floe_buf_init(&b);
    floe_uri_from_path("/x/y/", &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "file:///x/y");
    b.len = 0;
    floe_uri_from_path("s3://bucket/w", &b);
    CHECK_EQ_STR(floe_buf_cstr(&b), "s3://bucket/w");
    b.len = 0;
    floe_uri_from_path("rel/dir", &b);
    CHECK(strncmp(floe_buf_cstr(&b), "file:///", 8) == 0 && strstr((char *)b.data, "/rel/dir"));
    CHECK_EQ_STR(floe_uri_local_path("file:///a/b"), "/a/b");
    floe_buf_free(&b);
}

TEST_MAIN(T(local_io_roundtrip), T(uris))
