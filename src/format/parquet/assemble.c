/*
 * assemble.c — record assembly: the selected leaf columns of a row group
 * read back into rows, each rendered straight into JSON text (the forms of
 * docs/ndjson.md).
 *
 * At open, the schema is turned into a plan: per node, how it renders
 * (struct, list, map, leaf value kind) and which selected leaves lie below
 * it.  Lists follow the LIST rules of the Parquet LogicalTypes.md, including
 * its backward-compatibility rules for two-level lists; maps are a MAP or
 * MAP_KEY_VALUE group over a repeated key/value group; a repeated field with
 * no annotation is a list of its values.
 *
 * Rendering walks the plan once per row, pulling (rep, def, value) entries
 * from one cursor per selected leaf (Dremel assembly done as a recursive
 * descent):
 *   - an OPTIONAL node is null when the first leaf below it has a definition
 *     level below the node's; every leaf below then holds exactly one entry
 *     for that null, which is skipped;
 *   - a REPEATED node (or the repeated group of a LIST or MAP) is an empty
 *     list when the definition level is below its own; otherwise elements
 *     follow while the next entry's repetition level equals the node's.
 * The leaves below a node must agree on those levels; where they do not the
 * file is corrupt and the row fails rather than rendering something else.
 * Every element consumes at least one entry of every leaf below it, so a
 * row's work is bounded by its entries.
 *
 * A shape (floe_pq_rows_open_shaped) renames and reorders the members of
 * objects and adds always-null ones: readers that map a file onto another
 * schema by field id (an Iceberg scan) render rows in that schema's names
 * and order.  Children with selected leaves the shape leaves out are still
 * read, into a scratch buffer, since their cursors must keep pace.
 * Skipping a row consumes each selected leaf's entries up to the next
 * repetition level 0 without rendering; peeking reads the current entry of
 * an unrepeated leaf before the row is rendered or skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "format/parquet/reader_internal.h"
#include "format/parquet/schema.h"
#include "util/text.h"

#define ROW_BATCH 1024

typedef enum { P_LEAF, P_STRUCT, P_LIST, P_MAP, P_NULL } plan_kind;

/* How a leaf's values print: the common unannotated types and text inline,
 * everything else through floe_pq_format_value (one spelling per type). */
typedef enum { K_BOOL, K_I32, K_I64, K_FLOAT, K_DOUBLE, K_STRING, K_OTHER } value_kind;

typedef struct plan plan;
struct plan {
    const floe_pq_node *node;
    plan_kind kind;
    int first_sel, end;   /* selected leaves below: first one (or -1), and the node's leaf range end */
    const char *key;      /* "\"name\":" for struct members */
    size_t key_len;
    plan **kids;          /* P_STRUCT: members, then children read only to keep pace (dropped) */
    int nkids;
    int dropped;          /* a struct member left out by the shape */
    /* P_LIST, P_MAP: levels of the repeated group */
    int rdef, rrep;
    plan *elem;           /* P_LIST: element; P_MAP: key */
    int elem_by_value;    /* P_LIST: the element is the repeated node itself */
    plan *value;          /* P_MAP: value, NULL when absent or not selected */
    /* P_LEAF */
    int leaf;
    value_kind vk;
};

typedef struct cursor {
    floe_pq_column_reader *cr;
    floe_pq_batch b;
    size_t pos, vpos;
    int ended;
    int max_def, leaf;
} cursor;

struct floe_pq_row_reader {
    floe_pq_reader *r;
    floe_arena arena;     /* plans and keys */
    uint8_t *sel;         /* per leaf */
    int *next_sel;        /* next_sel[i]: smallest selected leaf >= i, or -1; nleaves+1 entries */
    cursor *cur;          /* per leaf; only selected ones are opened */
    plan *root;
    int rg;               /* current row group, -1 before the first */
    int64_t rg_rows, rg_done;
    int64_t rg_first;     /* index in the file of the current row group's first row */
    int positioned;       /* on a row that is not consumed yet (floe_pq_rows_peek_row) */
    floe_pq_rg_filter_fn filter;
    void *filter_ctx;
    floe_pq_shape_fn shape;
    void *shape_ctx;
    floe_buf scratch;     /* what dropped members render, discarded per row */
    int failed;
    floe_buf key;         /* a non-string map key's text while it is quoted */
    floe_err *err;        /* the current call's */
};

