/*
 * expr.c — row filters: parsing, binding, evaluation on rows, inclusive
 * projection onto partition specs, and evaluation on manifest summaries and
 * file metrics.  See expr.h for the language and its semantics.
 *
 * Parsing is recursive descent over a small lexer and yields an unbound
 * tree (column paths as written, literals as text).  Binding resolves each
 * path to a field, converts the literals to the field's type, and removes
 * NOT by negating what is below it (De Morgan for AND/OR, the opposite
 * operator for predicates), which is what lets the inclusive evaluators,
 * as in Java Iceberg, treat every predicate as monotone.
 *
 * The projection follows Java's transforms' project() methods: identity
 * keeps the predicate; bucket keeps =, IN and the null tests; truncate and
 * the time transforms turn < and > into <= and >= of the transformed
 * boundary (after moving it by one unit to close the interval); time
 * transforms then widen negative values by one, as Java does for files
 * written before Iceberg 0.11 computed them one too high.
 *
 * The inclusive evaluators answer "may match" (1) or "cannot match" (0) by
 * the rules of Java's ManifestEvaluator and InclusiveMetricsEvaluator,
 * including their limit of 200 values for IN and their distrust of a NaN
 * lower bound.  Floats compare numerically here (-0.0 equals 0.0), so that
 * a bound never excludes a value the row filter would accept.
 */
#include "iceberg/expr.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"

#define MAX_DEPTH 200       /* nesting of parentheses and NOT */
#define MAX_PREDICATES 2000 /* trees are walked recursively: bound their size */
#define IN_PREDICATE_LIMIT 200

/* ---- nodes ----------------------------------------------------------------- */

static floe_expr_node *node_new(int kind) {
    floe_expr_node *n = floe_xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static void node_free(floe_expr_node *n) {
    if (!n) return;
    node_free(n->left);
    node_free(n->right);
    free(n->column);
    for (int i = 0; i < n->nlits; i++) free(n->lits[i].text);
    free(n->lits);
    if (n->type) floe_ice_type_free(n->type);
    for (int i = 0; i < n->nvalues; i++) free((void *)n->values[i].p);
    free(n->values);
    free(n);
}

void floe_expr_free(floe_expr *e) {
    if (!e) return;
    node_free(e->root);
    free(e->ids);
    free(e);
}

static floe_expr_node *node_pair(int kind, floe_expr_node *l, floe_expr_node *r) {
    floe_expr_node *n = node_new(kind);
    n->left = l;
    n->right = r;
    return n;
}

/* AND and OR with constants folded away: FALSE absorbs an AND and TRUE an
 * OR; the other constant drops out. */
static floe_expr_node *make_bin(int kind, floe_expr_node *l, floe_expr_node *r) {
    int absorbing = kind == FLOE_EXPR_AND ? FLOE_EXPR_FALSE : FLOE_EXPR_TRUE;
    int neutral = kind == FLOE_EXPR_AND ? FLOE_EXPR_TRUE : FLOE_EXPR_FALSE;
    if (l->kind == absorbing || r->kind == neutral) {
        node_free(r);
        return l;
    }
    if (r->kind == absorbing || l->kind == neutral) {
        node_free(l);
        return r;
    }
    return node_pair(kind, l, r);
}

/* A copy of a primitive type (the identity transform's result type is one). */
static floe_ice_type *type_copy(const floe_ice_type *t) {
    floe_ice_transform id = {FLOE_XF_IDENTITY, 0};
    floe_err err = {0};
    return floe_ice_transform_result_type(&id, t, &err);
}

/* Makes a datum own its bytes (a copy), so nodes outlive their sources. */
static void own_bytes(floe_ice_datum *d) {
    if (!d->p) return;
    uint8_t *c = floe_xmalloc(d->n ? d->n : 1);
    if (d->n) memcpy(c, d->p, d->n);
    d->p = c;
}

static int is_float(const floe_ice_type *t) { return t->kind == FLOE_ICE_FLOAT || t->kind == FLOE_ICE_DOUBLE; }

/* Numeric order for floats (-0.0 == 0.0, NaN above everything), Iceberg's
 * order for the rest; both non-null. */
static int cmp_values(const floe_ice_type *t, const floe_ice_datum *a, const floe_ice_datum *b) {
    if (is_float(t)) {
        if (a->d < b->d) return -1;
        if (a->d > b->d) return 1;
        int na = isnan(a->d) != 0, nb = isnan(b->d) != 0;
        return na - nb;
    }
    return floe_ice_value_compare(t, a, b);
}

static int cmp_values_r(const void *a, const void *b, void *t) { return cmp_values(t, a, b); }

/* Sorts a predicate's values and drops duplicates (freeing their bytes). */
static void sort_values(floe_expr_node *n) {
    if (n->nvalues < 2) return;
    qsort_r(n->values, (size_t)n->nvalues, sizeof *n->values, cmp_values_r, n->type);
    int k = 1;
    for (int i = 1; i < n->nvalues; i++) {
        if (cmp_values(n->type, &n->values[k - 1], &n->values[i]) == 0) free((void *)n->values[i].p);
        else n->values[k++] = n->values[i];
    }
    n->nvalues = k;
}

static int contains_value(const floe_expr_node *n, const floe_ice_datum *v) {
    int lo = 0, hi = n->nvalues - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = cmp_values(n->type, &n->values[mid], v);
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

/* ---- lexer ------------------------------------------------------------------- */

enum { T_END, T_WORD, T_QUOTED_NAME, T_NUMBER, T_STRING, T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_OP };

typedef struct token {
    int kind;
    size_t pos, len; /* where in the text */
    int op;          /* T_OP */
    int decimal;     /* T_NUMBER with a fraction or exponent */
} token;

typedef struct parser {
    const char *s;
    size_t n;
    token t;
    int depth, preds;
    floe_err *err;
} parser;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_word_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_word(char c) { return is_word_start(c) || is_digit(c); }

static int lex_error(parser *p, size_t pos, const char *what) {
    return floe_err_set(p->err, FLOE_EINVAL, "%s at position %zu", what, pos + 1);
}

/* Scans past a quoted token whose quote character is s[i] (doubled quotes
 * stand for one); -1 when it does not end. */
static int scan_quoted(parser *p, size_t *i) {
    char q = p->s[*i];
    size_t start = *i;
    for (size_t k = *i + 1; k < p->n; k++) {
        if (p->s[k] != q) continue;
        if (k + 1 < p->n && p->s[k + 1] == q) {
            k++;
            continue;
        }
        *i = k + 1;
        return 0;
    }
    return lex_error(p, start, q == '\'' ? "unterminated string" : "unterminated quoted name");
}

static int scan_number(parser *p, size_t *i, int *decimal) {
    size_t k = *i, digits = 0;
    if (p->s[k] == '-' || p->s[k] == '+') k++;
    while (k < p->n && is_digit(p->s[k])) k++, digits++;
    *decimal = 0;
    if (k < p->n && p->s[k] == '.') {
        *decimal = 1;
        k++;
        while (k < p->n && is_digit(p->s[k])) k++, digits++;
    }
    if (!digits) return lex_error(p, *i, "a number needs digits");
    if (k < p->n && (p->s[k] == 'e' || p->s[k] == 'E')) {
        *decimal = 1;
        k++;
        if (k < p->n && (p->s[k] == '-' || p->s[k] == '+')) k++;
        if (k == p->n || !is_digit(p->s[k])) return lex_error(p, *i, "a number's exponent needs digits");
        while (k < p->n && is_digit(p->s[k])) k++;
    }
    if (k < p->n && is_word(p->s[k])) return lex_error(p, *i, "a number runs into a name");
    *i = k;
    return 0;
}

static int next_token(parser *p) {
    size_t i = p->t.pos + p->t.len;
    while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\t' || p->s[i] == '\n' || p->s[i] == '\r')) i++;
    token *t = &p->t;
    memset(t, 0, sizeof *t);
    t->pos = i;
    if (i == p->n) return 0;
    char c = p->s[i], d = i + 1 < p->n ? p->s[i + 1] : '\0';
    size_t end = i + 1;
    if (is_word_start(c)) {
        t->kind = T_WORD;
        while (end < p->n && is_word(p->s[end])) end++;
    } else if (c == '"' || c == '`' || c == '\'') {
        t->kind = c == '\'' ? T_STRING : T_QUOTED_NAME;
        end = i;
        if (scan_quoted(p, &end)) return -1;
    } else if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && (is_digit(d) || d == '.'))) {
        t->kind = T_NUMBER;
        end = i;
        if (scan_number(p, &end, &t->decimal)) return -1;
    } else if (c == '(') t->kind = T_LPAREN;
    else if (c == ')') t->kind = T_RPAREN;
    else if (c == ',') t->kind = T_COMMA;
    else if (c == '.') t->kind = T_DOT;
    else {
        t->kind = T_OP;
        if (c == '=') {
            t->op = FLOE_OP_EQ;
            if (d == '=') end++;
        } else if (c == '!' && d == '=') {
            t->op = FLOE_OP_NOT_EQ;
            end++;
        } else if (c == '<') {
            t->op = d == '=' ? FLOE_OP_LT_EQ : d == '>' ? FLOE_OP_NOT_EQ : FLOE_OP_LT;
            end += d == '=' || d == '>';
        } else if (c == '>') {
            t->op = d == '=' ? FLOE_OP_GT_EQ : FLOE_OP_GT;
            end += d == '=';
        } else {
            return lex_error(p, i, "unexpected character");
        }
    }
    t->len = end - i;
    return 0;
}

