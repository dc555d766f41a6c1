/*
 * table.c — table handles (see table.h): identifiers, loading and
 * reloading through the catalog, and reading manifest lists and manifests
 * through the catalog's file IO with the inheritance rules of manifest.h.
 *
 * Manifest lists read are kept per handle, by path: an Iceberg file is
 * never rewritten in place (each list's name holds its snapshot id, the
 * attempt and a UUID), so the same path always reads the same manifests,
 * whatever the table's state is now.  Without this an append read its
 * parent's list once more for every expiry of the bounded history, which
 * reads the lists of all kept snapshots every few commits.  Bounded:
 * LIST_SLOTS lists and LIST_MAX_MANIFESTS manifests in all, least recently
 * used dropped first; a list longer than that is not kept.  Callers get
 * copies, as from a read.
 */
#include "table/table.h"

#include <stdlib.h>
#include <string.h>

#define LIST_SLOTS 32
#define LIST_MAX_MANIFESTS 16384

typedef struct list_slot {
    char *path; /* NULL: empty */
    floe_ice_manifest_file *v;
    int n;
    uint64_t used;
} list_slot;

struct floe_table_lists {
    list_slot slot[LIST_SLOTS];
    int64_t total; /* manifests held */
    uint64_t tick;
};

static void slot_clear(floe_table_lists *l, list_slot *s) {
    if (!s->path) return;
    l->total -= s->n;
    floe_table_manifests_free(s->v, s->n);
    free(s->path);
    memset(s, 0, sizeof *s);
}

static floe_ice_manifest_file *copy_manifests(const floe_ice_manifest_file *v, int n) {
    floe_ice_manifest_file *c = floe_xcalloc(n > 0 ? (size_t)n : 1, sizeof *c);
    for (int i = 0; i < n; i++) floe_ice_manifest_file_copy(&c[i], &v[i]);
    return c;
}

static list_slot *lists_find(floe_table *t, const char *path) {
    if (!t->lists) return NULL;
    for (int i = 0; i < LIST_SLOTS; i++)
        if (t->lists->slot[i].path && strcmp(t->lists->slot[i].path, path) == 0) return &t->lists->slot[i];
    return NULL;
}

/* Keeps a copy of v[0..n), the manifests listed at `path`. */
static void lists_put(floe_table *t, const char *path, const floe_ice_manifest_file *v, int n) {
    if (n > LIST_MAX_MANIFESTS) return;
    if (!t->lists) t->lists = floe_xcalloc(1, sizeof *t->lists);
    floe_table_lists *l = t->lists;
    for (;;) {
        list_slot *lru = NULL, *empty = NULL;
        for (int i = 0; i < LIST_SLOTS; i++) {
            list_slot *s = &l->slot[i];
            if (!s->path) empty = empty ? empty : s;
            else if (!lru || s->used < lru->used) lru = s;
        }
        if (empty && l->total + n <= LIST_MAX_MANIFESTS) {
            empty->path = floe_xstrdup(path);
            empty->v = copy_manifests(v, n);
            empty->n = n;
            empty->used = ++l->tick;
            l->total += n;
            return;
        }
        slot_clear(l, lru); /* not NULL: a full cache or too many manifests means some slot is used */
    }
}

static void lists_free(floe_table_lists *l) {
    if (!l) return;
    for (int i = 0; i < LIST_SLOTS; i++) slot_clear(l, &l->slot[i]);
    free(l);
}

int floe_table_ident_split(const char *ident, char **ns, char **name, floe_err *err) {
    const char *dot = ident ? strrchr(ident, '.') : NULL;
    if (!dot || dot == ident || dot[1] == '\0')
        return floe_err_set(err, FLOE_EINVAL, "table name '%s': expected NAMESPACE.TABLE", ident ? ident : "");
    *ns = floe_xstrndup(ident, (size_t)(dot - ident));
    *name = floe_xstrdup(dot + 1);
    return 0;
}

floe_table *floe_table_wrap(floe_catalog *c, const char *ns, const char *name, floe_table_state *take) {
    floe_table *t = floe_xcalloc(1, sizeof *t);
    t->catalog = c;
    t->ns = floe_xstrdup(ns);
    t->name = floe_xstrdup(name);
    t->state = *take;
    memset(take, 0, sizeof *take);
    t->io = c->fileio(c);
    return t;
}

floe_table *floe_table_load(floe_catalog *c, const char *ns, const char *name, floe_err *err) {
    floe_table_state st;
    memset(&st, 0, sizeof st);
    if (c->load_table(c, ns, name, &st, err)) return NULL;
    return floe_table_wrap(c, ns, name, &st);
}

floe_table *floe_table_load_ident(floe_catalog *c, const char *ident, floe_err *err) {
    char *ns, *name;
    if (floe_table_ident_split(ident, &ns, &name, err)) return NULL;
    floe_table *t = floe_table_load(c, ns, name, err);
    free(ns);
    free(name);
    return t;
}

void floe_table_set_state(floe_table *t, floe_table_state *take) {
    floe_table_state_free(&t->state);
    t->state = *take;
    memset(take, 0, sizeof *take);
}

int floe_table_reload(floe_table *t, floe_err *err) {
    floe_table_state st;
    memset(&st, 0, sizeof st);
    if (t->catalog->load_table(t->catalog, t->ns, t->name, &st, err)) return -1;
    floe_table_set_state(t, &st);
    return 0;
}

void floe_table_free(floe_table *t) {
    if (!t) return;
    floe_table_state_free(&t->state);
    lists_free(t->lists);
    free(t->ns);
    free(t->name);
    free(t);
}

int floe_table_manifests(floe_table *t, const floe_ice_snapshot *s, floe_ice_manifest_file **out, int *n,
                         floe_err *err) {
    *out = NULL;
    *n = 0;
    if (!s->manifest_list)
        return floe_err_set(err, FLOE_EUNSUPPORTED,
                            "snapshot %lld lists its manifests inline (format v1 without a manifest list), "
                            "which floe does not read",
                            (long long)s->snapshot_id);
    list_slot *kept = lists_find(t, s->manifest_list);
    if (kept) {
        kept->used = ++t->lists->tick;
        *out = copy_manifests(kept->v, kept->n);
        *n = kept->n;
        return 0;
    }
    floe_buf b;
    floe_buf_init(&b);
    int rc = t->io->read(t->io, s->manifest_list, &b, err);
    if (rc == 0) rc = floe_ice_manifest_list_read(b.data, b.len, s->manifest_list, out, n, err);
    floe_buf_free(&b);
    if (rc == 0) lists_put(t, s->manifest_list, *out, *n);
    return rc;
}

void floe_table_manifests_free(floe_ice_manifest_file *m, int n) {
    for (int i = 0; i < n; i++) floe_ice_manifest_file_free(&m[i]);
    free(m);
}

int floe_table_entries(floe_table *t, const floe_ice_manifest_file *mf, floe_ice_manifest_entry **out, int *n,
                       floe_err *err) {
    *out = NULL;
    *n = 0;
    floe_buf b;
    floe_buf_init(&b);
    int rc = t->io->read(t->io, mf->manifest_path, &b, err);
    if (rc == 0) rc = floe_ice_manifest_read(b.data, b.len, mf->manifest_path, mf, out, n, err);
    floe_buf_free(&b);
    return rc;
}

void floe_table_entries_free(floe_ice_manifest_entry *e, int n) {
    for (int i = 0; i < n; i++) floe_ice_manifest_entry_free(&e[i]);
    free(e);
}