/* ---- cursors ----------------------------------------------------------------- */

static inline int cdef(const cursor *c) { return c->b.def ? c->b.def[c->pos] : c->max_def; }
static inline int crep(const cursor *c) { return c->b.rep ? c->b.rep[c->pos] : 0; }

static int row_err(floe_pq_row_reader *rr, const cursor *c, const char *what) {
    floe_err_set(rr->err, FLOE_ECORRUPT, "row %lld: %s", (long long)rr->rg_done, what);
    return floe_pq_reader_err_column(rr->r, rr->rg, c->leaf, rr->err);
}

static int refill(floe_pq_row_reader *rr, cursor *c) {
    int rc = floe_pq_column_next(c->cr, ROW_BATCH, &c->b, rr->err);
    if (rc < 0) return -1;
    c->pos = c->vpos = 0;
    c->ended = rc == 0;
    return 0;
}

static inline int consume(floe_pq_row_reader *rr, cursor *c) {
    c->vpos += cdef(c) == c->max_def;
    if (++c->pos < c->b.n) return 0;
    return refill(rr, c);
}

static inline int need(floe_pq_row_reader *rr, cursor *c) {
    return c->ended ? row_err(rr, c, "the column ends in the middle of the row") : 0;
}

#define FOR_SELECTED(rr, p, i) for (int i = (p)->first_sel; i >= 0 && i < (p)->end; i = (rr)->next_sel[i + 1])

/* ---- plans ----------------------------------------------------------------- */

static int is_list(const floe_pq_node *n) {
    return n->is_group && (n->logical.kind == FLOE_PQ_LT_LIST || n->converted == FLOE_PQ_CT_LIST) && n->nchildren == 1 &&
           n->children[0]->repetition == FLOE_PQ_REPEATED;
}

static int is_map(const floe_pq_node *n) {
    if (!n->is_group || n->nchildren != 1) return 0;
    if (n->logical.kind != FLOE_PQ_LT_MAP && n->converted != FLOE_PQ_CT_MAP && n->converted != FLOE_PQ_CT_MAP_KEY_VALUE)
        return 0;
    const floe_pq_node *kv = n->children[0];
    return kv->is_group && kv->repetition == FLOE_PQ_REPEATED && (kv->nchildren == 1 || kv->nchildren == 2);
}

/* The element of a LIST whose repeated child is r (LogicalTypes.md,
 * "Backward-compatibility rules"): r itself when it is a primitive, a group
 * of several fields, or a one-field group named "array" or "<list>_tuple";
 * otherwise (the standard three levels) r's only child. */
static const floe_pq_node *list_element(const floe_pq_node *list, const floe_pq_node *r) {
    if (!r->is_group || r->nchildren != 1) return r;
    size_t ln = strlen(list->name);
    if (strcmp(r->name, "array") == 0 ||
        (strlen(r->name) == ln + 6 && memcmp(r->name, list->name, ln) == 0 && strcmp(r->name + ln, "_tuple") == 0))
        return r;
    return r->children[0];
}

static int first_selected(const floe_pq_row_reader *rr, const floe_pq_node *n) {
    int i = rr->next_sel[n->first_leaf];
    return i >= 0 && i < n->first_leaf + n->nleaves ? i : -1;
}

/* A map's keys are needed to render any part of it. */
static void expand_selection(floe_pq_row_reader *rr, const floe_pq_node *n) {
    if (!n->is_group) return;
    if (is_map(n)) {
        int any = 0;
        for (int i = n->first_leaf; i < n->first_leaf + n->nleaves; i++) any |= rr->sel[i];
        const floe_pq_node *key = n->children[0]->children[0];
        if (any)
            for (int i = key->first_leaf; i < key->first_leaf + key->nleaves; i++) rr->sel[i] = 1;
    }
    for (int i = 0; i < n->nchildren; i++) expand_selection(rr, n->children[i]);
}