static int is_kw(const parser *p, const char *kw) {
    return p->t.kind == T_WORD && p->t.len == strlen(kw) && strncasecmp(p->s + p->t.pos, kw, p->t.len) == 0;
}

/* "expected X at position N, found 'tok'" */
static int expected(parser *p, const char *what) {
    if (p->t.kind == T_END) return floe_err_set(p->err, FLOE_EINVAL, "expected %s at the end of the filter", what);
    int len = p->t.len > 40 ? 40 : (int)p->t.len;
    return floe_err_set(p->err, FLOE_EINVAL, "expected %s at position %zu, found '%.*s'", what, p->t.pos + 1, len,
                        p->s + p->t.pos);
}

/* The text between a quoted token's quotes, doubled quotes undone. */
static char *unquote(const parser *p, size_t *len) {
    const char *s = p->s + p->t.pos;
    char q = s[0];
    char *out = floe_xmalloc(p->t.len);
    size_t k = 0;
    for (size_t i = 1; i + 1 < p->t.len; i++) {
        out[k++] = s[i];
        if (s[i] == q) i++;
    }
    out[k] = '\0';
    *len = k;
    return out;
}

/* ---- parser ------------------------------------------------------------------- */

static floe_expr_node *parse_binary(parser *p, int level);

static int parse_column(parser *p, floe_expr_node *n) {
    floe_buf path;
    floe_buf_init(&path);
    for (;;) {
        if (p->t.kind == T_WORD) {
            floe_buf_append(&path, p->s + p->t.pos, p->t.len);
        } else if (p->t.kind == T_QUOTED_NAME) {
            size_t len;
            char *name = unquote(p, &len);
            floe_buf_append(&path, name, len);
            free(name);
        } else {
            int after_dot = path.len > 0;
            floe_buf_free(&path);
            return expected(p, after_dot ? "a name after '.'" : "a column name");
        }
        if (next_token(p)) goto fail;
        if (p->t.kind != T_DOT) break;
        floe_buf_putc(&path, '.');
        if (next_token(p)) goto fail;
    }
    n->column = floe_xstrdup(floe_buf_cstr(&path));
    floe_buf_free(&path);
    return 0;
fail:
    floe_buf_free(&path);
    return -1;
}

static int parse_literal(parser *p, floe_expr_lit *l) {
    memset(l, 0, sizeof *l);
    if (p->t.kind == T_NUMBER) {
        l->kind = p->t.decimal ? FLOE_LIT_DECIMAL : FLOE_LIT_INTEGER;
        l->text = floe_xstrndup(p->s + p->t.pos, p->t.len);
        l->len = p->t.len;
    } else if (p->t.kind == T_STRING) {
        l->kind = FLOE_LIT_STRING;
        l->text = unquote(p, &l->len);
    } else if (is_kw(p, "true") || is_kw(p, "false")) {
        l->kind = FLOE_LIT_BOOLEAN;
        l->text = floe_xstrdup(is_kw(p, "true") ? "true" : "false");
        l->len = strlen(l->text);
    } else if (is_kw(p, "null")) {
        return floe_err_set(p->err, FLOE_EINVAL,
                            "NULL at position %zu is not a value to compare with: use IS NULL or IS NOT NULL",
                            p->t.pos + 1);
    } else {
        return expected(p, "a literal (a number, a 'string', true or false)");
    }
    if (next_token(p)) {
        free(l->text);
        return -1;
    }
    return 0;
}

static void add_lit(floe_expr_node *n, const floe_expr_lit *l) {
    n->lits = floe_xrealloc(n->lits, sizeof *n->lits * (size_t)(n->nlits + 1));
    n->lits[n->nlits++] = *l;
}

