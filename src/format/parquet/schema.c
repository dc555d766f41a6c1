/*
 * schema.c — the Parquet schema tree: building it, computing definition and
 * repetition levels, finding leaves, and converting to and from the footer's
 * flat SchemaElement list.
 *
 * Levels: a node's max_def counts the non-REQUIRED nodes on the path from
 * the root (exclusive) to it (inclusive); max_rep counts the REPEATED ones.
 * A leaf's levels are its column's.
 */
#include "format/parquet/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static floe_pq_node *node_new(floe_pq_node *parent, const char *name, int rep) {
    floe_pq_node *n = floe_xcalloc(1, sizeof *n);
    n->name = floe_xstrdup(name ? name : "");
    n->repetition = rep;
    n->converted = FLOE_PQ_CT_NONE;
    n->leaf_index = -1;
    n->parent = parent;
    if (parent) {
        parent->children = floe_xrealloc(parent->children, sizeof(floe_pq_node *) * (size_t)(parent->nchildren + 1));
        parent->children[parent->nchildren++] = n;
    }
    return n;
}

floe_pq_schema *floe_pq_schema_new(const char *root_name) {
    floe_pq_schema *s = floe_xcalloc(1, sizeof *s);
    s->root = node_new(NULL, root_name ? root_name : "schema", FLOE_PQ_REQUIRED);
    s->root->is_group = 1;
    return s;
}

floe_pq_node *floe_pq_node_group(floe_pq_node *parent, const char *name, int repetition, int32_t field_id) {
    floe_pq_node *n = node_new(parent, name, repetition);
    n->is_group = 1;
    if (field_id >= 0) {
        n->has_field_id = 1;
        n->field_id = field_id;
    }
    return n;
}

floe_pq_node *floe_pq_node_leaf(floe_pq_node *parent, const char *name, int repetition, int physical,
                                int32_t field_id) {
    floe_pq_node *n = node_new(parent, name, repetition);
    n->physical = physical;
    if (physical == FLOE_PQ_INT96) n->type_length = 12;
    if (field_id >= 0) {
        n->has_field_id = 1;
        n->field_id = field_id;
    }
    return n;
}

static void node_free(floe_pq_node *n) {
    if (!n) return;
    for (int i = 0; i < n->nchildren; i++) node_free(n->children[i]);
    free(n->children);
    free(n->name);
    free(n);
}

void floe_pq_schema_free(floe_pq_schema *s) {
    if (!s) return;
    node_free(s->root);
    free(s->leaves);
    free(s);
}

static int finish_node(floe_pq_schema *s, floe_pq_node *n, int def, int rep, int depth, int *cap,
                       floe_err *err) {
    if (depth > MAX_DEPTH) return floe_err_set(err, FLOE_EUNSUPPORTED, "schema nests deeper than %d levels", MAX_DEPTH);
    if (n->parent) {
        if (n->repetition != FLOE_PQ_REQUIRED) def++;
        if (n->repetition == FLOE_PQ_REPEATED) rep++;
    }
    n->max_def = def;
    n->max_rep = rep;
    n->first_leaf = s->nleaves;
    if (!n->is_group) {
        if (n->physical < FLOE_PQ_BOOLEAN || n->physical > FLOE_PQ_FIXED_LEN_BYTE_ARRAY)
            return floe_err_set(err, FLOE_ECORRUPT, "column '%s' has unknown physical type %d", n->name, n->physical);
        if (n->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY && n->type_length <= 0)
            return floe_err_set(err, FLOE_ECORRUPT, "column '%s' is FIXED_LEN_BYTE_ARRAY with length %d", n->name,
                                (int)n->type_length);
        if (s->nleaves == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            s->leaves = floe_xrealloc(s->leaves, sizeof(floe_pq_node *) * (size_t)*cap);
        }
        n->leaf_index = s->nleaves;
        s->leaves[s->nleaves++] = n;
        n->nleaves = 1;
        return 0;
    }
    if (n->nchildren == 0 && n->parent)
        return floe_err_set(err, FLOE_ECORRUPT, "group '%s' has no children", n->name);
    for (int i = 0; i < n->nchildren; i++)
        if (finish_node(s, n->children[i], def, rep, depth + 1, cap, err)) return -1;
    n->nleaves = s->nleaves - n->first_leaf;
    return 0;
}