static value_kind leaf_kind(const floe_pq_node *n) {
    int lk = n->logical.kind, ct = n->converted;
    if (n->physical == FLOE_PQ_BYTE_ARRAY && ct != FLOE_PQ_CT_DECIMAL &&
        (lk == FLOE_PQ_LT_STRING || lk == FLOE_PQ_LT_ENUM || lk == FLOE_PQ_LT_JSON ||
         (lk == FLOE_PQ_LT_NONE && (ct == FLOE_PQ_CT_UTF8 || ct == FLOE_PQ_CT_ENUM || ct == FLOE_PQ_CT_JSON))))
        return K_STRING;
    if (lk != FLOE_PQ_LT_NONE || ct != FLOE_PQ_CT_NONE) return K_OTHER;
    switch (n->physical) {
    case FLOE_PQ_BOOLEAN: return K_BOOL;
    case FLOE_PQ_INT32: return K_I32;
    case FLOE_PQ_INT64: return K_I64;
    case FLOE_PQ_FLOAT: return K_FLOAT;
    case FLOE_PQ_DOUBLE: return K_DOUBLE;
    default: return K_OTHER;
    }
}

/* The plan of node n rendered as a value (its own repetition is handled by
 * whoever renders it as a field). */
static plan *build_plan(floe_pq_row_reader *rr, const floe_pq_node *n, floe_buf *tmp) {
    plan *p = floe_arena_alloc(&rr->arena, sizeof *p);
    p->node = n;
    p->first_sel = first_selected(rr, n);
    p->end = n->first_leaf + n->nleaves;
    if (n->parent) {
        tmp->len = 0;
        floe_json_escape((const uint8_t *)n->name, strlen(n->name), tmp);
        floe_buf_putc(tmp, ':');
        p->key = floe_arena_strndup(&rr->arena, (const char *)tmp->data, tmp->len);
        p->key_len = tmp->len;
    }
    if (!n->is_group) {
        p->kind = P_LEAF;
        p->leaf = n->leaf_index;
        p->vk = leaf_kind(n);
        return p;
    }
    if (n->parent && is_list(n)) { /* the root is always an object */
        const floe_pq_node *r = n->children[0], *e = list_element(n, r);
        p->kind = P_LIST;
        p->rdef = r->max_def;
        p->rrep = r->max_rep;
        p->elem_by_value = e == r;
        p->elem = build_plan(rr, e, tmp);
        return p;
    }
    if (n->parent && is_map(n)) {
        const floe_pq_node *kv = n->children[0];
        p->kind = P_MAP;
        p->rdef = kv->max_def;
        p->rrep = kv->max_rep;
        p->elem = build_plan(rr, kv->children[0], tmp);
        if (kv->nchildren == 2 && first_selected(rr, kv->children[1]) >= 0) p->value = build_plan(rr, kv->children[1], tmp);
        return p;
    }
    p->kind = P_STRUCT;
    const floe_pq_member *m = NULL;
    int nm = rr->shape ? rr->shape(rr->shape_ctx, n, &m) : -1;
    if (nm < 0) {
        p->kids = floe_arena_alloc(&rr->arena, sizeof(plan *) * (size_t)(n->nchildren ? n->nchildren : 1));
        for (int i = 0; i < n->nchildren; i++)
            if (first_selected(rr, n->children[i]) >= 0) p->kids[p->nkids++] = build_plan(rr, n->children[i], tmp);
        return p;
    }
    p->kids = floe_arena_alloc(&rr->arena, sizeof(plan *) * (size_t)(nm + n->nchildren + 1));
    uint8_t *named = floe_arena_alloc(&rr->arena, (size_t)n->nchildren + 1);
    for (int i = 0; i < nm; i++) {
        int c = m[i].child;
        plan *k;
        if (c >= 0 && c < n->nchildren && !named[c] && first_selected(rr, n->children[c]) >= 0) {
            named[c] = 1;
            k = build_plan(rr, n->children[c], tmp);
        } else {
            k = floe_arena_alloc(&rr->arena, sizeof *k);
            k->kind = P_NULL;
        }
        tmp->len = 0;
        floe_json_escape((const uint8_t *)m[i].name, strlen(m[i].name), tmp);
        floe_buf_putc(tmp, ':');
        k->key = floe_arena_strndup(&rr->arena, (const char *)tmp->data, tmp->len);
        k->key_len = tmp->len;
        p->kids[p->nkids++] = k;
    }
    for (int i = 0; i < n->nchildren; i++)
        if (!named[i] && first_selected(rr, n->children[i]) >= 0) {
            plan *k = build_plan(rr, n->children[i], tmp);
            k->dropped = 1;
            p->kids[p->nkids++] = k;
        }
    return p;
}