static floe_expr_node *parse_predicate(parser *p) {
    if (++p->preds > MAX_PREDICATES) {
        floe_err_set(p->err, FLOE_EINVAL, "the filter has more than %d predicates", MAX_PREDICATES);
        return NULL;
    }
    floe_expr_node *n = node_new(FLOE_EXPR_PRED);
    floe_expr_lit l;
    if (parse_column(p, n)) goto fail;
    if (is_kw(p, "is")) {
        if (next_token(p)) goto fail;
        int neg = is_kw(p, "not");
        if (neg && next_token(p)) goto fail;
        if (is_kw(p, "null")) n->op = neg ? FLOE_OP_NOT_NULL : FLOE_OP_IS_NULL;
        else if (is_kw(p, "nan")) n->op = neg ? FLOE_OP_NOT_NAN : FLOE_OP_IS_NAN;
        else {
            expected(p, "NULL or NAN after IS");
            goto fail;
        }
        if (next_token(p)) goto fail;
        return n;
    }
    int neg = is_kw(p, "not");
    if (neg && next_token(p)) goto fail;
    if (is_kw(p, "in")) {
        n->op = neg ? FLOE_OP_NOT_IN : FLOE_OP_IN;
        if (next_token(p)) goto fail;
        if (p->t.kind != T_LPAREN) {
            expected(p, "'(' after IN");
            goto fail;
        }
        do {
            if (next_token(p) || parse_literal(p, &l)) goto fail;
            add_lit(n, &l);
        } while (p->t.kind == T_COMMA);
        if (p->t.kind != T_RPAREN) {
            expected(p, "',' or ')' in the IN list");
            goto fail;
        }
        if (next_token(p)) goto fail;
        return n;
    }
    if (neg || p->t.kind != T_OP) {
        expected(p, neg ? "IN after NOT" : "a comparison (=, !=, <, <=, >, >=, IS, IN)");
        goto fail;
    }
    n->op = p->t.op;
    if (next_token(p) || parse_literal(p, &l)) goto fail;
    add_lit(n, &l);
    return n;
fail:
    node_free(n);
    return NULL;
}