int floe_pq_schema_finish(floe_pq_schema *s, floe_err *err) {
    free(s->leaves);
    s->leaves = NULL;
    s->nleaves = 0;
    int cap = 0;
    return finish_node(s, s->root, 0, 0, 0, &cap, err);
}

const floe_pq_node *floe_pq_schema_leaf_by_id(const floe_pq_schema *s, int32_t id) {
    for (int i = 0; i < s->nleaves; i++)
        if (s->leaves[i]->has_field_id && s->leaves[i]->field_id == id) return s->leaves[i];
    return NULL;
}

const floe_pq_node *floe_pq_schema_find(const floe_pq_schema *s, const char *dotted) {
    const floe_pq_node *n = s->root;
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const floe_pq_node *next = NULL;
        for (int i = 0; i < n->nchildren; i++)
            if (strlen(n->children[i]->name) == len && memcmp(n->children[i]->name, p, len) == 0) {
                next = n->children[i];
                break;
            }
        if (!next) return NULL;
        n = next;
        p = dot ? dot + 1 : p + len;
    }
    return n;
}

void floe_pq_node_path(const floe_pq_node *n, char *buf, size_t cap) {
    const floe_pq_node *chain[MAX_DEPTH + 2];
    int k = 0;
    for (const floe_pq_node *c = n; c && c->parent && k < MAX_DEPTH + 1; c = c->parent) chain[k++] = c;
    size_t off = 0;
    if (cap) buf[0] = '\0';
    for (int i = k - 1; i >= 0; i--) {
        int w = snprintf(buf + off, cap > off ? cap - off : 0, "%s%s", i == k - 1 ? "" : ".", chain[i]->name);
        if (w < 0) break;
        off += (size_t)w;
        if (off >= cap) break;
    }
}

/* ---- from footer elements ------------------------------------------------ */

static int build_from(const floe_pq_schema_element *els, int n, int *pos, floe_pq_node *parent, int depth,
                      floe_err *err) {
    if (depth > MAX_DEPTH) return floe_err_set(err, FLOE_EUNSUPPORTED, "schema nests deeper than %d levels", MAX_DEPTH);
    int nchildren = els[*pos].has_num_children ? els[*pos].num_children : 0;
    int me = (*pos)++;
    for (int i = 0; i < nchildren; i++) {
        if (*pos >= n)
            return floe_err_set(err, FLOE_ECORRUPT, "schema element %d ('%.*s') claims %d children but the schema ends",
                                me, (int)els[me].name.len, (const char *)els[me].name.ptr, nchildren);
        const floe_pq_schema_element *e = &els[*pos];
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(e->name.len > 500 ? 500 : e->name.len), (const char *)e->name.ptr);
        int rep = e->has_repetition ? e->repetition : FLOE_PQ_OPTIONAL;
        if (rep < 0 || rep > 2)
            return floe_err_set(err, FLOE_ECORRUPT, "schema element '%s' has repetition %d", name, rep);
        floe_pq_node *c;
        int is_group = e->has_num_children && e->num_children > 0;
        if (!is_group && !e->has_type && e->has_num_children)
            return floe_err_set(err, FLOE_ECORRUPT, "schema element '%s' is a group with no children", name);
        if (!is_group && !e->has_type)
            return floe_err_set(err, FLOE_ECORRUPT, "schema element '%s' has neither a type nor children", name);
        if (is_group) {
            c = floe_pq_node_group(parent, name, rep, e->has_field_id ? e->field_id : -1);
        } else {
            c = floe_pq_node_leaf(parent, name, rep, e->type, e->has_field_id ? e->field_id : -1);
            if (e->has_type_length) c->type_length = e->type_length;
            if (e->type == FLOE_PQ_INT96) c->type_length = 12;
        }
        if (e->has_field_id && e->field_id < 0) { c->has_field_id = 1; c->field_id = e->field_id; }
        c->converted = e->has_converted ? e->converted : FLOE_PQ_CT_NONE;
        c->logical = e->logical;
        c->precision = e->has_precision ? e->precision : 0;
        c->scale = e->has_scale ? e->scale : 0;
        if (is_group) {
            if (build_from(els, n, pos, c, depth + 1, err)) return -1;
        } else {
            (*pos)++;
        }
    }
    return 0;
}