/* ---- values ------------------------------------------------------------------ */

static int render_leaf(floe_pq_row_reader *rr, const plan *p, floe_buf *out) {
    cursor *c = &rr->cur[p->leaf];
    if (need(rr, c)) return -1;
    if (cdef(c) != c->max_def) return row_err(rr, c, "the column's definition levels disagree with its sibling columns");
    size_t i = c->vpos;
    const floe_pq_batch *b = &c->b;
    switch (p->vk) {
    case K_BOOL: floe_buf_puts(out, b->v.b[i] ? "true" : "false"); break;
    case K_I32: floe_fmt_i64(b->v.i32[i], out); break;
    case K_I64: floe_fmt_i64(b->v.i64[i], out); break;
    case K_FLOAT: floe_fmt_float(b->v.f32[i], out); break;
    case K_DOUBLE: floe_fmt_double(b->v.f64[i], out); break;
    case K_STRING: floe_json_escape(b->v.bytes[i].ptr, b->v.bytes[i].len, out); break;
    case K_OTHER: {
        /* The batch holds numbers in host order and PLAIN is little-endian:
         * the same bytes on the little-endian machines floe targets. */
        const uint8_t *v;
        uint32_t len;
        switch (b->physical) {
        case FLOE_PQ_BOOLEAN: v = b->v.b + i; len = 1; break;
        case FLOE_PQ_INT32: v = (const uint8_t *)(b->v.i32 + i); len = 4; break;
        case FLOE_PQ_INT64: v = (const uint8_t *)(b->v.i64 + i); len = 8; break;
        case FLOE_PQ_FLOAT: v = (const uint8_t *)(b->v.f32 + i); len = 4; break;
        case FLOE_PQ_DOUBLE: v = (const uint8_t *)(b->v.f64 + i); len = 8; break;
        default: v = b->v.bytes[i].ptr; len = b->v.bytes[i].len; break;
        }
        if (floe_pq_format_value(p->node, v, len, out)) return row_err(rr, c, "a value does not fit its column's type");
        break;
    }
    }
    return consume(rr, c);
}

/* ---- structure ----------------------------------------------------------------- */

static int render_value(floe_pq_row_reader *rr, const plan *p, floe_buf *out);
static int render_field(floe_pq_row_reader *rr, const plan *p, floe_buf *out);

/* Skips the one entry every leaf below p holds for an absent (null or empty)
 * p, checking that they all say it is absent. */
static int skip_absent(floe_pq_row_reader *rr, const plan *p, int def_below, floe_buf *out, const char *text) {
    floe_buf_puts(out, text);
    FOR_SELECTED(rr, p, i) {
        cursor *c = &rr->cur[i];
        if (need(rr, c)) return -1;
        if (cdef(c) >= def_below) return row_err(rr, c, "the column's definition levels disagree with its sibling columns");
        if (consume(rr, c)) return -1;
    }
    return 0;
}

/* Renders the elements of a repeated node (levels rdef, rrep; leaves those
 * of p) as a JSON array: each element by `elem_value` (p itself, when the
 * repeated node is the element) or as the field `elem`; or for maps as
 * "key":value members of an object. */
