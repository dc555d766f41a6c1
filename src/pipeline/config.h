/*
 * config.h — the configuration of `floe run`: the Apache Iceberg Kafka
 * Connect sink's configuration, unchanged (connector JSON, a bare JSON map
 * of keys, or a Java .properties file), plus floe's own `floe.*` keys.
 *
 * Every key is described once, in the key table of config.c (name or
 * pattern, type, default, allowed values, documentation, where its value
 * goes).  That table drives parsing and validation, `floe run
 * --print-config` (floe_config_print) and the key reference in
 * docs/config.md (floe_config_docs; a unit test keeps the two in sync).
 *
 * Loading never prints: an unknown key, or a key floe accepts but does not
 * honour in the way Kafka Connect would, becomes a warning string for the
 * caller to log (floe_config_warnings); an invalid value is a FLOE_EINVAL
 * error naming the key, the value and what is allowed, and nothing is
 * returned.
 *
 * The struct below is the resolved configuration: defaults applied,
 * cross-key rules checked, the catalog mapped onto floe's catalog URI and
 * warehouse, and the Kafka consumer settings merged into one property map
 * for librdkafka.
 */
#ifndef FLOE_PIPELINE_CONFIG_H
#define FLOE_PIPELINE_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/props.h"

/* A list of strings (a comma-separated list value, items trimmed). */
typedef struct floe_strlist {
    char **v;
    int n;
} floe_strlist;

/* A regular expression from the configuration.  `text` is the pattern as
 * written (Java syntax, as the connector reads it); `re` is its POSIX
 * extended translation, anchored at both ends so that it matches the whole
 * string like Java's Matcher.matches() (docs/config.md, "Regular
 * expressions").  Unset when text is NULL. */
typedef struct floe_config_regex {
    char *text;
    regex_t re;
} floe_config_regex;

/* The settings of one destination table (`iceberg.table.<table>.*`, each
 * falling back to its `iceberg.tables.default-*` key). */
typedef struct floe_config_table {
    char *name;                    /* "db.events"; NULL in the defaults entry */
    int listed;                    /* named in iceberg.tables */
    floe_config_regex route_regex; /* matched against the route field's value */
    char *partition_by;            /* partition terms for floe_ice_spec_parse_terms; NULL = unpartitioned */
    floe_strlist id_columns;       /* identifier (primary key) columns */
    char *commit_branch;           /* NULL = main */
} floe_config_table;

/* Values of the enum keys, in the order of their allowed values in the key
 * table. */
enum { FLOE_TOLERANCE_NONE = 0, FLOE_TOLERANCE_ALL = 1 };   /* errors.tolerance */
enum { FLOE_LOG_PLAIN = 0, FLOE_LOG_JSON = 1 };             /* floe.log.format */
enum { FLOE_DLQ_TABLE = 0, FLOE_DLQ_DROP = 1 };             /* floe.dlq.mode */
enum { FLOE_CATALOG_TYPE_REST = 0, FLOE_CATALOG_TYPE_JDBC = 1 }; /* iceberg.catalog.type */

/* floe.kafka.metadata-columns, as a bit set. */
enum {
    FLOE_META_TOPIC = 1 << 0,
    FLOE_META_PARTITION = 1 << 1,
    FLOE_META_OFFSET = 1 << 2,
    FLOE_META_TIMESTAMP = 1 << 3,
    FLOE_META_KEY = 1 << 4,
    FLOE_META_HEADERS = 1 << 5
};