static floe_expr_node *parse_unary(parser *p) {
    if (++p->depth > MAX_DEPTH) {
        floe_err_set(p->err, FLOE_EINVAL, "the filter nests deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    floe_expr_node *n = NULL;
    if (is_kw(p, "not")) {
        if (next_token(p)) return NULL;
        floe_expr_node *inner = parse_unary(p);
        if (inner) n = node_pair(FLOE_EXPR_NOT, inner, NULL);
    } else if (p->t.kind == T_LPAREN) {
        if (next_token(p) || !(n = parse_binary(p, 0))) return NULL;
        if (p->t.kind != T_RPAREN) {
            expected(p, "')'");
            node_free(n);
            return NULL;
        }
        if (next_token(p)) {
            node_free(n);
            return NULL;
        }
    } else if (is_kw(p, "true") || is_kw(p, "false")) {
        n = node_new(is_kw(p, "true") ? FLOE_EXPR_TRUE : FLOE_EXPR_FALSE);
        if (next_token(p)) {
            node_free(n);
            return NULL;
        }
    } else {
        n = parse_predicate(p);
    }
    p->depth--;
    return n;
}

/* ORs of ANDs of unary terms: level 0 parses an OR, level 1 an AND. */
static floe_expr_node *parse_binary(parser *p, int level) {
    static const char *const kw[2] = {"or", "and"};
    floe_expr_node *l = level ? parse_unary(p) : parse_binary(p, 1);
    while (l && is_kw(p, kw[level])) {
        floe_expr_node *r = next_token(p) ? NULL : level ? parse_unary(p) : parse_binary(p, 1);
        if (!r) {
            node_free(l);
            return NULL;
        }
        l = node_pair(level ? FLOE_EXPR_AND : FLOE_EXPR_OR, l, r);
    }
    return l;
}

floe_expr *floe_expr_parse(const char *text, floe_err *err) {
    parser p = {text, strlen(text), {0}, 0, 0, err};
    if (next_token(&p)) return NULL;
    if (p.t.kind == T_END) {
        floe_err_set(err, FLOE_EINVAL, "the filter is empty");
        return NULL;
    }
    floe_expr_node *root = parse_binary(&p, 0);
    if (root && p.t.kind != T_END) {
        expected(&p, "AND, OR or the end of the filter");
        node_free(root);
        root = NULL;
    }
    if (!root) return NULL;
    floe_expr *e = floe_xcalloc(1, sizeof *e);
    e->root = root;
    return e;
}

/* ---- binding ------------------------------------------------------------------ */

typedef struct binder {
    const floe_ice_schema *schema;
    floe_expr *out;
    floe_err *err;
} binder;

static int negate_op(int op) {
    switch (op) {
    case FLOE_OP_IS_NULL: return FLOE_OP_NOT_NULL;
    case FLOE_OP_NOT_NULL: return FLOE_OP_IS_NULL;
    case FLOE_OP_IS_NAN: return FLOE_OP_NOT_NAN;
    case FLOE_OP_NOT_NAN: return FLOE_OP_IS_NAN;
    case FLOE_OP_LT: return FLOE_OP_GT_EQ;
    case FLOE_OP_LT_EQ: return FLOE_OP_GT;
    case FLOE_OP_GT: return FLOE_OP_LT_EQ;
    case FLOE_OP_GT_EQ: return FLOE_OP_LT;
    case FLOE_OP_EQ: return FLOE_OP_NOT_EQ;
    case FLOE_OP_NOT_EQ: return FLOE_OP_EQ;
    case FLOE_OP_IN: return FLOE_OP_NOT_IN;
    default: return FLOE_OP_IN;
    }
}

static int slot_of(floe_expr *e, int32_t id) {
    for (int i = 0; i < e->nids; i++)
        if (e->ids[i] == id) return i;
    e->ids = floe_xrealloc(e->ids, sizeof *e->ids * (size_t)(e->nids + 1));
    e->ids[e->nids] = id;
    return e->nids++;
}

static int lit_error(binder *b, const floe_expr_node *n, const floe_expr_lit *l) {
    floe_buf tn;
    floe_buf_init(&tn);
    floe_ice_type_name(n->type, &tn);
    int len = l->len > 60 ? 60 : (int)l->len;
    floe_err_set(b->err, FLOE_EINVAL, "cannot compare %s column '%s' with '%.*s'", floe_buf_cstr(&tn), n->column, len,
                 l->text);
    floe_buf_free(&tn);
    return -1;
}

/* Parses a whole decimal integer; *range is +1/-1 when it overflows a long. */
static int parse_long(const char *s, size_t n, int64_t *v, int *range) {
    size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == n) return -1;
    for (size_t k = i; k < n; k++)
        if (!is_digit(s[k])) return -1;
    char buf[64];
    if (n >= sizeof buf) {
        *range = s[0] == '-' ? -1 : 1;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    long long x = strtoll(buf, NULL, 10);
    if (errno == ERANGE) *range = x < 0 ? -1 : 1;
    *v = x;
    return 0;
}

static int parse_double(const char *s, size_t n, double *v) {
    if (n == 0 || n > 400) return -1;
    char buf[401];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    *v = strtod(buf, &end);
    return *end == '\0' && !(buf[0] == ' ' || buf[0] == '\t') ? 0 : -1;
}

/* Converts literal l to the type of predicate n: 0 with *out (bytes owned),
 * *range +1/-1 when the value lies above/below every value of the type. */
static int convert_lit(binder *b, const floe_expr_node *n, const floe_expr_lit *l, floe_ice_datum *out, int *range) {
    const floe_ice_type *t = n->type;
    memset(out, 0, sizeof *out);
    *range = 0;
    int str = l->kind == FLOE_LIT_STRING, num = l->kind == FLOE_LIT_INTEGER || l->kind == FLOE_LIT_DECIMAL;
    int unit = t->kind == FLOE_ICE_TIMESTAMP_NS || t->kind == FLOE_ICE_TIMESTAMPTZ_NS ? FLOE_UNIT_NANOS : FLOE_UNIT_MICROS;
    switch (t->kind) {
    case FLOE_ICE_BOOLEAN:
        if (l->kind == FLOE_LIT_BOOLEAN || (str && (strcasecmp(l->text, "true") == 0 || strcasecmp(l->text, "false") == 0))) {
            out->i = strcasecmp(l->text, "true") == 0;
            return 0;
        }
        break;
    case FLOE_ICE_INT:
    case FLOE_ICE_LONG:
        if ((l->kind == FLOE_LIT_INTEGER || str) && parse_long(l->text, l->len, &out->i, range) == 0) {
            if (t->kind == FLOE_ICE_INT && !*range && (out->i > INT32_MAX || out->i < INT32_MIN))
                *range = out->i > 0 ? 1 : -1;
            return 0;
        }
        break;
    case FLOE_ICE_FLOAT:
    case FLOE_ICE_DOUBLE:
        if ((num || str) && parse_double(l->text, l->len, &out->d) == 0) {
            if (t->kind == FLOE_ICE_FLOAT && isfinite(out->d)) {
                /* Compared as a float, as Java narrows the literal. */
                if (out->d > FLT_MAX) *range = 1;
                else if (out->d < -FLT_MAX) *range = -1;
                else out->d = (float)out->d;
            }
            return 0;
        }
        break;
    case FLOE_ICE_DECIMAL: {
        uint8_t be[16];
        if ((num || str) && floe_parse_decimal(l->text, l->len, t->precision, t->scale, be) == 0) {
            out->p = be;
            out->n = 16;
            own_bytes(out);
            return 0;
        }
        break;
    }
    case FLOE_ICE_DATE: {
        int32_t days;
        if (str && floe_parse_date(l->text, l->len, &days) == 0) {
            out->i = days;
            return 0;
        }
        if (l->kind == FLOE_LIT_INTEGER && parse_long(l->text, l->len, &out->i, range) == 0 && !*range &&
            out->i <= INT32_MAX && out->i >= INT32_MIN)
            return 0;
        break;
    }
    case FLOE_ICE_TIME:
        if (str && floe_parse_time(l->text, l->len, FLOE_UNIT_MICROS, &out->i) == 0) return 0;
        if (l->kind == FLOE_LIT_INTEGER && parse_long(l->text, l->len, &out->i, range) == 0 && !*range) return 0;
        break;
    case FLOE_ICE_TIMESTAMP:
    case FLOE_ICE_TIMESTAMPTZ:
    case FLOE_ICE_TIMESTAMP_NS:
    case FLOE_ICE_TIMESTAMPTZ_NS:
        if (str && floe_parse_timestamp(l->text, l->len, unit, &out->i) == 0) return 0;
        if (l->kind == FLOE_LIT_INTEGER && parse_long(l->text, l->len, &out->i, range) == 0 && !*range) return 0;
        break;
    case FLOE_ICE_STRING:
    case FLOE_ICE_BINARY:
        if (str) {
            out->p = (const uint8_t *)l->text;
            out->n = l->len;
            own_bytes(out);
            return 0;
        }
        break;
    case FLOE_ICE_FIXED:
        if (str && l->len == (size_t)t->length) {
            out->p = (const uint8_t *)l->text;
            out->n = l->len;
            own_bytes(out);
            return 0;
        }
        break;
    case FLOE_ICE_UUID: {
        uint8_t u[16];
        if (str && floe_parse_uuid(l->text, l->len, u) == 0) {
            out->p = u;
            out->n = 16;
            own_bytes(out);
            return 0;
        }
        break;
    }
    default: break;
    }
    *range = 0;
    return lit_error(b, n, l);
}

/* The predicate that replaces a comparison with a value out of the type's
 * range: no value equals or lies beyond it, every non-null one lies before. */
static floe_expr_node *fold_range(floe_expr_node *n, int range, int never_null) {
    int op = n->op, toward; /* toward: 1 if the op holds for every value, 0 if for none */
    if (op == FLOE_OP_NOT_EQ || op == FLOE_OP_NOT_IN) toward = 1;
    else if (op == FLOE_OP_EQ || op == FLOE_OP_IN) toward = 0;
    else toward = (op == FLOE_OP_LT || op == FLOE_OP_LT_EQ) == (range > 0);
    if (!toward || never_null) {
        node_free(n);
        return node_new(toward ? FLOE_EXPR_TRUE : FLOE_EXPR_FALSE);
    }
    /* Null values still fail a comparison. */
    for (int i = 0; i < n->nvalues; i++) free((void *)n->values[i].p);
    n->nvalues = 0;
    n->op = FLOE_OP_NOT_NULL;
    return n;
}

/* A folded predicate that is still one needs its slot. */
static floe_expr_node *folded(binder *b, floe_expr_node *n) {
    if (n->kind == FLOE_EXPR_PRED) n->slot = slot_of(b->out, n->field_id);
    return n;
}

static floe_expr_node *bind_pred(binder *b, const floe_expr_node *u, int negate) {
    const floe_ice_schema *s = b->schema;
    const floe_ice_field *f = floe_ice_schema_find(s, u->column, 0);
    if (!f) f = floe_ice_schema_find(s, u->column, 1);
    if (!f) {
        floe_err_set(b->err, FLOE_EINVAL, "unknown column '%s'", u->column);
        return NULL;
    }
    floe_buf path;
    floe_buf_init(&path);
    floe_ice_field_path(f, &path);
    floe_expr_node *n = node_new(FLOE_EXPR_PRED);
    n->column = floe_xstrdup(floe_buf_cstr(&path));
    floe_buf_free(&path);
    if (!floe_ice_type_is_primitive(f->type)) {
        floe_buf tn;
        floe_buf_init(&tn);
        floe_ice_type_name(f->type, &tn);
        floe_err_set(b->err, FLOE_EINVAL, "column '%s' is a %s: only primitive columns can be compared", n->column,
                     floe_buf_cstr(&tn));
        floe_buf_free(&tn);
        goto fail;
    }
    int never_null = f->required;
    for (const floe_ice_field *a = f->parent; a; a = a->parent) {
        if (a->type->kind != FLOE_ICE_STRUCT) {
            floe_err_set(b->err, FLOE_EINVAL, "column '%s' is inside a %s: rows cannot be filtered on it", n->column,
                         a->type->kind == FLOE_ICE_LIST ? "list" : "map");
            goto fail;
        }
        never_null &= a->required;
    }
    n->field_id = f->id;
    n->type = type_copy(f->type);
    n->op = negate ? negate_op(u->op) : u->op;

    if (n->op == FLOE_OP_IS_NAN || n->op == FLOE_OP_NOT_NAN) {
        if (!is_float(n->type)) {
            floe_err_set(b->err, FLOE_EINVAL, "IS NAN needs a float or double column, and '%s' is not one", n->column);
            goto fail;
        }
    } else if (n->op != FLOE_OP_IS_NULL && n->op != FLOE_OP_NOT_NULL) {
        n->values = floe_xcalloc((size_t)u->nlits, sizeof *n->values);
        int out_of_range = 0;
        for (int i = 0; i < u->nlits; i++) {
            int range;
            floe_ice_datum *v = &n->values[n->nvalues];
            if (convert_lit(b, n, &u->lits[i], v, &range)) goto fail;
            if (is_float(n->type) && isnan(v->d)) {
                if (n->op != FLOE_OP_EQ && n->op != FLOE_OP_NOT_EQ) {
                    floe_err_set(b->err, FLOE_EINVAL, "column '%s' cannot be %s NaN: use IS NAN or IS NOT NAN",
                                 n->column, n->op == FLOE_OP_IN || n->op == FLOE_OP_NOT_IN ? "matched in a list with"
                                                                                            : "ordered against");
                    goto fail;
                }
                n->op = n->op == FLOE_OP_EQ ? FLOE_OP_IS_NAN : FLOE_OP_NOT_NAN;
                break;
            }
            if (range) {
                /* IN lists drop values no row can have; a comparison folds. */
                free((void *)v->p);
                if (n->op != FLOE_OP_IN && n->op != FLOE_OP_NOT_IN) {
                    out_of_range = range;
                    break;
                }
                continue;
            }
            n->nvalues++;
        }
        if (out_of_range) return folded(b, fold_range(n, out_of_range, never_null));
        if (n->op == FLOE_OP_IS_NAN || n->op == FLOE_OP_NOT_NAN) {
            for (int i = 0; i < n->nvalues; i++) free((void *)n->values[i].p);
            n->nvalues = 0;
        }
        if (n->op == FLOE_OP_IN || n->op == FLOE_OP_NOT_IN) {
            sort_values(n);
            if (n->nvalues == 0) return folded(b, fold_range(n, 1, never_null));
            if (n->nvalues == 1) n->op = n->op == FLOE_OP_IN ? FLOE_OP_EQ : FLOE_OP_NOT_EQ;
        }
    }
    if (never_null && (n->op == FLOE_OP_IS_NULL || n->op == FLOE_OP_NOT_NULL)) {
        int t = n->op == FLOE_OP_NOT_NULL;
        node_free(n);
        return node_new(t ? FLOE_EXPR_TRUE : FLOE_EXPR_FALSE);
    }
    n->slot = slot_of(b->out, n->field_id);
    return n;
fail:
    node_free(n);
    return NULL;
}

static floe_expr_node *bind_node(binder *b, const floe_expr_node *u, int negate) {
    switch (u->kind) {
    case FLOE_EXPR_TRUE:
    case FLOE_EXPR_FALSE: return node_new((u->kind == FLOE_EXPR_TRUE) != negate ? FLOE_EXPR_TRUE : FLOE_EXPR_FALSE);
    case FLOE_EXPR_NOT: return bind_node(b, u->left, !negate);
    case FLOE_EXPR_AND:
    case FLOE_EXPR_OR: {
        floe_expr_node *l = bind_node(b, u->left, negate);
        if (!l) return NULL;
        floe_expr_node *r = bind_node(b, u->right, negate);
        if (!r) {
            node_free(l);
            return NULL;
        }
        return make_bin((u->kind == FLOE_EXPR_AND) != negate ? FLOE_EXPR_AND : FLOE_EXPR_OR, l, r);
    }
    default: return bind_pred(b, u, negate);
    }
}

floe_expr *floe_expr_bind(const floe_expr *e, const floe_ice_schema *schema, floe_err *err) {
    floe_expr *out = floe_xcalloc(1, sizeof *out);
    binder b = {schema, out, err};
    out->root = bind_node(&b, e->root, 0);
    if (!out->root) {
        floe_expr_free(out);
        return NULL;
    }
    return out;
}

/* ---- rows ----------------------------------------------------------------------- */

static int eval_pred(const floe_expr_node *n, const floe_ice_datum *v) {
    switch (n->op) {
    case FLOE_OP_IS_NULL: return v->is_null;
    case FLOE_OP_NOT_NULL: return !v->is_null;
    case FLOE_OP_IS_NAN: return !v->is_null && isnan(v->d);
    case FLOE_OP_NOT_NAN: return v->is_null || !isnan(v->d);
    default: break;
    }
    if (v->is_null) return 0;
    if (is_float(n->type) && isnan(v->d)) return n->op == FLOE_OP_NOT_EQ || n->op == FLOE_OP_NOT_IN;
    if (n->op == FLOE_OP_IN) return contains_value(n, v);
    if (n->op == FLOE_OP_NOT_IN) return !contains_value(n, v);
    int c = cmp_values(n->type, v, &n->values[0]);
    switch (n->op) {
    case FLOE_OP_LT: return c < 0;
    case FLOE_OP_LT_EQ: return c <= 0;
    case FLOE_OP_GT: return c > 0;
    case FLOE_OP_GT_EQ: return c >= 0;
    case FLOE_OP_EQ: return c == 0;
    default: return c != 0;
    }
}

/* Walks AND, OR and constants, asking fn about each predicate. */
typedef int (*pred_fn)(const floe_expr_node *n, const void *ctx);

static int eval_tree(const floe_expr_node *n, pred_fn fn, const void *ctx) {
    switch (n->kind) {
    case FLOE_EXPR_TRUE: return 1;
    case FLOE_EXPR_FALSE: return 0;
    case FLOE_EXPR_AND: return eval_tree(n->left, fn, ctx) && eval_tree(n->right, fn, ctx);
    case FLOE_EXPR_OR: return eval_tree(n->left, fn, ctx) || eval_tree(n->right, fn, ctx);
    case FLOE_EXPR_NOT: return !eval_tree(n->left, fn, ctx); /* only in unbound trees */
    default: return fn(n, ctx);
    }
}

static int row_pred(const floe_expr_node *n, const void *values) {
    return eval_pred(n, &((const floe_ice_datum *)values)[n->slot]);
}

int floe_expr_eval(const floe_expr *e, const floe_ice_datum *values) { return eval_tree(e->root, row_pred, values); }

/* ---- inclusive projection ---------------------------------------------------------- */

/* v moved by delta (+1/-1) in the unit of its type: out of the type's range
 * (-1) means no projection. */
static int step(const floe_ice_type *t, const floe_ice_datum *v, int delta, floe_ice_datum *out, uint8_t buf[16]) {
    *out = *v;
    if (t->kind == FLOE_ICE_DECIMAL) {
        /* Sign-extend to 16 bytes and add in two's complement. */
        if (v->n == 0 || v->n > 16) return -1;
        memset(buf, (v->p[0] & 0x80) ? 0xFF : 0x00, 16);
        memcpy(buf + 16 - v->n, v->p, v->n);
        int neg_before = buf[0] >> 7;
        for (int i = 15; i >= 0; i--) {
            uint8_t before = buf[i];
            buf[i] = (uint8_t)(before + delta);
            if ((delta > 0 && before != 0xFF) || (delta < 0 && before != 0x00)) break;
        }
        if (delta > 0 && !neg_before && (buf[0] >> 7)) return -1; /* wrapped past the largest value */
        if (delta < 0 && neg_before && !(buf[0] >> 7)) return -1;
        out->p = buf;
        out->n = 16;
        return 0;
    }
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (t->kind == FLOE_ICE_INT || t->kind == FLOE_ICE_DATE) lo = INT32_MIN, hi = INT32_MAX;
    if ((delta > 0 && v->i >= hi) || (delta < 0 && v->i <= lo)) return -1;
    out->i = v->i + delta;
    return 0;
}

static floe_expr_node *proj_pred(const floe_ice_partition_field *pf, int slot, int op, const floe_ice_type *rt) {
    floe_expr_node *p = node_new(FLOE_EXPR_PRED);
    p->op = op;
    p->column = floe_xstrdup(pf->name);
    p->field_id = pf->field_id;
    p->slot = slot;
    p->type = type_copy(rt);
    return p;
}

static void proj_add(floe_expr_node *p, const floe_ice_partition_field *pf, const floe_ice_type *src,
                     const floe_ice_datum *v) {
    p->values = floe_xrealloc(p->values, sizeof *p->values * (size_t)(p->nvalues + 1));
    floe_ice_datum *out = &p->values[p->nvalues++];
    floe_ice_transform_apply(&pf->transform, src, v, out);
    own_bytes(out);
}

static int is_time_transform(int k) {
    return k == FLOE_XF_YEAR || k == FLOE_XF_MONTH || k == FLOE_XF_DAY || k == FLOE_XF_HOUR;
}

/* ProjectionUtil.fixInclusiveTimeProjection: files written before Iceberg
 * 0.11 hold time partition values one too high for instants before 1970,
 * so negative boundaries also admit the value one above. */
static void fix_time_projection(floe_expr_node *p) {
    if (p->op == FLOE_OP_LT_EQ || p->op == FLOE_OP_LT) {
        if (p->values[0].i < 0) p->values[0].i++;
        return;
    }
    if (p->op != FLOE_OP_EQ && p->op != FLOE_OP_IN) return;
    int n = p->nvalues;
    for (int i = 0; i < n; i++) {
        if (p->values[i].i >= 0) continue;
        p->values = floe_xrealloc(p->values, sizeof *p->values * (size_t)(p->nvalues + 1));
        p->values[p->nvalues] = p->values[i];
        p->values[p->nvalues++].i++;
    }
    if (p->nvalues > 1) {
        p->op = FLOE_OP_IN;
        sort_values(p);
    }
}

/* The projection of predicate n through partition field pf (slot), or NULL
 * when the transform cannot express it. */
static floe_expr_node *project_pred(const floe_expr_node *n, const floe_ice_partition_field *pf, int slot) {
    const floe_ice_transform *t = &pf->transform;
    if (t->kind == FLOE_XF_VOID) return NULL;
    floe_err err = {0};
    floe_ice_type *rt = floe_ice_transform_result_type(t, n->type, &err);
    if (!rt) return NULL;
    floe_expr_node *p = NULL;
    int op = n->op;
    int unary = op == FLOE_OP_IS_NULL || op == FLOE_OP_NOT_NULL || op == FLOE_OP_IS_NAN || op == FLOE_OP_NOT_NAN;
    if (unary) {
        p = proj_pred(pf, slot, op, rt);
    } else if (t->kind == FLOE_XF_IDENTITY) {
        p = proj_pred(pf, slot, op, rt);
        for (int i = 0; i < n->nvalues; i++) proj_add(p, pf, n->type, &n->values[i]);
    } else if (op == FLOE_OP_IN) {
        /* Bucket, truncate and time transforms all map IN to IN. */
        p = proj_pred(pf, slot, op, rt);
        for (int i = 0; i < n->nvalues; i++) proj_add(p, pf, n->type, &n->values[i]);
        sort_values(p);
        if (p->nvalues == 1) p->op = FLOE_OP_EQ;
    } else if (op == FLOE_OP_EQ) {
        p = proj_pred(pf, slot, op, rt);
        proj_add(p, pf, n->type, &n->values[0]);
    } else if (t->kind != FLOE_XF_BUCKET && op != FLOE_OP_NOT_EQ && op != FLOE_OP_NOT_IN) {
        /* Truncate and time transforms preserve order: < v holds only
         * where f(x) <= f(v - 1) for integers (f(v) for strings). */
        int k = n->type->kind;
        int discrete = k != FLOE_ICE_STRING && k != FLOE_ICE_BINARY;
        floe_ice_datum b = n->values[0];
        uint8_t buf[16];
        int strict = op == FLOE_OP_LT || op == FLOE_OP_GT;
        if (!discrete || !strict || step(n->type, &n->values[0], op == FLOE_OP_LT ? -1 : 1, &b, buf) == 0) {
            p = proj_pred(pf, slot, op == FLOE_OP_LT || op == FLOE_OP_LT_EQ ? FLOE_OP_LT_EQ : FLOE_OP_GT_EQ, rt);
            proj_add(p, pf, n->type, &b);
        }
    }
    if (p && is_time_transform(t->kind) && !(t->kind == FLOE_XF_DAY && n->type->kind == FLOE_ICE_DATE))
        fix_time_projection(p);
    floe_ice_type_free(rt);
    return p;
}

static floe_expr_node *project_node(const floe_expr_node *n, const floe_ice_partition_spec *spec) {
    switch (n->kind) {
    case FLOE_EXPR_TRUE:
    case FLOE_EXPR_FALSE: return node_new(n->kind);
    case FLOE_EXPR_AND:
    case FLOE_EXPR_OR: return make_bin(n->kind, project_node(n->left, spec), project_node(n->right, spec));
    case FLOE_EXPR_NOT: return node_new(FLOE_EXPR_TRUE); /* bound expressions have none */
    default: break;
    }
    /* Every partition field of the column narrows the partitions. */
    floe_expr_node *r = node_new(FLOE_EXPR_TRUE);
    for (int i = 0; i < spec->nfields; i++) {
        if (spec->fields[i].source_id != n->field_id) continue;
        floe_expr_node *p = project_pred(n, &spec->fields[i], i);
        if (p) r = make_bin(FLOE_EXPR_AND, r, p);
    }
    return r;
}

floe_expr *floe_expr_project(const floe_expr *bound, const floe_ice_partition_spec *spec) {
    floe_expr *out = floe_xcalloc(1, sizeof *out);
    out->root = project_node(bound->root, spec);
    return out;
}

/* ---- manifest summaries -------------------------------------------------------------- */

/* Decodes an optional bound; 0 = absent, 1 = present, -1 = unreadable. */
static int decode_bound(const floe_ice_type *t, const uint8_t *p, size_t n, int present, floe_ice_datum *out) {
    if (!present) return 0;
    floe_err err = {0};
    return floe_ice_value_from_bytes(t, p, n, out, &err) == 0 ? 1 : -1;
}

static int summary_all_null(const floe_ice_field_summary *s, int has_lower, const floe_ice_type *t) {
    int all = s->contains_null && !has_lower;
    if (all && is_float(t)) all = s->has_contains_nan && !s->contains_nan;
    return all;
}

static int eval_summary_pred(const floe_expr_node *n, const floe_ice_field_summary *s) {
    floe_ice_datum lo, hi;
    int hl = decode_bound(n->type, s->lower, s->nlower, s->lower != NULL, &lo);
    int hh = decode_bound(n->type, s->upper, s->nupper, s->upper != NULL, &hi);
    if (hl < 0 || hh < 0) return 1;
    const floe_ice_datum *lit = n->nvalues ? &n->values[0] : NULL;
    switch (n->op) {
    case FLOE_OP_IS_NULL: return s->contains_null;
    case FLOE_OP_NOT_NULL: return !summary_all_null(s, hl, n->type);
    case FLOE_OP_IS_NAN:
        if (s->has_contains_nan && !s->contains_nan) return 0;
        return !summary_all_null(s, hl, n->type);
    case FLOE_OP_NOT_NAN: return !(s->has_contains_nan && s->contains_nan && !s->contains_null && !hl);
    case FLOE_OP_LT: return hl && cmp_values(n->type, &lo, lit) < 0;
    case FLOE_OP_LT_EQ: return hl && cmp_values(n->type, &lo, lit) <= 0;
    case FLOE_OP_GT: return hh && cmp_values(n->type, &hi, lit) > 0;
    case FLOE_OP_GT_EQ: return hh && cmp_values(n->type, &hi, lit) >= 0;
    case FLOE_OP_EQ:
        if (!hl || cmp_values(n->type, &lo, lit) > 0) return 0;
        return !hh || cmp_values(n->type, &hi, lit) >= 0;
    case FLOE_OP_IN:
        if (!hl) return 0;
        if (n->nvalues > IN_PREDICATE_LIMIT) return 1;
        for (int i = 0; i < n->nvalues; i++)
            if (cmp_values(n->type, &lo, &n->values[i]) <= 0 && (!hh || cmp_values(n->type, &hi, &n->values[i]) >= 0))
                return 1;
        return 0;
    default: {
        /* NOT_EQ, NOT_IN: only a partition field holding one value, no
         * null and no NaN, can be excluded. */
        if (s->contains_null || !hl || !hh) return 1;
        if (is_float(n->type) && (!s->has_contains_nan || s->contains_nan)) return 1;
        if (cmp_values(n->type, &lo, &hi) != 0) return 1;
        return n->op == FLOE_OP_NOT_EQ ? cmp_values(n->type, &lo, lit) != 0 : !contains_value(n, &lo);
    }
    }
}

typedef struct summaries {
    const floe_ice_field_summary *s;
    int n;
} summaries;

static int summary_pred(const floe_expr_node *n, const void *ctx) {
    const summaries *ss = ctx;
    return n->slot >= ss->n || eval_summary_pred(n, &ss->s[n->slot]);
}

int floe_expr_eval_summaries(const floe_expr *proj, const floe_ice_field_summary *s, int n) {
    /* Fields without a summary (v1 lists may have none) say nothing. */
    summaries ss = {s, n};
    return eval_tree(proj->root, summary_pred, &ss);
}

/* ---- file metrics ----------------------------------------------------------------------- */

static const int64_t *metric(const floe_ice_metric *m, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (m[i].field_id == id) return &m[i].value;
    return NULL;
}

static const floe_ice_bound *bound_of(const floe_ice_bound *b, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (b[i].field_id == id) return &b[i];
    return NULL;
}

typedef struct file_stats {
    const int64_t *values, *nulls, *nans;
    int hl, hh;
    floe_ice_datum lo, hi;
} file_stats;

static void stats_for(const floe_expr_node *n, const floe_ice_data_file *f, file_stats *st) {
    int32_t id = n->field_id;
    st->values = metric(f->value_counts, f->nvalue_counts, id);
    st->nulls = metric(f->null_value_counts, f->nnull_value_counts, id);
    st->nans = metric(f->nan_value_counts, f->nnan_value_counts, id);
    const floe_ice_bound *l = bound_of(f->lower_bounds, f->nlower_bounds, id);
    const floe_ice_bound *u = bound_of(f->upper_bounds, f->nupper_bounds, id);
    /* An unreadable bound is no bound. */
    st->hl = decode_bound(n->type, l ? l->p : NULL, l ? l->n : 0, l != NULL, &st->lo) > 0;
    st->hh = decode_bound(n->type, u ? u->p : NULL, u ? u->n : 0, u != NULL, &st->hi) > 0;
    /* A NaN lower bound comes from writers that let NaN into bounds: it
     * bounds nothing.  A NaN upper bound is above every literal anyway. */
    if (st->hl && is_float(n->type) && isnan(st->lo.d)) st->hl = 0;
}

static int may_contain_null(const file_stats *s) { return !s->nulls || *s->nulls != 0; }
static int nulls_only(const file_stats *s) { return s->values && s->nulls && *s->values - *s->nulls == 0; }
static int may_contain_nan(const file_stats *s) { return !s->nans || *s->nans != 0; }
static int nans_only(const file_stats *s) { return s->nans && s->values && *s->nans == *s->values; }

/* The one value every row of the file holds, when the metrics prove it. */
static const floe_ice_datum *unique_value(const floe_expr_node *n, const file_stats *s) {
    if (may_contain_null(s) || !s->hl || !s->hh) return NULL;
    if (is_float(n->type) && (isnan(s->hi.d) || may_contain_nan(s))) return NULL;
    return cmp_values(n->type, &s->lo, &s->hi) == 0 ? &s->lo : NULL;
}

static int eval_metrics_pred(const floe_expr_node *n, const void *file) {
    const floe_ice_data_file *f = file;
    file_stats s;
    stats_for(n, f, &s);
    const floe_ice_datum *lit = n->nvalues ? &n->values[0] : NULL, *u;
    switch (n->op) {
    case FLOE_OP_IS_NULL: return may_contain_null(&s);
    case FLOE_OP_NOT_NULL: return !nulls_only(&s);
    case FLOE_OP_IS_NAN: return !nulls_only(&s) && may_contain_nan(&s);
    case FLOE_OP_NOT_NAN: return !nans_only(&s);
    case FLOE_OP_NOT_EQ: return !(u = unique_value(n, &s)) || cmp_values(n->type, u, lit) != 0;
    case FLOE_OP_NOT_IN: return !(u = unique_value(n, &s)) || !contains_value(n, u);
    default: break;
    }
    if (nulls_only(&s) || nans_only(&s)) return 0;
    switch (n->op) {
    case FLOE_OP_LT: return !s.hl || cmp_values(n->type, &s.lo, lit) < 0;
    case FLOE_OP_LT_EQ: return !s.hl || cmp_values(n->type, &s.lo, lit) <= 0;
    case FLOE_OP_GT: return !s.hh || cmp_values(n->type, &s.hi, lit) > 0;
    case FLOE_OP_GT_EQ: return !s.hh || cmp_values(n->type, &s.hi, lit) >= 0;
    case FLOE_OP_EQ:
        if (s.hl && cmp_values(n->type, &s.lo, lit) > 0) return 0;
        return !s.hh || cmp_values(n->type, &s.hi, lit) >= 0;
    default: /* IN */
        if (n->nvalues > IN_PREDICATE_LIMIT || !s.hl) return 1;
        for (int i = 0; i < n->nvalues; i++)
            if (cmp_values(n->type, &s.lo, &n->values[i]) <= 0 &&
                (!s.hh || cmp_values(n->type, &s.hi, &n->values[i]) >= 0))
                return 1;
        return 0;
    }
}

int floe_expr_eval_metrics(const floe_expr *e, const floe_ice_data_file *f) {
    if (f->record_count == 0) return 0;
    if (f->record_count < 0) return 1; /* imported files with no count */
    return eval_tree(e->root, eval_metrics_pred, f);
}

/* ---- text ------------------------------------------------------------------------------ */

static const char *op_text(int op) {
    static const char *const names[] = {"IS NULL", "IS NOT NULL", "IS NAN", "IS NOT NAN", "<",      "<=",
                                        ">",       ">=",          "=",      "!=",         "IN",     "NOT IN"};
    return names[op];
}

static void put_quoted(const char *s, size_t n, floe_buf *out) {
    floe_buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'') floe_buf_putc(out, '\'');
        floe_buf_putc(out, (uint8_t)s[i]);
    }
    floe_buf_putc(out, '\'');
}