static int render_repeated(floe_pq_row_reader *rr, const plan *p, int rdef, int rrep, const plan *elem, int elem_by_value,
                           const plan *value, int is_map, floe_buf *out) {
    cursor *lead = &rr->cur[p->first_sel];
    if (need(rr, lead)) return -1;
    if (cdef(lead) < rdef) return skip_absent(rr, p, rdef, out, is_map ? "{}" : "[]");
    floe_buf_putc(out, is_map ? '{' : '[');
    for (;;) {
        int rc;
        if (is_map) {
            size_t at = out->len;
            rc = render_field(rr, elem, out);
            if (!rc && out->data[at] != '"') {
                /* A key that is not a JSON string becomes one: its JSON text, quoted. */
                rr->key.len = 0;
                floe_buf_append(&rr->key, out->data + at, out->len - at);
                out->len = at;
                floe_json_escape(rr->key.data, rr->key.len, out);
            }
            if (!rc) {
                floe_buf_putc(out, ':');
                if (value)
                    rc = render_field(rr, value, out);
                else
                    floe_buf_puts(out, "null");
            }
        } else {
            rc = elem_by_value ? render_value(rr, elem, out) : render_field(rr, elem, out);
        }
        if (rc) return -1;
        if (lead->ended || crep(lead) != rrep) break;
        FOR_SELECTED(rr, p, i) {
            cursor *c = &rr->cur[i];
            if (need(rr, c)) return -1;
            if (crep(c) != rrep) return row_err(rr, c, "the column's repetition levels disagree with its sibling columns");
        }
        floe_buf_putc(out, ',');
    }
    FOR_SELECTED(rr, p, i) {
        cursor *c = &rr->cur[i];
        if (!c->ended && crep(c) >= rrep)
            return row_err(rr, c, "the column's repetition levels disagree with its sibling columns");
    }
    floe_buf_putc(out, is_map ? '}' : ']');
    return 0;
}

/* Renders p as a field of its parent: null, a list of values, or a value. */
static int render_field(floe_pq_row_reader *rr, const plan *p, floe_buf *out) {
    if (p->kind == P_NULL) {
        floe_buf_puts(out, "null");
        return 0;
    }
    const floe_pq_node *n = p->node;
    if (n->repetition == FLOE_PQ_REPEATED)
        return render_repeated(rr, p, n->max_def, n->max_rep, p, 1, NULL, 0, out);
    if (n->repetition == FLOE_PQ_OPTIONAL) {
        cursor *lead = &rr->cur[p->first_sel];
        if (need(rr, lead)) return -1;
        if (cdef(lead) < n->max_def) return skip_absent(rr, p, n->max_def, out, "null");
    }
    return render_value(rr, p, out);
}

static int render_value(floe_pq_row_reader *rr, const plan *p, floe_buf *out) {
    switch (p->kind) {
    case P_LEAF:
        return render_leaf(rr, p, out);
    case P_LIST:
        return render_repeated(rr, p, p->rdef, p->rrep, p->elem, p->elem_by_value, NULL, 0, out);
    case P_MAP:
        return render_repeated(rr, p, p->rdef, p->rrep, p->elem, 0, p->value, 1, out);
    case P_STRUCT:
        floe_buf_putc(out, '{');
        for (int i = 0; i < p->nkids; i++) {
            if (p->kids[i]->dropped) {
                /* Appended to, never reset, while a row renders: an outer
                 * render may be holding an offset into it. */
                if (render_field(rr, p->kids[i], &rr->scratch)) return -1;
                continue;
            }
            if (i) floe_buf_putc(out, ',');
            floe_buf_append(out, p->kids[i]->key, p->kids[i]->key_len);
            if (render_field(rr, p->kids[i], out)) return -1;
        }
        floe_buf_putc(out, '}');
        return 0;
    case P_NULL:
        floe_buf_puts(out, "null");
        return 0;
    }
    return 0;
}

/* ---- row reader ----------------------------------------------------------------- */

static void close_group(floe_pq_row_reader *rr) {
    for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1]) {
        floe_pq_column_free(rr->cur[i].cr);
        memset(&rr->cur[i], 0, sizeof rr->cur[i]);
    }
}

