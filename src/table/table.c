/*
 * table.c — table handles (see table.h): identifiers, loading and
 * reloading through the catalog, and reading manifest lists and manifests
 * through the catalog's file IO with the inheritance rules of manifest.h.
 */
#include "table/table.h"

#include <stdlib.h>
#include <string.h>

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
    floe_buf b;
    floe_buf_init(&b);
    int rc = t->io->read(t->io, s->manifest_list, &b, err);
    if (rc == 0) rc = floe_ice_manifest_list_read(b.data, b.len, s->manifest_list, out, n, err);
    floe_buf_free(&b);
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
