/*
 * expr.h — row filters: the text of a scan's filter ("id > 5 AND ts >=
 * '2017-11-16'"), bound to a schema, and the three ways scan planning
 * evaluates one (Iceberg's expressions package, reduced to what a filter on
 * columns needs):
 *
 *   - on a row's values (Evaluator), to filter rows;
 *   - projected through a partition spec (Projections.inclusive), on a
 *     manifest list's partition field summaries (ManifestEvaluator) and on
 *     a data file's partition tuple, to skip manifests and files;
 *   - on a data file's column metrics (InclusiveMetricsEvaluator), to skip
 *     files whose bounds and counts prove that no row matches.
 *
 * Syntax (keywords in any case):
 *   expr := expr OR expr | expr AND expr | NOT expr | ( expr ) | TRUE | FALSE
 *         | col op literal | col IS [NOT] NULL | col IS [NOT] NAN
 *         | col [NOT] IN ( literal, ... )
 *   op   := = | == | != | <> | < | <= | > | >=
 *   col  := name(.name)*   names are [A-Za-z_][A-Za-z0-9_]* or "quoted"
 *           (also `quoted`), "" doubling a quote inside
 *   literal := integer | decimal (1.5, -2e3) | 'string' ('' for a quote)
 *            | TRUE | FALSE
 * A string literal takes the column's type when bound: dates
 * '2017-11-16', times, timestamps '2017-11-16T10:00:00[.ffffff][Z|+01:00]',
 * UUIDs, decimals, numbers, 'NaN' for float columns.
 *
 * Semantics are SQL's: a comparison with a null value is not true, so a row
 * whose column is null matches neither `c = 1` nor `c != 1` (NOT is pushed
 * down into the predicates when binding, which keeps that true under NOT).
 * NaN compares false with every number; `c = 'NaN'` binds to `c IS NAN`.
 * Binding also folds what the schema decides: IS NULL on a column that can
 * never be null is FALSE, and a literal beyond the column type's range
 * makes the comparison FALSE or IS NOT NULL.
 *
 * A bound expression's predicates each have a slot: an index into the
 * values evaluation reads.  For an expression bound to a schema, slot i is
 * the value of field ids[i]; for a projection, slot i is partition field i
 * of the spec (so a partition tuple is the value array as it is).
 */
#ifndef FLOE_ICEBERG_EXPR_H
#define FLOE_ICEBERG_EXPR_H

#include "iceberg/manifest.h"
#include "iceberg/metadata.h"

typedef enum {
    FLOE_EXPR_TRUE, FLOE_EXPR_FALSE, FLOE_EXPR_AND, FLOE_EXPR_OR, FLOE_EXPR_NOT, FLOE_EXPR_PRED
} floe_expr_kind;

typedef enum {
    FLOE_OP_IS_NULL, FLOE_OP_NOT_NULL, FLOE_OP_IS_NAN, FLOE_OP_NOT_NAN,
    FLOE_OP_LT, FLOE_OP_LT_EQ, FLOE_OP_GT, FLOE_OP_GT_EQ, FLOE_OP_EQ, FLOE_OP_NOT_EQ,
    FLOE_OP_IN, FLOE_OP_NOT_IN
} floe_expr_op;

/* A literal as written (strings unescaped). */
typedef enum { FLOE_LIT_INTEGER, FLOE_LIT_DECIMAL, FLOE_LIT_STRING, FLOE_LIT_BOOLEAN } floe_expr_lit_kind;
typedef struct floe_expr_lit {
    int kind;
    char *text;   /* NUL-terminated; a string's bytes may hold NULs, so use len */
    size_t len;
} floe_expr_lit;

typedef struct floe_expr_node floe_expr_node;
struct floe_expr_node {
    int kind;                   /* floe_expr_kind */
    floe_expr_node *left, *right; /* AND, OR; NOT has only left */
    /* FLOE_EXPR_PRED: */
    int op;                     /* floe_expr_op */
    char *column;               /* unbound: the path as written; bound: the field's path
                                   or the partition field's name */
    floe_expr_lit *lits;        /* unbound literals */
    int nlits;
    int32_t field_id;           /* bound: the field (or partition field) id */
    int slot;                   /* bound: index of its value (see above) */
    floe_ice_type *type;        /* bound: the column's type (owned) */
    floe_ice_datum *values;     /* bound literals; sorted and distinct for IN and NOT IN;
                                   byte values owned by the node */
    int nvalues;
};

typedef struct floe_expr {
    floe_expr_node *root;
    int32_t *ids;               /* bound to a schema: the field id of each slot */
    int nids;
} floe_expr;

/* Parses filter text; errors give the position and what was expected. */
floe_expr *floe_expr_parse(const char *text, floe_err *err);
/* Binds to a schema: columns by path (exact, then ignoring case; no column
 * inside a list or map), literals converted to the column's type, NOT
 * pushed into the predicates, constants folded.  Errors name the column
 * and the literal ("unknown column 'x'", "cannot compare long column 'id'
 * with 'abc'"). */
floe_expr *floe_expr_bind(const floe_expr *e, const floe_ice_schema *schema, floe_err *err);
/* The inclusive projection of a bound expression onto partition `spec`
 * (whose source ids are the field ids the expression was bound to): a
 * partition predicate that is true for every partition holding a row the
 * expression is true for.  A predicate no partition field can express
 * becomes TRUE. */
floe_expr *floe_expr_project(const floe_expr *bound, const floe_ice_partition_spec *spec);
void floe_expr_free(floe_expr *e);

/* Whether a row matches: values[slot] is the value of each predicate's
 * column (for a projection: the partition tuple). */
int floe_expr_eval(const floe_expr *e, const floe_ice_datum *values);
/* Whether a manifest whose partition field summaries are s[0..n) may hold
 * a matching row (a projection of the manifest's spec). */
int floe_expr_eval_summaries(const floe_expr *proj, const floe_ice_field_summary *s, int n);
/* Whether a data file may hold a matching row, from its record count,
 * value, null and NaN counts and bounds (an expression bound to the table
 * schema). */
int floe_expr_eval_metrics(const floe_expr *e, const floe_ice_data_file *f);

/* Appends a readable form: "(id > 5 AND ts_day >= '2017-11-16')". */
void floe_expr_to_string(const floe_expr *e, floe_buf *out);

#endif