/* Opens the next row group with rows that the filter keeps: 1, or 0 when
 * there is none. */
static int open_group(floe_pq_row_reader *rr) {
    floe_pq_reader *r = rr->r;
    for (;;) {
        if (rr->rg + 1 >= r->meta.nrow_groups) return 0;
        rr->rg++;
        rr->rg_first += rr->rg_rows;
        rr->rg_rows = r->meta.row_groups[rr->rg].num_rows;
        rr->rg_done = 0;
        if (rr->rg_rows == 0 || (rr->filter && !rr->filter(rr->filter_ctx, r, rr->rg))) continue;
        for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1]) {
            cursor *c = &rr->cur[i];
            c->leaf = i;
            c->max_def = r->schema->leaves[i]->max_def;
            c->cr = floe_pq_column_open(r, rr->rg, i, rr->err);
            if (!c->cr || refill(rr, c)) return -1;
        }
        return 1;
    }
}

floe_pq_row_reader *floe_pq_rows_open_shaped(floe_pq_reader *r, const int *leaves, int nleaves, floe_pq_shape_fn shape,
                                             void *shape_ctx, floe_err *err) {
    const floe_pq_schema *s = r->schema;
    for (int i = 0; leaves && i < nleaves; i++)
        if (leaves[i] < 0 || leaves[i] >= s->nleaves) {
            floe_err_set(err, FLOE_EINVAL, "%s: column %d does not exist (the schema has %d)", r->name, leaves[i], s->nleaves);
            return NULL;
        }
    floe_pq_row_reader *rr = floe_xcalloc(1, sizeof *rr);
    rr->r = r;
    rr->rg = -1;
    rr->shape = shape;
    rr->shape_ctx = shape_ctx;
    floe_arena_init(&rr->arena, 8192);
    rr->sel = floe_xcalloc((size_t)s->nleaves + 1, 1);
    rr->next_sel = floe_xmalloc(sizeof(int) * ((size_t)s->nleaves + 1));
    rr->cur = floe_xcalloc((size_t)s->nleaves + 1, sizeof(cursor));
    for (int i = 0; i < s->nleaves; i++) rr->sel[i] = leaves == NULL;
    for (int i = 0; leaves && i < nleaves; i++) rr->sel[leaves[i]] = 1;
    expand_selection(rr, s->root);
    rr->next_sel[s->nleaves] = -1;
    for (int i = s->nleaves - 1; i >= 0; i--) rr->next_sel[i] = rr->sel[i] ? i : rr->next_sel[i + 1];
    floe_buf tmp;
    floe_buf_init(&tmp);
    rr->root = build_plan(rr, s->root, &tmp);
    floe_buf_free(&tmp);
    return rr;
}

floe_pq_row_reader *floe_pq_rows_open(floe_pq_reader *r, const int *leaves, int nleaves, floe_err *err) {
    return floe_pq_rows_open_shaped(r, leaves, nleaves, NULL, NULL, err);
}

void floe_pq_rows_set_filter(floe_pq_row_reader *rr, floe_pq_rg_filter_fn fn, void *ctx) {
    rr->filter = fn;
    rr->filter_ctx = ctx;
}

/* Moves onto the next row (opening row groups as needed) and checks that
 * every cursor starts it: 1, or 0 at the end. */
static int position_row(floe_pq_row_reader *rr) {
    if (rr->positioned) return 1;
    while (rr->rg < 0 || rr->rg_done == rr->rg_rows) {
        if (rr->rg >= 0) {
            for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1])
                if (!rr->cur[i].ended && rr->cur[i].cr)
                    return row_err(rr, &rr->cur[i], "the column holds more rows than the row group's num_rows");
            close_group(rr);
        }
        int rc = open_group(rr);
        if (rc <= 0) return rc;
    }
    for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1]) {
        cursor *c = &rr->cur[i];
        if (c->ended) return row_err(rr, c, "the column holds fewer rows than the row group's num_rows");
        if (crep(c) != 0) return row_err(rr, c, "the row does not start at repetition level 0");
    }
    rr->positioned = 1;
    return 1;
}