int floe_pq_schema_from_elements(const floe_pq_schema_element *els, int n, floe_pq_schema **out, floe_err *err) {
    *out = NULL;
    if (n < 1) return floe_err_set(err, FLOE_ECORRUPT, "footer has an empty schema");
    if (els[0].has_num_children && els[0].num_children > n - 1)
        return floe_err_set(err, FLOE_ECORRUPT, "schema root claims %d children but only %d elements follow",
                            (int)els[0].num_children, n - 1);
    char root[256];
    snprintf(root, sizeof root, "%.*s", (int)(els[0].name.len > 200 ? 200 : els[0].name.len), (const char *)els[0].name.ptr);
    floe_pq_schema *s = floe_pq_schema_new(root);
    int pos = 0;
    if (build_from(els, n, &pos, s->root, 0, err) || floe_pq_schema_finish(s, err)) {
        floe_pq_schema_free(s);
        return -1;
    }
    if (pos != n) {
        floe_pq_schema_free(s);
        return floe_err_set(err, FLOE_ECORRUPT, "schema has %d elements but the tree uses %d", n, pos);
    }
    *out = s;
    return 0;
}

/* ---- to footer elements -------------------------------------------------- */

static void flatten(const floe_pq_node *nd, floe_pq_schema_element *els, int *k, int is_root) {
    floe_pq_schema_element *e = &els[(*k)++];
    memset(e, 0, sizeof *e);
    e->name.ptr = (const uint8_t *)nd->name;
    e->name.len = (uint32_t)strlen(nd->name);
    if (!is_root) {
        e->has_repetition = 1;
        e->repetition = nd->repetition;
    }
    if (nd->is_group) {
        e->has_num_children = 1;
        e->num_children = nd->nchildren;
    } else {
        e->has_type = 1;
        e->type = nd->physical;
        if (nd->physical == FLOE_PQ_FIXED_LEN_BYTE_ARRAY) {
            e->has_type_length = 1;
            e->type_length = nd->type_length;
        }
    }
    if (nd->converted != FLOE_PQ_CT_NONE) {
        e->has_converted = 1;
        e->converted = nd->converted;
    }
    if (nd->converted == FLOE_PQ_CT_DECIMAL || nd->logical.kind == FLOE_PQ_LT_DECIMAL) {
        e->has_precision = e->has_scale = 1;
        e->precision = nd->logical.kind == FLOE_PQ_LT_DECIMAL ? nd->logical.precision : nd->precision;
        e->scale = nd->logical.kind == FLOE_PQ_LT_DECIMAL ? nd->logical.scale : nd->scale;
    }
    if (nd->has_field_id) {
        e->has_field_id = 1;
        e->field_id = nd->field_id;
    }
    e->logical = nd->logical;
    for (int i = 0; i < nd->nchildren; i++) flatten(nd->children[i], els, k, 0);
}

static int count_nodes(const floe_pq_node *n) {
    int c = 1;
    for (int i = 0; i < n->nchildren; i++) c += count_nodes(n->children[i]);
    return c;
}

int floe_pq_schema_to_elements(const floe_pq_schema *s, floe_arena *arena, floe_pq_schema_element **out, int *n) {
    int total = count_nodes(s->root);
    floe_pq_schema_element *els = floe_arena_alloc(arena, sizeof *els * (size_t)total);
    int k = 0;
    flatten(s->root, els, &k, 1);
    *out = els;
    *n = k;
    return 0;
}