typedef struct floe_config {
    floe_props raw; /* every key as given, in the order given */

    /* ---- Kafka Connect connector keys ---- */
    char *name;                 /* the connector's name (default "floe") */
    char *value_converter;      /* NULL when not set */
    int value_schemas_enable;   /* values are {"schema":..,"payload":..} envelopes */
    int errors_tolerance;       /* FLOE_TOLERANCE_*: ALL = dead-letter bad records instead of stopping */
    int errors_log_enable;      /* log every dead-lettered record */
    int errors_log_include_messages; /* ... with its value */
    floe_strlist topics;        /* exactly one of topics and topics_regex is set */
    floe_config_regex topics_regex;

    /* ---- tables and routing ---- */
    floe_strlist table_names;   /* iceberg.tables, as given */
    int dynamic_enabled;        /* the route field's value names the table */
    char *route_field;          /* NULL when not set */
    int auto_create;
    int evolve_schema;
    int schema_force_optional;
    int schema_case_insensitive;
    floe_props auto_create_props; /* properties of auto-created tables */
    floe_props write_props;       /* writer properties (write.target-file-size-bytes, ...) */
    floe_config_table table_defaults; /* what a table without its own keys gets */
    floe_config_table *tables;    /* the listed tables, then others with iceberg.table.<t>.* keys */
    int ntables;

    /* ---- commits ---- */
    int64_t connect_commit_interval_ms; /* iceberg.control.commit.interval-ms */
    int64_t floe_commit_interval_ms;    /* floe.commit.interval-ms, -1 when not set */
    int64_t commit_interval_ms;         /* effective: floe's if set, else Connect's */
    int64_t commit_bytes;               /* 0 = no byte trigger */
    int64_t commit_records;             /* 0 = no record trigger */

    /* ---- catalog ---- */
    char *catalog_name;         /* iceberg.catalog (default "iceberg") */
    int catalog_type;           /* FLOE_CATALOG_TYPE_*, -1 when not set */
    char *catalog_impl;         /* iceberg.catalog.catalog-impl, NULL when not set */
    char *catalog_uri_given;    /* iceberg.catalog.uri, NULL when not set */
    char *warehouse_given;      /* iceberg.catalog.warehouse, NULL when not set */
    floe_props catalog_props;   /* every iceberg.catalog.* key, prefix stripped, plus catalog-name */
    char *catalog_uri;          /* resolved, for floe_catalog_open: sqlite:..., postgresql://..., http(s)://... */
    char *warehouse;            /* resolved; NULL only for a REST catalog without one */

    /* ---- Kafka consumer (librdkafka) ---- */
    char *bootstrap_servers;    /* bootstrap.servers (default localhost:9092) */
    char *connect_group_id;     /* iceberg.connect.group-id, NULL when not set */
    floe_props kafka_iceberg;   /* iceberg.kafka.*, prefix stripped */
    floe_props kafka_floe;      /* kafka.*, prefix stripped */
    floe_props kafka_override;  /* consumer.override.*, prefix stripped */
    floe_props kafka;           /* resolved librdkafka settings, with group.id and bootstrap.servers */

    /* ---- floe ---- */
    int64_t memory_budget;      /* bytes */
    int64_t record_max_bytes;   /* larger values are dead letters */
    int64_t max_open_files;     /* data files open per table at most */
    char *metrics_listen;       /* "host:port"; NULL = no metrics endpoint */
    int log_format;             /* FLOE_LOG_* */
    int dlq_mode;               /* FLOE_DLQ_* */
    floe_strlist metadata_column_names;
    unsigned metadata_columns;  /* FLOE_META_* */

    /* ---- background table maintenance (src/pipeline/maintain.c) ---- */
    int maintenance_enabled;
    int64_t maintenance_interval_ms;       /* between two passes over the tables */
    int64_t maintenance_max_bytes;         /* bytes one compaction reads at most */
    int64_t maintenance_clean_interval_ms; /* between two orphan cleanups of a table */

    char **warnings;
    int nwarnings;
} floe_config;

/* Reads a configuration file: JSON when its first non-blank character is
 * '{', a Java .properties file otherwise.  Messages start with the path. */
floe_config *floe_config_load(const char *path, floe_err *err);
/* The connector JSON ({"name": ..., "config": {...}}, also as returned by
 * Connect's GET /connectors/NAME) or a bare object of keys.  Values may be
 * strings, numbers or booleans; null means not set.  `origin` (may be NULL)
 * prefixes messages. */
floe_config *floe_config_parse_json(const char *text, size_t len, const char *origin, floe_err *err);
/* A .properties file, read as java.util.Properties.load reads one (UTF-8;
 * text that is not valid UTF-8 is read as ISO-8859-1, Java's encoding). */
floe_config *floe_config_parse_properties(const char *text, size_t len, const char *origin, floe_err *err);
/* Validates and resolves keys already split into a map. */
floe_config *floe_config_from_props(const floe_props *raw, const char *origin, floe_err *err);
void floe_config_free(floe_config *c);

/* The warnings of loading, for the caller to log. */
static inline const char *const *floe_config_warnings(const floe_config *c, int *n) {
    *n = c->nwarnings;
    return (const char *const *)c->warnings;
}

/* The settings for a table: its own entry, or the defaults entry when the
 * configuration says nothing about that table (dynamic routing). */
const floe_config_table *floe_config_table_get(const floe_config *c, const char *table);
/* 1 if the configured regex matches all of s; 0 if not or if it is unset. */
int floe_config_regex_match(const floe_config_regex *r, const char *s);
/* 1 if the consumer subscribes to `topic` (listed in topics, or matched by
 * topics.regex). */
int floe_config_topic_matches(const floe_config *c, const char *topic);

/* The effective configuration as a .properties text that loads back to the
 * same configuration: every known key with its value or default, in the
 * order of the key table, then the resolved catalog, Kafka settings and
 * tables as comments.  Secrets (passwords, tokens, credentials, keys, the
 * password of a URI) are printed as "****". */
void floe_config_print(const floe_config *c, floe_buf *out);
/* The key reference of docs/config.md (the text between its BEGIN/END
 * markers), generated from the key table. */
void floe_config_docs(floe_buf *out);

/* 1 if a key names a secret (its value is masked when printed). */
int floe_config_key_is_secret(const char *key);

#endif