static int next_row(floe_pq_row_reader *rr, floe_buf *out) {
    int rc = position_row(rr);
    if (rc <= 0) return rc;
    rr->positioned = 0;
    rr->scratch.len = 0;
    if (render_value(rr, rr->root, out)) return -1;
    for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1]) {
        cursor *c = &rr->cur[i];
        if (!c->ended && crep(c) != 0) return row_err(rr, c, "the column holds values past the end of the row");
    }
    rr->rg_done++;
    return 1;
}

/* Consumes a row's entries: each leaf's first, then those that continue
 * the row (repetition level above 0). */
static int skip_row(floe_pq_row_reader *rr) {
    int rc = position_row(rr);
    if (rc <= 0) return rc;
    rr->positioned = 0;
    for (int i = rr->next_sel[0]; i >= 0; i = rr->next_sel[i + 1]) {
        cursor *c = &rr->cur[i];
        do {
            if (consume(rr, c)) return -1;
        } while (!c->ended && crep(c) != 0);
    }
    rr->rg_done++;
    return 1;
}

static int row_call(floe_pq_row_reader *rr, floe_buf *out, int skip, floe_err *err) {
    if (rr->failed) return floe_err_set(err, FLOE_EINVAL, "%s: row reader stopped at an earlier error", rr->r->name);
    rr->err = err;
    size_t start = out ? out->len : 0;
    int rc = skip ? skip_row(rr) : out ? next_row(rr, out) : position_row(rr);
    if (rc < 0) {
        if (out) out->len = start;
        rr->failed = 1;
    }
    return rc;
}

int floe_pq_rows_next_json(floe_pq_row_reader *rr, floe_buf *out, floe_err *err) { return row_call(rr, out, 0, err); }

int floe_pq_rows_skip(floe_pq_row_reader *rr, floe_err *err) { return row_call(rr, NULL, 1, err); }

int floe_pq_rows_peek_row(floe_pq_row_reader *rr, floe_err *err) { return row_call(rr, NULL, 0, err); }

int64_t floe_pq_rows_index(const floe_pq_row_reader *rr) { return rr->rg_first + rr->rg_done; }

int floe_pq_rows_peek(const floe_pq_row_reader *rr, int leaf, floe_pq_value *out) {
    memset(out, 0, sizeof *out);
    if (!rr->positioned || leaf < 0 || leaf >= rr->r->schema->nleaves || !rr->sel[leaf] ||
        rr->r->schema->leaves[leaf]->max_rep != 0)
        return -1;
    const cursor *c = &rr->cur[leaf];
    if (cdef(c) != c->max_def) {
        out->is_null = 1;
        return 0;
    }
    const floe_pq_batch *b = &c->b;
    size_t i = c->vpos;
    /* Host order is little-endian on every target, as render_leaf assumes. */
    switch (b->physical) {
    case FLOE_PQ_BOOLEAN: out->plain = b->v.b + i; out->len = 1; break;
    case FLOE_PQ_INT32: out->plain = (const uint8_t *)(b->v.i32 + i); out->len = 4; break;
    case FLOE_PQ_INT64: out->plain = (const uint8_t *)(b->v.i64 + i); out->len = 8; break;
    case FLOE_PQ_FLOAT: out->plain = (const uint8_t *)(b->v.f32 + i); out->len = 4; break;
    case FLOE_PQ_DOUBLE: out->plain = (const uint8_t *)(b->v.f64 + i); out->len = 8; break;
    default: out->plain = b->v.bytes[i].ptr; out->len = b->v.bytes[i].len; break;
    }
    return 0;
}

void floe_pq_rows_free(floe_pq_row_reader *rr) {
    if (!rr) return;
    close_group(rr);
    floe_buf_free(&rr->key);
    floe_buf_free(&rr->scratch);
    floe_arena_free(&rr->arena);
    free(rr->sel);
    free(rr->next_sel);
    free(rr->cur);
    free(rr);
}
