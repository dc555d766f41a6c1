/*
 * expire.h — snapshot expiry seen from outside the library (`floe expire`,
 * embedders): Iceberg's ExpireSnapshots on a table of a catalog, then the
 * deletion of the files no remaining snapshot reaches.
 *
 * What goes: snapshots older than a cutoff (default: now minus the table
 * property history.expire.max-snapshot-age-ms, 5 days) beyond the newest
 * N of each branch (default: history.expire.min-snapshots-to-keep, 1), or
 * with retain_last alone, every snapshot beyond the newest N of each
 * branch whatever its age.  A branch or tag's own min-snapshots-to-keep and
 * max-snapshot-age-ms override those defaults for that branch.  What always
 * stays: the head of every branch and tag, and on main the newest snapshot
 * carrying each `floe.kafka.offsets.*` summary key (a streaming pipeline's
 * progress marker) together with the snapshots between it and main's head,
 * so that the marker is found by walking main's parents.
 *
 * Nothing here prints.  See src/table/expire.c for the whole story.
 */
#ifndef FLOE_EXPIRE_H
#define FLOE_EXPIRE_H

#include <stdint.h>

#include "floe/floe.h"
#include "floe/table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct floe_expire_opts {
    /* > 0: expire snapshots written before this time (ms since the epoch).
     * 0: now - history.expire.max-snapshot-age-ms, unless retain_last is
     * set, which then alone decides (any age expires). */
    int64_t older_than_ms;
    /* > 0: the newest N snapshots of each branch stay (with older_than_ms:
     * at least N stay).  0: history.expire.min-snapshots-to-keep. */
    int64_t retain_last;
    int dry_run;       /* compute what would go; commit and delete nothing */
    int keep_files;    /* commit the expiry but delete no file */
    /* Commit attempts (a lost race recomputes and retries); 0: the table's
     * commit.retry.num-retries + 1. */
    int max_attempts;
    int64_t now_ms;    /* 0: the clock */
} floe_expire_opts;

typedef struct floe_expire_result {
    int64_t *expired;          /* the removed snapshot ids, oldest first (malloc'd) */
    int nexpired;
    int nretained;             /* snapshots the table holds afterwards */
    /* Files deleted after the commit, by kind. */
    int64_t deleted_manifest_lists, deleted_manifests, deleted_data_files, deleted_delete_files,
        deleted_statistics_files;
    /* Files that should have gone but could not be deleted (left as
     * orphans), and, when cleanup stopped early (a manifest could not be
     * read, so reachability is unknown), why; "" otherwise. */
    int64_t delete_failures;
    char cleanup_error[FLOE_ERR_MSG_MAX];
} floe_expire_result;

void floe_expire_result_free(floe_expire_result *r);

/* Expires snapshots of table "NS.NAME" (opts may be NULL: the table's
 * defaults).  *r is filled (free with floe_expire_result_free) also when
 * nothing expires.  -1 with err when the expiry could not be committed;
 * a failed cleanup after a committed expiry is not an error (see
 * r->cleanup_error). */
int floe_expire(floe_catalog_handle *c, const char *table, const floe_expire_opts *opts, floe_expire_result *r,
                floe_err *err);

#ifdef __cplusplus
}
#endif

#endif
