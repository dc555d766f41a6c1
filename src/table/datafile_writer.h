/*
 * datafile_writer.h — the partitioned data-file writer: NDJSON records in,
 * Parquet data files out, one open file per partition of the table's
 * default spec, each described as an Iceberg data file when it closes.
 *
 * A writer works in batches: records go in with floe_datafile_writer_write;
 * floe_datafile_writer_finish closes every open file and hands over the
 * batch's data files (for a commit); floe_datafile_writer_abort deletes
 * every file of the batch instead.  After either, the next record starts a
 * new batch.
 *
 * Settings from the table properties, with Java Iceberg's names and
 * defaults: write.parquet.compression-codec (zstd),
 * write.parquet.compression-level, write.parquet.row-group-size-bytes
 * (128 MiB), write.parquet.page-size-bytes (1 MiB),
 * write.parquet.page-row-limit (20000), write.parquet.dict-size-bytes,
 * write.target-file-size-bytes (512 MiB: a file rolls over to a new one
 * there), write.data.path (<location>/data), and the metrics properties
 * (write.metadata.metrics.*).
 */
#ifndef FLOE_TABLE_DATAFILE_WRITER_H
#define FLOE_TABLE_DATAFILE_WRITER_H

#include "iceberg/manifest.h"
#include "io/fileio.h"

typedef struct floe_datafile_writer floe_datafile_writer;

typedef struct floe_datafile_opts {
    int max_open_files;   /* open files at most; the least recently used closes first; <= 0: 64 */
    int task_id;          /* the <task> part of file names */
    int lenient;          /* convert values as Kafka Connect does (floe_ndjson_set_lenient) */
    int ignore_case;      /* match field names ignoring ASCII case (floe_ndjson_set_ignore_case) */
} floe_datafile_opts;

/* A writer for table metadata m (its current schema and default spec; the
 * writer keeps its own copy) writing through io.  opts may be
 * NULL.  FLOE_EINVAL for a bad write.* property. */
floe_datafile_writer *floe_datafile_writer_new(floe_fileio *io, const floe_ice_metadata *m,
                                               const floe_datafile_opts *opts, floe_err *err);

/* Routes one NDJSON record to its partition's file and shreds it there.
 * A record that does not fit (FLOE_EINVAL "line N: field 'x': ...") is not
 * written, and the writer stays usable.  A blank line writes nothing. */
int floe_datafile_writer_write(floe_datafile_writer *w, const char *line, size_t len, int64_t lineno,
                               floe_err *err);

/* With `on`, a record with a field the schema lacks is not written and
 * fails with FLOE_ENOTFOUND (floe_ndjson_set_strict_fields), for a caller
 * that evolves the schema; off by default. */
void floe_datafile_writer_set_strict_fields(floe_datafile_writer *w, int on);
/* The id of the schema the writer writes (the metadata's current one). */
int32_t floe_datafile_writer_schema_id(const floe_datafile_writer *w);
/* Makes the writer encode and compress its files' pages on encoder e's
 * thread (floe_pq_encoder; borrowed: it must outlive the writer, and may
 * serve several writers), overlapping that work with the records'
 * shredding; the files are the same.  Call before the first write. */
void floe_datafile_writer_set_encoder(floe_datafile_writer *w, floe_pq_encoder *e);

/* Records in the current batch. */
int64_t floe_datafile_writer_rows(const floe_datafile_writer *w);
/* Fields of written records that matched no column (since the writer was made). */
int64_t floe_datafile_writer_unknown_fields(const floe_datafile_writer *w);
/* Bytes held in memory by the open files' buffered pages and dictionaries. */
size_t floe_datafile_writer_memory(const floe_datafile_writer *w);
int floe_datafile_writer_open_files(const floe_datafile_writer *w);

/* Closes the batch's open files and returns every data file of the batch
 * (*files malloc'd; free each with floe_ice_data_file_free, then the array).
 * Files that received no record are not kept.  On failure the batch stays
 * as it was for floe_datafile_writer_abort. */
int floe_datafile_writer_finish(floe_datafile_writer *w, floe_ice_data_file **files, int *n, floe_err *err);
/* Discards the batch: open files are aborted, closed ones deleted. */
void floe_datafile_writer_abort(floe_datafile_writer *w);
/* Frees the writer (aborting a batch in progress). */
void floe_datafile_writer_free(floe_datafile_writer *w);

/* Deletes data files a commit did not take (after a failed commit). */
void floe_datafile_delete(floe_fileio *io, const floe_ice_data_file *files, int n);

#endif