static void put_value(const floe_expr_node *n, int i, floe_buf *out) {
    if (!n->type) {
        const floe_expr_lit *l = &n->lits[i];
        if (l->kind == FLOE_LIT_STRING) put_quoted(l->text, l->len, out);
        else floe_buf_append(out, l->text, l->len);
        return;
    }
    int k = n->type->kind;
    if (k == FLOE_ICE_STRING) {
        put_quoted((const char *)n->values[i].p, n->values[i].n, out);
        return;
    }
    floe_buf v;
    floe_buf_init(&v);
    floe_ice_value_to_string(n->type, &n->values[i], &v);
    int numeric = k == FLOE_ICE_INT || k == FLOE_ICE_LONG || k == FLOE_ICE_FLOAT || k == FLOE_ICE_DOUBLE ||
                  k == FLOE_ICE_DECIMAL || k == FLOE_ICE_BOOLEAN;
    if (numeric) floe_buf_append(out, v.data, v.len);
    else put_quoted((const char *)v.data, v.len, out);
    floe_buf_free(&v);
}

static void node_text(const floe_expr_node *n, floe_buf *out) {
    switch (n->kind) {
    case FLOE_EXPR_TRUE: floe_buf_puts(out, "true"); return;
    case FLOE_EXPR_FALSE: floe_buf_puts(out, "false"); return;
    case FLOE_EXPR_NOT:
        floe_buf_puts(out, "NOT ");
        node_text(n->left, out);
        return;
    case FLOE_EXPR_AND:
    case FLOE_EXPR_OR:
        floe_buf_putc(out, '(');
        node_text(n->left, out);
        floe_buf_puts(out, n->kind == FLOE_EXPR_AND ? " AND " : " OR ");
        node_text(n->right, out);
        floe_buf_putc(out, ')');
        return;
    default: break;
    }
    floe_buf_printf(out, "%s %s", n->column, op_text(n->op));
    int nv = n->type ? n->nvalues : n->nlits;
    if (n->op == FLOE_OP_IN || n->op == FLOE_OP_NOT_IN) {
        floe_buf_puts(out, " (");
        for (int i = 0; i < nv; i++) {
            if (i) floe_buf_puts(out, ", ");
            put_value(n, i, out);
        }
        floe_buf_putc(out, ')');
    } else if (nv) {
        floe_buf_putc(out, ' ');
        put_value(n, 0, out);
    }
}

void floe_expr_to_string(const floe_expr *e, floe_buf *out) { node_text(e->root, out); }
