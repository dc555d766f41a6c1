/*
 * config.c — the configuration of `floe run` (see config.h): the key
 * table, the two file formats (connector JSON and Java .properties),
 * validation, resolution into floe_config, --print-config and the key
 * reference of docs/config.md.
 *
 * How it works: a file is first split into an ordered map of raw keys and
 * string values.  Then every fixed-name entry of the key table takes its
 * value (or its default) from that map and parses it by type into its
 * field of floe_config; prefix entries ("iceberg.catalog.*") collect their
 * keys into property maps; per-table entries
 * ("iceberg.table.<table>.partition-by") fill one floe_config_table per
 * table named.  A key no entry matches is a warning.  Last come the rules
 * that involve several keys, and the catalog and the Kafka consumer
 * settings are resolved.  Printing and the documentation walk the same
 * table, so a key is described in exactly one place.
 */
#include "pipeline/config.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "io/fileio.h"
#include "util/text.h"

/* A configuration file larger than this is a mistake (a data file given by
 * accident), not a configuration. */
#define MAX_CONFIG_BYTES (16u << 20)

/* ---- the key table ----------------------------------------------------------- */

typedef enum key_type {
    T_SECTION, /* not a key: a heading of the documentation and of --print-config */
    T_STRING,
    T_INT,      /* a Java int, as Kafka Connect's INT keys */
    T_LONG,
    T_BOOL,
    T_LIST,     /* comma-separated, items trimmed */
    T_DURATION, /* milliseconds, or a number with ms, s, m, h */
    T_BYTES,    /* bytes, or a number with k, m, g, t (powers of 1024) */
    T_ENUM,     /* one of `allowed` ("a|b"), any case */
    T_REGEX,    /* a Java regular expression, translated to POSIX (see regex_compile) */
    T_PROPS     /* "prefix.*": every key under the prefix, prefix removed */
} key_type;

enum {
    K_IGNORED = 1, /* accepted and validated; has no effect in floe (the doc says why) */
    K_WARN = 2,    /* accepted; a warning when set, as floe cannot do what it asks */
    K_TABLE = 4    /* "iceberg.table.<table>.x": the field is in floe_config_table */
};

/* Extra validation of a value (for a list, of each item); -1 with a
 * message naming the key. */
typedef int (*key_check)(const char *key, const char *value, floe_err *err);

typedef struct key_desc {
    const char *name;
    key_type type;
    unsigned flags;
    size_t dest;         /* 1 + offset of the field (in floe_config, or floe_config_table for K_TABLE); 0 = none */
    const char *def;     /* the default, in the key's own syntax; NULL = not set */
    const char *def_doc; /* the documented default when it is derived from other keys */
    const char *allowed; /* T_ENUM: the values, "a|b"; their order is the C enum's */
    int64_t min, max;    /* numeric range; max == 0: the type's range */
    key_check check;
    const char *doc;
} key_desc;

#define CFG(f) (offsetof(floe_config, f) + 1)
#define TBL(f) (offsetof(floe_config_table, f) + 1)
#define INT_RANGE(lo) .min = (lo), .max = INT32_MAX

static int check_connector_class(const char *key, const char *v, floe_err *err);
static int check_key_converter(const char *key, const char *v, floe_err *err);
static int check_value_converter(const char *key, const char *v, floe_err *err);
static int check_transform(const char *key, const char *v, floe_err *err);
static int check_topic(const char *key, const char *v, floe_err *err);
static int check_table_name(const char *key, const char *v, floe_err *err);
static int check_partition_terms(const char *key, const char *v, floe_err *err);
static int check_catalog_impl(const char *key, const char *v, floe_err *err);
static int check_listen(const char *key, const char *v, floe_err *err);
static int check_metadata_column(const char *key, const char *v, floe_err *err);

static const key_desc KEYS[] = {
    {.name = "Connector (Kafka Connect)", .type = T_SECTION,
     .doc = "The keys Kafka Connect itself reads from a connector's configuration."},
    {"name", T_STRING, 0, CFG(name), .def = "floe",
     .doc = "The connector's name. It names the consumer group (`connect-<name>`), as Kafka Connect names a sink's "
            "group. In the connector JSON it is the top-level `name`."},
    {"connector.class", T_STRING, 0, 0, .check = check_connector_class,
     .doc = "When set, it must be the Iceberg sink, `org.apache.iceberg.connect.IcebergSinkConnector` (or the earlier "
            "`io.tabular.iceberg.connect.IcebergSinkConnector`): the configuration of another connector is an "
            "error."},
    {"tasks.max", T_INT, K_IGNORED, 0, .def = "1", INT_RANGE(1),
     .doc = "floe runs one consumer per process; to spread partitions, run more processes with the same "
            "configuration (they form one consumer group)."},
    {"topics", T_LIST, 0, CFG(topics), .check = check_topic,
     .doc = "Source topics, comma-separated. Exactly one of `topics` and `topics.regex` must be set."},
    {"topics.regex", T_REGEX, 0, CFG(topics_regex),
     .doc = "Consume every topic whose whole name matches this regular expression (see *Regular expressions*)."},
    {"key.converter", T_STRING, K_IGNORED, 0, .check = check_key_converter,
     .doc = "floe keeps a record key's bytes as they are (the `key` metadata column). Allowed: "
            "`org.apache.kafka.connect.storage.StringConverter`, `org.apache.kafka.connect.json.JsonConverter`, "
            "`org.apache.kafka.connect.converters.ByteArrayConverter`; other converters (Avro, Protobuf, JSON "
            "Schema) are an error."},
    {"key.converter.*", T_PROPS, K_IGNORED, 0, .doc = "Settings of the key converter; floe does not convert keys."},
    {"value.converter", T_STRING, 0, CFG(value_converter), .check = check_value_converter,
     .doc = "When set, it must be `org.apache.kafka.connect.json.JsonConverter`: floe decodes JSON values. Avro, "
            "Protobuf and JSON Schema converters are an error."},
    {"value.converter.schemas.enable", T_BOOL, 0, CFG(value_schemas_enable),
     .def_doc = "`true` when `value.converter` is set (JsonConverter's default), else `false`",
     .doc = "Whether each value is a JsonConverter envelope `{\"schema\": ..., \"payload\": ...}`; floe then reads "
            "the record from `payload` and does not use the schema."},
    {"value.converter.*", T_PROPS, K_IGNORED, 0,
     .doc = "Other JsonConverter settings (`schemas.cache.size`, `decimal.format`, `replace.null.with.default`) do "
            "not apply to schemaless decoding."},
    {"header.converter", T_STRING, K_IGNORED, 0,
     .doc = "Headers are kept as bytes (the `headers` metadata column)."},
    {"header.converter.*", T_PROPS, K_IGNORED, 0, .doc = "Settings of the header converter."},
    {"transforms", T_LIST, 0, 0, .check = check_transform,
     .doc = "Single message transforms. floe runs none, so this must be empty; `floe.kafka.metadata-columns` does "
            "what `KafkaMetadataTransform` does."},
    {"transforms.*", T_PROPS, K_IGNORED, 0, .doc = "Settings of transforms, inert while `transforms` is empty."},
    {"predicates", T_LIST, K_IGNORED, 0, .doc = "Predicates only apply to transforms."},
    {"predicates.*", T_PROPS, K_IGNORED, 0, .doc = "Settings of predicates."},
    {"errors.tolerance", T_ENUM, 0, CFG(errors_tolerance), .def = "none", .allowed = "none|all",
     .doc = "*Accepted; floe behaves as with `all` either way.* A record that cannot be decoded or does not fit "
            "its table becomes a dead letter (see `floe.dlq.mode`) and the good records behind it keep flowing: "
            "floe never stops on one bad record, where the connector with `none` stops the whole task."},
    {"errors.log.enable", T_BOOL, 0, CFG(errors_log_enable), .def = "false",
     .doc = "Log one line for every dead letter (topic, partition, offset and reason)."},
    {"errors.log.include.messages", T_BOOL, 0, CFG(errors_log_include_messages), .def = "false",
     .doc = "Include the record's key and value in that line, each cut at 4 KiB, escaped as JSON strings are "
            "(the line stays one line; NUL bytes and invalid UTF-8 show as U+FFFD)."},
    {"errors.deadletterqueue.topic.name", T_STRING, K_WARN, 0,
     .doc = "floe does not produce dead letters to a Kafka topic: they go to the table `<table>__dlq` or are "
            "dropped, as `floe.dlq.mode` says."},
    {"errors.deadletterqueue.topic.replication.factor", T_INT, K_IGNORED, 0, .def = "3", .min = -1, .max = 32767,
     .doc = "floe creates no dead-letter topic."},
    {"errors.deadletterqueue.context.headers.enable", T_BOOL, K_IGNORED, 0, .def = "false",
     .doc = "floe creates no dead-letter topic; the dead-letter table records the error."},
    {"errors.retry.timeout", T_LONG, K_IGNORED, 0, .def = "0", .min = -1, .max = INT64_MAX,
     .doc = "Connect retries failed conversions and transforms; floe's decoding does not fail transiently."},
    {"errors.retry.delay.max.ms", T_LONG, K_IGNORED, 0, .def = "60000", .min = 1, .max = INT64_MAX,
     .doc = "As `errors.retry.timeout`."},
    {"consumer.override.*", T_PROPS, 0, CFG(kafka_override),
     .doc = "Kafka consumer settings for librdkafka, prefix removed; they take precedence over `iceberg.kafka.*` "
            "(see *Kafka consumer settings*)."},
    {"producer.override.*", T_PROPS, K_IGNORED, 0, .doc = "floe produces nothing to Kafka."},
    {"admin.override.*", T_PROPS, K_IGNORED, 0, .doc = "floe creates no topics."},
    {"config.action.reload", T_STRING, K_IGNORED, 0,
     .doc = "floe reads its configuration once, at start; restart it to apply a change."},
    {"tasks.max.enforce", T_BOOL, K_IGNORED, 0, .doc = "There are no tasks to count."},

    {.name = "Kafka consumer", .type = T_SECTION,
     .doc = "Where the records come from. Kafka Connect takes these from its worker's configuration; floe, "
            "which is its own worker, takes them here."},
    {"bootstrap.servers", T_STRING, 0, CFG(bootstrap_servers), .def = "localhost:9092",
     .doc = "Kafka brokers, `host:port,...`. `iceberg.kafka.bootstrap.servers` and "
            "`consumer.override.bootstrap.servers` take precedence."},
    {"iceberg.kafka.*", T_PROPS, 0, CFG(kafka_iceberg),
     .doc = "Kafka client settings (`security.protocol`, `sasl.*`, `ssl.*`, ...) for librdkafka, prefix removed. "
            "The connector gives these to its control-topic clients; floe has one consumer and gives them to it."},
    {"kafka.*", T_PROPS, 0, CFG(kafka_floe),
     .doc = "floe's shorter spelling of `iceberg.kafka.*`, applied after it."},
    {"iceberg.connect.group-id", T_STRING, 0, CFG(connect_group_id), .def_doc = "`connect-<name>`",
     .doc = "The consumer group. Each table's snapshots record the group's progress, so processes with the same "
            "group share it."},

    {.name = "Tables and routing", .type = T_SECTION, .doc = "Which records go to which Iceberg tables."},
    {"iceberg.tables", T_LIST, 0, CFG(table_names), .check = check_table_name,
     .doc = "Destination tables (`namespace.table`), comma-separated. Required unless "
            "`iceberg.tables.dynamic-enabled` is true, and not allowed with it. Every record goes to every listed "
            "table, unless `iceberg.tables.route-field` is set: then it goes to the tables whose `route-regex` "
            "matches its route field."},
    {"iceberg.tables.dynamic-enabled", T_BOOL, 0, CFG(dynamic_enabled), .def = "false",
     .doc = "Send each record to the table named by its `iceberg.tables.route-field` value."},
    {"iceberg.tables.route-field", T_STRING, 0, CFG(route_field),
     .doc = "The record field that routes it (a dotted path for a nested field)."},
    {"iceberg.table.<table>.route-regex", T_REGEX, K_TABLE, TBL(route_regex),
     .doc = "With listed tables and a route field: the table takes the records whose route field matches this "
            "regular expression as a whole."},
    {"iceberg.tables.default-partition-by", T_STRING, 0, CFG(table_defaults.partition_by),
     .check = check_partition_terms,
     .doc = "Partition spec of the tables floe creates: terms separated by commas, each a column (`id`) or a "
            "transform of one: `year(ts)`, `month(ts)`, `day(ts)`, `hour(ts)` (also `years`, `months`, `days`, "
            "`hours`), `bucket(id, 16)`, `truncate(name, 4)` (the number may also come first), `identity(c)`, "
            "`void(c)`. Columns and transforms are checked when a table is created."},
    {"iceberg.table.<table>.partition-by", T_STRING, K_TABLE, TBL(partition_by), .check = check_partition_terms,
     .doc = "The table's partition spec when floe creates it."},
    {"iceberg.tables.default-id-columns", T_LIST, 0, CFG(table_defaults.id_columns),
     .doc = "Identifier (primary key) columns, comma-separated; the identifier fields of tables floe creates."},
    {"iceberg.table.<table>.id-columns", T_LIST, K_TABLE, TBL(id_columns),
     .doc = "The table's identifier columns."},
    {"iceberg.tables.default-commit-branch", T_STRING, 0, CFG(table_defaults.commit_branch), .def_doc = "`main`",
     .doc = "The branch commits go to."},
    {"iceberg.table.<table>.commit-branch", T_STRING, K_TABLE, TBL(commit_branch),
     .doc = "The branch the table's commits go to."},
    {"iceberg.tables.auto-create-enabled", T_BOOL, 0, CFG(auto_create), .def = "false",
     .doc = "Create a destination table that does not exist, with a schema inferred from its first records and "
            "its partition spec."},
    {"iceberg.tables.auto-create-props.*", T_PROPS, 0, CFG(auto_create_props),
     .doc = "Table properties of the tables floe creates (`iceberg.tables.auto-create-props.format-version=2`)."},
    {"iceberg.tables.write-props.*", T_PROPS, 0, CFG(write_props),
     .doc = "Writer properties, taking precedence over the table's own (`write.target-file-size-bytes`, "
            "`write.parquet.compression-codec`, ...). Without `write.parquet.compression-level`, zstd compresses at "
            "level 1, not at zstd's (and Iceberg's) default 3: about twice as fast for files about 3% larger "
            "(bench/README.md)."},
    {"iceberg.tables.evolve-schema-enabled", T_BOOL, 0, CFG(evolve_schema), .def = "false",
     .doc = "Add columns for record fields a table does not have, at any depth (fields of structs, of structs in "
            "lists and map values): optional, typed as auto-create infers them, committed as a new schema before "
            "the record is written. A field whose value is null, `[]` or `{}` waits for a value that tells its "
            "type. Without it, fields a table lacks are skipped."},
    {"iceberg.tables.schema-force-optional", T_BOOL, 0, CFG(schema_force_optional), .def = "false",
     .doc = "Make every column optional when creating a table or adding columns. Schemaless JSON has no required "
            "fields, so the columns floe creates and adds are optional either way; identifier columns "
            "(`id-columns`) stay required, as the Iceberg spec wants."},
    {"iceberg.tables.schema-case-insensitive", T_BOOL, 0, CFG(schema_case_insensitive), .def = "false",
     .doc = "Match record fields to columns ignoring (ASCII) case: `\"ID\"` fills column `id`. An exact match "
            "wins; evolution adds no column for a field that differs from one only in case."},
    {"iceberg.tables.replace-null-with-default", T_BOOL, K_IGNORED, 0, .def = "true",
     .doc = "Schemaless JSON carries no field defaults, so a null stays null either way."},

    {.name = "Commits", .type = T_SECTION, .doc = "When each table gets a new snapshot."},
    {"iceberg.control.commit.interval-ms", T_INT, 0, CFG(connect_commit_interval_ms), .def = "300000", INT_RANGE(1),
     .doc = "How often each table is committed, in milliseconds. `floe.commit.interval-ms` overrides it."},
    {"iceberg.control.commit.timeout-ms", T_INT, K_IGNORED, 0, .def = "30000", INT_RANGE(1),
     .doc = "The connector's coordinator waits this long for its workers; floe has no coordinator: each process "
            "commits what it wrote."},
    {"iceberg.control.commit.threads", T_INT, K_IGNORED, 0, .def_doc = "cores × 2", INT_RANGE(1),
     .doc = "The connector's coordinator commits tables on this many threads. floe commits a cycle's tables in "
            "one catalog transaction when the catalog can, else one after another."},
    {"iceberg.control.commit.max-consecutive-failures", T_INT, K_IGNORED, 0, .def = "1", INT_RANGE(1),
     .doc = "floe does not stop on a failed commit: it retries (an unknown outcome is resolved first) and counts "
            "the failures in its metrics."},
    {"iceberg.control.topic", T_STRING, K_IGNORED, 0, .def = "control-iceberg",
     .doc = "floe keeps its commit state in the tables' snapshots, not in a control topic."},
    {"iceberg.control.group-id-prefix", T_STRING, K_IGNORED, 0, .def = "cg-control-",
     .doc = "There is no control topic to consume."},
    {"iceberg.coordinator.transactional.prefix", T_STRING, K_IGNORED, 0,
     .doc = "floe uses no Kafka transactions."},
    {"floe.commit.interval-ms", T_DURATION, 0, CFG(floe_commit_interval_ms), .min = 1, .max = INT64_MAX,
     .def_doc = "`iceberg.control.commit.interval-ms`",
     .doc = "The commit interval, overriding the Connect key: milliseconds, or a number followed by `ms`, `s`, "
            "`m` or `h` (`10s`)."},
    {"floe.commit.bytes", T_BYTES, 0, CFG(commit_bytes), .def = "0", .min = 0, .max = INT64_MAX,
     .doc = "Also commit as soon as this many bytes of record keys and values have been read since the last "
            "commit, all tables together: a commit then holds these bytes and less than one record more (`0`: no "
            "byte trigger). Bytes, or a number followed by `k`, `m`, `g` or `t`, optionally with `b` or `ib` (powers "
            "of 1024: `128MiB`)."},
    {"floe.commit.records", T_LONG, 0, CFG(commit_records), .def = "0", .min = 0, .max = INT64_MAX,
     .doc = "Also commit as soon as this many records have been read since the last commit, all tables together: "
            "a commit then holds exactly these records (`0`: no record trigger)."},

    {.name = "Catalog", .type = T_SECTION,
     .doc = "Where the tables are (see *Catalogs* for how these map onto floe's catalogs)."},
    {"iceberg.catalog", T_STRING, 0, CFG(catalog_name), .def = "iceberg",
     .doc = "The catalog's name (the JDBC catalog's `catalog_name` column). The embedded catalog (no "
            "`iceberg.catalog.type` or `uri`) uses `floe`, the name the floe command opens, unless this is set."},
    {"iceberg.catalog.type", T_ENUM, 0, CFG(catalog_type), .allowed = "rest|jdbc",
     .doc = "`rest`: an Iceberg REST catalog at `iceberg.catalog.uri`. `jdbc`: a SQLite or PostgreSQL database. "
            "When not set, the type follows from `iceberg.catalog.uri`; without a URI, floe uses its embedded "
            "SQLite catalog in the warehouse. Hive, Hadoop, Glue and Nessie catalogs are not supported."},
    {"iceberg.catalog.catalog-impl", T_STRING, 0, CFG(catalog_impl), .check = check_catalog_impl,
     .doc = "A catalog class: `org.apache.iceberg.rest.RESTCatalog` or `org.apache.iceberg.jdbc.JdbcCatalog`, "
            "the same as type `rest` or `jdbc`."},
    {"iceberg.catalog.uri", T_STRING, 0, CFG(catalog_uri_given),
     .doc = "REST: the service's `http(s)://` URL. JDBC: `jdbc:sqlite:PATH`, `jdbc:postgresql://HOST[:PORT]/DB`, "
            "or floe's own `sqlite:PATH` and `postgresql://...`."},
    {"iceberg.catalog.warehouse", T_STRING, 0, CFG(warehouse_given), .def_doc = "`./warehouse` (none for REST)",
     .doc = "The directory (or `file://` URI) new tables' files go under; for REST, the warehouse name the "
            "service is asked for."},
    {"iceberg.catalog.credential", T_STRING, 0, 0, .doc = "REST: an OAuth2 client credential, `id:secret`."},
    {"iceberg.catalog.token", T_STRING, 0, 0, .doc = "REST: a bearer token."},
    {"iceberg.catalog.jdbc.user", T_STRING, 0, 0, .doc = "JDBC: the PostgreSQL user."},
    {"iceberg.catalog.jdbc.password", T_STRING, 0, 0, .doc = "JDBC: the PostgreSQL user's password."},
    {"iceberg.catalog.*", T_PROPS, 0, CFG(catalog_props),
     .doc = "Every `iceberg.catalog.` key, prefix removed, goes to the catalog and its file IO (`s3.endpoint`, "
            "`s3.access-key-id`, `s3.secret-access-key`, `client.region`, REST `header.*`, ...)."},
    {"iceberg.hadoop-conf-dir", T_STRING, K_WARN, 0,
     .doc = "floe has no Hadoop configuration; storage is configured with `iceberg.catalog.*` keys."},
    {"iceberg.hadoop.*", T_PROPS, K_WARN, 0,
     .doc = "floe has no Hadoop configuration; storage is configured with `iceberg.catalog.*` keys."},

    {.name = "floe", .type = T_SECTION, .doc = "floe's own keys, for what the connector cannot do."},
    {"floe.memory.budget-bytes", T_BYTES, 0, CFG(memory_budget), .def = "256MiB", .min = 16 << 20, .max = INT64_MAX,
     .doc = "Memory for buffered records and open files. When it is reached, floe flushes and commits early "
            "rather than growing; it reads Kafka in batches of at most an eighth of it, so its buffers stay within "
            "about twice the budget. librdkafka's prefetch queue comes on top (`kafka.queued.max.messages.kbytes`, "
            "16 MiB), and so does the process's base (about 30 MB): at the smallest budget, 16 MiB, the process "
            "peaks at 70-100 MB whatever the stream's size. A smaller queue saves memory at a cost in throughput: "
            "with 4 MiB, 4 KB records were read 6 times slower."},
    {"floe.metrics.listen", T_STRING, 0, CFG(metrics_listen), .def = "127.0.0.1:9464", .check = check_listen,
     .doc = "Address of the Prometheus `/metrics`, `/healthz` and `/readyz` endpoint: `host:port`, "
            "`[ipv6]:port`, or `off`. 9464 is the port of OpenTelemetry's Prometheus exporter."},
    {"floe.record.max-bytes", T_BYTES, 0, CFG(record_max_bytes), .def = "1MiB", .min = 1, .max = INT64_MAX,
     .doc = "A record whose value is larger than this becomes a dead letter instead of being written (Kafka's own "
            "default limit on a message is about 1 MB)."},
    {"floe.write.max-open-files", T_INT, 0, CFG(max_open_files), .def = "64", INT_RANGE(1),
     .doc = "Data files a table keeps open at most, one per partition being written. When a record needs "
            "another, the least recently written file is closed and committed with the cycle as it is: fewer "
            "open files hold less memory, more make fewer, larger files when records spread over many "
            "partitions."},
    {"floe.log.format", T_ENUM, 0, CFG(log_format), .def = "plain", .allowed = "plain|json",
     .doc = "One line per event, as text or as a JSON object."},
    {"floe.dlq.mode", T_ENUM, 0, CFG(dlq_mode), .def = "table", .allowed = "table|drop",
     .doc = "Where dead letters go: `table` writes them to the table "
            "`<table>__dlq` (topic, partition, offset, key, raw value, error, time); `drop` only counts them (and "
            "logs them with `errors.log.enable`)."},
    {"floe.kafka.metadata-columns", T_LIST, 0, CFG(metadata_column_names), .def = "none",
     .check = check_metadata_column,
     .doc = "Kafka metadata columns added to every table: `none`, `all`, or any of `topic`, `partition`, "
            "`offset`, `timestamp`, `key`, `headers`."},

    {.name = "Maintenance", .type = T_SECTION,
     .doc = "Background maintenance of the tables `floe run` writes, in a thread of its own with its own catalog "
            "connection, so that ingestion never waits for it (see docs/streaming.md, *Maintenance*)."},
    {"floe.maintenance.enabled", T_BOOL, 0, CFG(maintenance_enabled), .def = "true",
     .doc = "Compact small files, rewrite manifests, expire snapshots and delete orphan files of the tables this "
            "process writes, as their health report asks. Turn it off when another tool maintains them."},
    {"floe.maintenance.interval-ms", T_DURATION, 0, CFG(maintenance_interval_ms), .def = "60s", .min = 10,
     .max = INT64_MAX,
     .doc = "How often each table's health is checked and the actions it calls for run: milliseconds, or a number "
            "followed by `ms`, `s`, `m` or `h`."},
    {"floe.maintenance.max-bytes-per-run", T_BYTES, 0, CFG(maintenance_max_bytes), .def = "256MiB", .min = 1 << 20,
     .max = INT64_MAX,
     .doc = "A compaction reads at most this many bytes of a table per interval, so that it never takes more than "
            "its share of the machine; a backlog is worked off over several intervals."},
    {"floe.maintenance.clean-interval-ms", T_DURATION, 0, CFG(maintenance_clean_interval_ms), .def = "1h",
     .min = 10, .max = INT64_MAX,
     .doc = "How often each table's orphan files (files no metadata references, older than 3 days: left by "
            "failed or interrupted commits) are deleted."},
};

#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static void *dest_of(const key_desc *d, void *base) { return d->dest ? (char *)base + d->dest - 1 : NULL; }

static int is_exact(const key_desc *d) { return d->type != T_SECTION && d->type != T_PROPS && !(d->flags & K_TABLE); }

static const key_desc *find_exact(const char *key) {
    for (int i = 0; i < NKEYS; i++)
        if (is_exact(&KEYS[i]) && strcmp(KEYS[i].name, key) == 0) return &KEYS[i];
    return NULL;
}

/* The length of a T_PROPS entry's prefix ("iceberg.catalog." of
 * "iceberg.catalog.*") if key is under it, else 0. */
static size_t prefix_match(const key_desc *d, const char *key) {
    size_t pl = strlen(d->name) - 1;
    return strncmp(key, d->name, pl) == 0 && key[pl] ? pl : 0;
}

/* If key is "iceberg.table.<t>.<suffix>" for the K_TABLE entry d, the table
 * name's start and length. */
static int table_match(const key_desc *d, const char *key, const char **t, size_t *tn) {
    const char *ph = strstr(d->name, "<table>");
    size_t pre = (size_t)(ph - d->name), kl = strlen(key);
    const char *suf = ph + strlen("<table>");
    size_t sl = strlen(suf);
    if (kl <= pre + sl || strncmp(key, d->name, pre) != 0 || strcmp(key + kl - sl, suf) != 0) return 0;
    *t = key + pre;
    *tn = kl - pre - sl;
    return 1;
}

int floe_config_key_is_secret(const char *key) {
    static const char *const words[] = {"password", "secret", "token", "credential", "jaas", "private",
                                        "authorization", "ssl.key.pem", "oauthbearer.config"};
    char low[256];
    size_t n = strlen(key);
    if (n >= sizeof low) n = sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)key[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(low, words[i])) return 1;
    return 0;
}

/* A value as it may appear in a message: secrets never do. */
static const char *shown(const char *key, const char *v) { return floe_config_key_is_secret(key) ? "****" : v; }

/* ---- small helpers ------------------------------------------------------------ */

static char *trimmed_dup(const char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return floe_xstrndup(s, n);
}

static void strlist_free(floe_strlist *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void strlist_add(floe_strlist *l, const char *s, size_t n) {
    l->v = floe_xrealloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
    l->v[l->n++] = floe_xstrndup(s, n);
}

static void regex_free(floe_config_regex *r) {
    if (r->text) regfree(&r->re);
    free(r->text);
    r->text = NULL;
}

static void add_warning(floe_config *c, const char *origin, const char *fmt, ...) FLOE_PRINTF(3, 4);
static void add_warning(floe_config *c, const char *origin, const char *fmt, ...) {
    floe_buf b;
    floe_buf_init(&b);
    if (origin) floe_buf_printf(&b, "%s: ", origin);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    floe_buf_puts(&b, tmp);
    c->warnings = floe_xrealloc(c->warnings, sizeof *c->warnings * (size_t)(c->nwarnings + 1));
    c->warnings[c->nwarnings++] = floe_xstrdup(floe_buf_cstr(&b));
    floe_buf_free(&b);
}

/* "[+-]digits" filling s, within int64. */
static int parse_i64(const char *s, int64_t *out) {
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = (int64_t)v;
    return 0;
}

/* A count followed by a unit suffix: digits then one of units[i].name. */
typedef struct unit {
    const char *name;
    int64_t scale;
} unit;

static int parse_scaled(const char *s, const unit *units, int nunits, int64_t *out) {
    const char *p = s;
    while (isdigit((unsigned char)*p)) p++;
    if (p == s) return -1;
    const char *u = p;
    while (*u == ' ') u++;
    int64_t scale = -1;
    for (int i = 0; i < nunits; i++)
        if (strcasecmp(u, units[i].name) == 0) scale = units[i].scale;
    if (scale < 0) return -1;
    int64_t n;
    char *num = floe_xstrndup(s, (size_t)(p - s));
    int rc = parse_i64(num, &n);
    free(num);
    if (rc || n > INT64_MAX / scale) return -1;
    *out = n * scale;
    return 0;
}

static const unit DURATION_UNITS[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
static const unit BYTE_UNITS[] = {
    {"", 1},           {"b", 1},          {"k", 1 << 10},        {"kb", 1 << 10},       {"kib", 1 << 10},
    {"m", 1 << 20},    {"mb", 1 << 20},   {"mib", 1 << 20},      {"g", 1 << 30},        {"gb", 1 << 30},
    {"gib", 1 << 30},  {"t", 1LL << 40},  {"tb", 1LL << 40},     {"tib", 1LL << 40},
};

/* ---- parsing one value -------------------------------------------------------- */

static int split_list(const key_desc *d, const char *key, const char *v, floe_strlist *out, floe_err *err) {
    out->v = NULL;
    out->n = 0;
    size_t n = strlen(v);
    /* Java's String.split drops trailing empty items ("a,b," is [a, b]);
     * an empty item elsewhere is a mistake. */
    while (n && (v[n - 1] == ',' || isspace((unsigned char)v[n - 1]))) n--;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] != ',') j++;
        size_t a = i, b = j;
        while (a < b && isspace((unsigned char)v[a])) a++;
        while (b > a && isspace((unsigned char)v[b - 1])) b--;
        if (a == b) {
            strlist_free(out);
            return floe_err_set(err, FLOE_EINVAL, "%s: '%s' has an empty item", key, shown(key, v));
        }
        strlist_add(out, v + a, b - a);
        if (d->check && d->check(key, out->v[out->n - 1], err)) {
            strlist_free(out);
            return -1;
        }
        i = j + 1;
    }
    return 0;
}

static int regex_compile(const char *key, const char *text, floe_config_regex *r, floe_err *err);

static int enum_index(const char *allowed, const char *v) {
    size_t vn = strlen(v);
    int i = 0;
    for (const char *p = allowed;; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == vn && strncasecmp(p, v, n) == 0) return i;
        if (!bar) return -1;
        p = bar + 1;
    }
}

/* Appends "a, b" for the enum's "a|b". */
static void enum_list(const char *allowed, const char *sep, const char *quote, floe_buf *out) {
    for (const char *p = allowed; *p; p++) {
        if (p == allowed || p[-1] == '|') floe_buf_puts(out, quote);
        if (*p == '|') {
            floe_buf_puts(out, quote);
            floe_buf_puts(out, sep);
        } else {
            floe_buf_putc(out, (uint8_t)*p);
        }
    }
    floe_buf_puts(out, quote);
}

static int range_error(const key_desc *d, const char *key, const char *v, int64_t lo, int64_t hi, floe_err *err) {
    if (hi == INT64_MAX || (d->type == T_INT && hi == INT32_MAX))
        return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is out of range (allowed: at least %lld)", key, v,
                            (long long)lo);
    return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is out of range (allowed: %lld to %lld)", key, v, (long long)lo,
                        (long long)hi);
}

/* Parses v (trimmed, not empty) as d's type into the field of `base`. */
static int parse_value(const key_desc *d, const char *key, const char *v, void *base, floe_err *err) {
    void *p = dest_of(d, base);
    const char *sv = shown(key, v);
    int64_t x = 0;
    switch (d->type) {
    case T_STRING:
        if (d->check && d->check(key, v, err)) return -1;
        if (p) {
            free(*(char **)p);
            *(char **)p = floe_xstrdup(v);
        }
        return 0;
    case T_INT:
    case T_LONG:
    case T_DURATION:
    case T_BYTES: {
        int64_t lo = d->max ? d->min : (d->type == T_INT ? INT32_MIN : INT64_MIN);
        int64_t hi = d->max ? d->max : (d->type == T_INT ? INT32_MAX : INT64_MAX);
        if (d->type == T_DURATION) {
            if (parse_scaled(v, DURATION_UNITS, (int)(sizeof DURATION_UNITS / sizeof DURATION_UNITS[0]), &x))
                return floe_err_set(err, FLOE_EINVAL,
                                    "%s: '%s' is not a duration (allowed: milliseconds, or a number followed by ms, "
                                    "s, m or h)",
                                    key, sv);
        } else if (d->type == T_BYTES) {
            if (parse_scaled(v, BYTE_UNITS, (int)(sizeof BYTE_UNITS / sizeof BYTE_UNITS[0]), &x))
                return floe_err_set(err, FLOE_EINVAL,
                                    "%s: '%s' is not a size (allowed: bytes, or a number followed by k, m, g or t, "
                                    "optionally with b or ib, in powers of 1024)",
                                    key, sv);
        } else if (parse_i64(v, &x)) {
            return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not an integer", key, sv);
        }
        if (x < lo || x > hi) return range_error(d, key, sv, lo, hi, err);
        if (p) *(int64_t *)p = x;
        return 0;
    }
    case T_BOOL:
        if (strcasecmp(v, "true") == 0) x = 1;
        else if (strcasecmp(v, "false") == 0) x = 0;
        else return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not a boolean (allowed: true, false)", key, sv);
        if (p) *(int *)p = (int)x;
        return 0;
    case T_ENUM: {
        int i = enum_index(d->allowed, v);
        if (i < 0) {
            floe_buf b;
            floe_buf_init(&b);
            enum_list(d->allowed, ", ", "", &b);
            floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not one of: %s", key, sv, floe_buf_cstr(&b));
            floe_buf_free(&b);
            return -1;
        }
        if (p) *(int *)p = i;
        return 0;
    }
    case T_LIST: {
        floe_strlist l;
        if (split_list(d, key, v, &l, err)) return -1;
        if (p) {
            strlist_free(p);
            *(floe_strlist *)p = l;
        } else {
            strlist_free(&l);
        }
        return 0;
    }
    case T_REGEX: {
        floe_config_regex r;
        if (regex_compile(key, v, &r, err)) return -1;
        if (p) {
            regex_free(p);
            *(floe_config_regex *)p = r;
        } else {
            regex_free(&r);
        }
        return 0;
    }
    case T_SECTION:
    case T_PROPS:
        break;
    }
    return 0;
}

static void free_dest(const key_desc *d, void *base) {
    void *p = dest_of(d, base);
    if (!p) return;
    switch (d->type) {
    case T_STRING: free(*(char **)p); break;
    case T_LIST: strlist_free(p); break;
    case T_REGEX: regex_free(p); break;
    case T_PROPS: floe_props_free(p); break;
    default: break;
    }
}

/* ---- Java regular expressions as POSIX extended ones --------------------------- */

static int regex_bad(const char *key, const char *text, const char *what, floe_err *err) {
    return floe_err_set(err, FLOE_EINVAL, "%s: '%s': %s", key, text, what);
}

/* Translates a Java character class "[...]" at p; *used is its length. */
static int bracket_to_ere(const char *key, const char *text, const char *p, floe_buf *out, size_t *used,
                          floe_err *err) {
    size_t i = 1;
    floe_buf_putc(out, '[');
    if (p[i] == '^') floe_buf_putc(out, (uint8_t)p[i++]);
    for (size_t first = i;; i++) {
        char ch = p[i];
        if (!ch) return regex_bad(key, text, "a '[' is not closed", err);
        if (ch == ']' && i > first) {
            floe_buf_putc(out, ']');
            *used = i + 1;
            return 0;
        }
        if (ch == '[')
            return regex_bad(key, text, "a '[' inside [...] (a nested class or union) is Java syntax POSIX does not have",
                             err);
        if (ch == '&' && p[i + 1] == '&')
            return regex_bad(key, text, "'&&' (class intersection) is Java syntax POSIX does not have", err);
        if (ch != '\\') {
            floe_buf_putc(out, (uint8_t)ch);
            continue;
        }
        char e = p[++i];
        switch (e) {
        case 'd': floe_buf_puts(out, "[:digit:]"); break;
        case 's': floe_buf_puts(out, "[:space:]"); break;
        case 'w': floe_buf_puts(out, "[:alnum:]_"); break;
        case 't': floe_buf_putc(out, '\t'); break;
        case 'n': floe_buf_putc(out, '\n'); break;
        case 'r': floe_buf_putc(out, '\r'); break;
        case 'f': floe_buf_putc(out, '\f'); break;
        case ']':
        case '[':
        case '^':
        case '-':
            return regex_bad(key, text,
                             "an escaped ']', '[', '^' or '-' inside [...] has no POSIX spelling (write ']' first, "
                             "'-' last or '^' not first, unescaped)",
                             err);
        default:
            if (!e || isalnum((unsigned char)e))
                return regex_bad(key, text,
                                 "inside [...] only the escapes \\d, \\s, \\w, \\t, \\n, \\r, \\f and escaped "
                                 "punctuation have a POSIX form",
                                 err);
            floe_buf_putc(out, (uint8_t)e); /* inside a POSIX class, punctuation (even '\') is literal */
        }
    }
}

/* Translates the Java regex p (from `text`) to a POSIX ERE.  Whether a
 * string matches is all floe asks of it, so lazy quantifiers become greedy
 * ones (same answer); constructs whose answer would differ are errors. */
static int java_to_ere(const char *key, const char *text, const char *p, floe_buf *out, floe_err *err) {
    int after_quantifier = 0;
    for (size_t i = 0; p[i];) {
        char ch = p[i];
        if (ch == '\\') {
            char e = p[i + 1];
            static const char *const classes[][2] = {{"d", "[[:digit:]]"}, {"D", "[^[:digit:]]"},
                                                     {"s", "[[:space:]]"}, {"S", "[^[:space:]]"},
                                                     {"w", "[[:alnum:]_]"}, {"W", "[^[:alnum:]_]"},
                                                     {"t", "\t"},          {"n", "\n"},
                                                     {"r", "\r"},          {"f", "\f"}};
            const char *rep = NULL;
            for (size_t k = 0; e && k < sizeof classes / sizeof classes[0]; k++)
                if (classes[k][0][0] == e) rep = classes[k][1];
            if (rep) {
                floe_buf_puts(out, rep);
            } else if (e && ispunct((unsigned char)e)) {
                if (strchr(".[]{}()\\*+?^$|", e)) floe_buf_putc(out, '\\');
                floe_buf_putc(out, (uint8_t)e);
            } else if (!e) {
                return regex_bad(key, text, "it ends in a lone '\\'", err);
            } else {
                char what[160];
                snprintf(what, sizeof what,
                         "'\\%c' is Java syntax with no POSIX equivalent (translated escapes: \\d \\D \\s \\S \\w "
                         "\\W \\t \\n \\r \\f and escaped punctuation)",
                         e);
                return regex_bad(key, text, what, err);
            }
            i += 2;
            after_quantifier = 0;
            continue;
        }
        if (ch == '[') {
            size_t used = 0;
            if (bracket_to_ere(key, text, p + i, out, &used, err)) return -1;
            i += used;
            after_quantifier = 0;
            continue;
        }
        if (ch == '(' && p[i + 1] == '?') {
            if (p[i + 2] != ':')
                return regex_bad(key, text,
                                 "'(?' groups (lookaround, inline flags, named groups) are Java syntax POSIX does not "
                                 "have; only (?:...) and a leading (?i) are translated",
                                 err);
            floe_buf_putc(out, '(');
            i += 3;
            after_quantifier = 0;
            continue;
        }
        if (after_quantifier && ch == '?') { /* lazy: same match or no match as greedy */
            i++;
            after_quantifier = 0;
            continue;
        }
        if (after_quantifier && ch == '+')
            return regex_bad(key, text, "possessive quantifiers ('*+', '++', '?+') are Java syntax POSIX does not have",
                             err);
        if (ch == '{') {
            const char *close = strchr(p + i, '}');
            if (!close) return regex_bad(key, text, "a '{' is not closed", err);
            floe_buf_append(out, p + i, (size_t)(close - (p + i)) + 1);
            i = (size_t)(close - p) + 1;
            after_quantifier = 1;
            continue;
        }
        floe_buf_putc(out, (uint8_t)ch);
        after_quantifier = ch == '*' || ch == '+' || ch == '?';
        i++;
    }
    return 0;
}

static int regex_compile(const char *key, const char *text, floe_config_regex *r, floe_err *err) {
    const char *p = text;
    int flags = REG_EXTENDED | REG_NOSUB;
    if (strncmp(p, "(?i)", 4) == 0) {
        flags |= REG_ICASE;
        p += 4;
    }
    floe_buf ere;
    floe_buf_init(&ere);
    /* Java's matches() tests the whole string: anchor both ends. */
    floe_buf_puts(&ere, "^(");
    if (java_to_ere(key, text, p, &ere, err)) {
        floe_buf_free(&ere);
        return -1;
    }
    floe_buf_puts(&ere, ")$");
    int rc = regcomp(&r->re, floe_buf_cstr(&ere), flags);
    floe_buf_free(&ere);
    if (rc != 0) {
        char msg[200];
        regerror(rc, &r->re, msg, sizeof msg);
        return floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not a valid regular expression: %s", key, text, msg);
    }
    r->text = floe_xstrdup(text);
    return 0;
}

int floe_config_regex_match(const floe_config_regex *r, const char *s) {
    return r->text && regexec(&r->re, s, 0, NULL, 0) == 0;
}

/* ---- checks ------------------------------------------------------------------ */

static int one_of(const char *key, const char *v, const char *const *allowed, int n, const char *why, floe_err *err) {
    for (int i = 0; i < n; i++)
        if (strcmp(v, allowed[i]) == 0) return 0;
    floe_buf b;
    floe_buf_init(&b);
    for (int i = 0; i < n; i++) floe_buf_printf(&b, "%s%s", i ? ", " : "", allowed[i]);
    floe_err_set(err, FLOE_EINVAL, "%s: '%s' is not supported (allowed: %s)%s%s", key, v, floe_buf_cstr(&b),
                 why ? ": " : "", why ? why : "");
    floe_buf_free(&b);
    return -1;
}

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int check_connector_class(const char *key, const char *v, floe_err *err) {
    static const char *const ok[] = {"org.apache.iceberg.connect.IcebergSinkConnector",
                                     "io.tabular.iceberg.connect.IcebergSinkConnector"};
    return one_of(key, v, ok, NELEM(ok), "floe runs the Iceberg sink's configuration", err);
}

static int check_key_converter(const char *key, const char *v, floe_err *err) {
    static const char *const ok[] = {"org.apache.kafka.connect.storage.StringConverter",
                                     "org.apache.kafka.connect.json.JsonConverter",
                                     "org.apache.kafka.connect.converters.ByteArrayConverter"};
    return one_of(key, v, ok, NELEM(ok), "floe keeps keys as bytes", err);
}

static int check_value_converter(const char *key, const char *v, floe_err *err) {
    static const char *const ok[] = {"org.apache.kafka.connect.json.JsonConverter"};
    return one_of(key, v, ok, NELEM(ok), "floe decodes JSON values", err);
}

static int check_transform(const char *key, const char *v, floe_err *err) {
    return floe_err_set(err, FLOE_EINVAL,
                        "%s: '%s': floe runs no single message transforms (allowed: empty; "
                        "floe.kafka.metadata-columns adds Kafka metadata columns)",
                        key, v);
}

static int check_topic(const char *key, const char *v, floe_err *err) {
    size_t n = strlen(v);
    int ok = n > 0 && n <= 249 && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '_' || v[i] == '-';
    if (ok) return 0;
    return floe_err_set(err, FLOE_EINVAL,
                        "%s: '%s' is not a Kafka topic name (allowed: letters, digits, '.', '_' and '-', at most 249)",
                        key, v);
}

static int check_table_name(const char *key, const char *v, floe_err *err) {
    int ok = v[0] != '.' && v[strlen(v) - 1] != '.' && !strstr(v, "..");
    for (const char *p = v; ok && *p; p++) ok = !isspace((unsigned char)*p) && *p != ',';
    if (ok) return 0;
    return floe_err_set(err, FLOE_EINVAL,
                        "%s: '%s' is not a table name (allowed: namespace.table, names separated by single dots, "
                        "no spaces)",
                        key, v);
}

/* Only the shape: the terms are parsed against a schema, with the column
 * names and transform arguments checked, when a table is created. */
static int check_partition_terms(const char *key, const char *v, floe_err *err) {
    int depth = 0, term_chars = 0;
    for (const char *p = v;; p++) {
        if (*p == '(') depth++;
        if (*p == ')' && --depth < 0) break;
        if ((*p == ',' && depth == 0) || !*p) {
            if (!term_chars)
                return floe_err_set(err, FLOE_EINVAL, "%s: '%s' has an empty partition term", key, v);
            term_chars = 0;
            if (!*p) break;
        } else if (!isspace((unsigned char)*p)) {
            term_chars++;
        }
    }
    if (depth != 0) return floe_err_set(err, FLOE_EINVAL, "%s: '%s' has unbalanced parentheses", key, v);
    return 0;
}

static int check_catalog_impl(const char *key, const char *v, floe_err *err) {
    static const char *const ok[] = {"org.apache.iceberg.rest.RESTCatalog", "org.apache.iceberg.jdbc.JdbcCatalog"};
    return one_of(key, v, ok, NELEM(ok), "floe speaks to REST and JDBC (SQLite, PostgreSQL) catalogs", err);
}

static int check_listen(const char *key, const char *v, floe_err *err) {
    if (strcmp(v, "off") == 0) return 0;
    const char *colon = strrchr(v, ':');
    int ok = colon && colon > v;
    if (ok && v[0] == '[') ok = colon[-1] == ']' && colon - v > 2;
    else if (ok) ok = memchr(v, ':', (size_t)(colon - v)) == NULL; /* an IPv6 address needs brackets */
    int64_t port = 0;
    if (ok) ok = parse_i64(colon + 1, &port) == 0 && isdigit((unsigned char)colon[1]) && port >= 0 && port <= 65535;
    if (ok) return 0;
    return floe_err_set(err, FLOE_EINVAL,
                        "%s: '%s' is not a listen address (allowed: host:port, [ipv6]:port with a port from 0 (any free port) to "
                        "65535, or off)",
                        key, v);
}

static const char *const META_COLUMNS[] = {"topic", "partition", "offset", "timestamp", "key", "headers"};

static int check_metadata_column(const char *key, const char *v, floe_err *err) {
    static const char *const ok[] = {"none", "all", "topic", "partition", "offset", "timestamp", "key", "headers"};
    return one_of(key, v, ok, NELEM(ok), NULL, err);
}

/* ---- from raw keys to the configuration --------------------------------------- */

/* The trimmed value of key, or NULL when absent or empty (an empty value is
 * the same as leaving the key out). */
static char *raw_value(const floe_config *c, const char *key) {
    const char *raw = floe_props_get(&c->raw, key);
    if (!raw) return NULL;
    char *v = trimmed_dup(raw);
    if (!*v) {
        free(v);
        return NULL;
    }
    return v;
}

static int apply_exact_keys(floe_config *c, const char *origin, floe_err *err) {
    for (int i = 0; i < NKEYS; i++) {
        const key_desc *d = &KEYS[i];
        if (!is_exact(d)) continue;
        char *v = raw_value(c, d->name);
        if (v && (d->flags & K_WARN)) add_warning(c, origin, "%s: ignored: %s", d->name, d->doc);
        const char *text = v ? v : d->def;
        void *p = dest_of(d, c);
        if (!text) {
            /* Not set and no fixed default: -1 tells resolution to derive it. */
            if (p && (d->type == T_BOOL || d->type == T_ENUM)) *(int *)p = -1;
            else if (p && d->type != T_STRING && d->type != T_LIST && d->type != T_REGEX) *(int64_t *)p = -1;
            continue;
        }
        int rc = parse_value(d, d->name, text, c, err);
        free(v);
        if (rc) return -1;
    }
    return 0;
}

static void collect_prefix_keys(floe_config *c, const char *origin) {
    for (int i = 0; i < NKEYS; i++) {
        const key_desc *d = &KEYS[i];
        if (d->type != T_PROPS) continue;
        for (int k = 0; k < c->raw.n; k++) {
            const floe_prop *kv = &c->raw.items[k];
            size_t pl = prefix_match(d, kv->key);
            if (!pl) continue;
            if (d->dest) floe_props_set(dest_of(d, c), kv->key + pl, kv->value);
            if (d->flags & K_WARN) add_warning(c, origin, "%s: ignored: %s", kv->key, d->doc);
        }
    }
}

static int edit_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63) return 99;
    int row[64];
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static void warn_unknown_keys(floe_config *c, const char *origin) {
    for (int k = 0; k < c->raw.n; k++) {
        const char *key = c->raw.items[k].key;
        int known = find_exact(key) != NULL;
        const char *t;
        size_t tn;
        for (int i = 0; i < NKEYS && !known; i++) {
            if (KEYS[i].type == T_PROPS) known = prefix_match(&KEYS[i], key) != 0;
            else if (KEYS[i].flags & K_TABLE) known = table_match(&KEYS[i], key, &t, &tn);
        }
        if (known) continue;
        const char *best = NULL;
        int bestd = 3;
        for (int i = 0; i < NKEYS; i++) {
            if (!is_exact(&KEYS[i])) continue;
            int dist = edit_distance(key, KEYS[i].name);
            if (dist < bestd) bestd = dist, best = KEYS[i].name;
        }
        if (best) add_warning(c, origin, "unknown key '%s' (ignored; did you mean '%s'?)", key, best);
        else add_warning(c, origin, "unknown key '%s' (ignored)", key);
    }
}

static int resolve_source(floe_config *c, floe_err *err) {
    if (c->topics.n && c->topics_regex.text)
        return floe_err_set(err, FLOE_EINVAL, "topics and topics.regex are both set (allowed: one of them)");
    if (!c->topics.n && !c->topics_regex.text)
        return floe_err_set(err, FLOE_EINVAL, "neither topics nor topics.regex is set (one of them names the source)");
    if (c->value_schemas_enable < 0) c->value_schemas_enable = c->value_converter != NULL;
    return 0;
}

static floe_config_table *table_entry(floe_config *c, const char *name, size_t n) {
    for (int i = 0; i < c->ntables; i++)
        if (strlen(c->tables[i].name) == n && strncmp(c->tables[i].name, name, n) == 0) return &c->tables[i];
    c->tables = floe_xrealloc(c->tables, sizeof *c->tables * (size_t)(c->ntables + 1));
    floe_config_table *t = &c->tables[c->ntables++];
    memset(t, 0, sizeof *t);
    t->name = floe_xstrndup(name, n);
    return t;
}

static int resolve_tables(floe_config *c, const char *origin, floe_err *err) {
    int listed = c->table_names.n > 0;
    if (listed && c->dynamic_enabled)
        return floe_err_set(err, FLOE_EINVAL,
                            "iceberg.tables and iceberg.tables.dynamic-enabled=true are both set (allowed: listed "
                            "tables or dynamic routing, not both)");
    if (c->dynamic_enabled && !c->route_field)
        return floe_err_set(err, FLOE_EINVAL, "iceberg.tables.dynamic-enabled=true needs iceberg.tables.route-field");
    if (!listed && !c->dynamic_enabled)
        return floe_err_set(err, FLOE_EINVAL,
                            "no destination tables: set iceberg.tables, or iceberg.tables.dynamic-enabled=true with "
                            "iceberg.tables.route-field");
    for (int i = 0; i < c->table_names.n; i++) {
        const char *nm = c->table_names.v[i];
        floe_config_table *t = table_entry(c, nm, strlen(nm));
        if (t->listed) return floe_err_set(err, FLOE_EINVAL, "iceberg.tables: '%s' is listed twice", nm);
        t->listed = 1;
    }
    for (int k = 0; k < c->raw.n; k++) {
        const char *key = c->raw.items[k].key;
        for (int i = 0; i < NKEYS; i++) {
            const key_desc *d = &KEYS[i];
            const char *tname;
            size_t tn;
            if (!(d->flags & K_TABLE) || !table_match(d, key, &tname, &tn)) continue;
            char *v = raw_value(c, key);
            if (!v) continue;
            char *tcopy = floe_xstrndup(tname, tn);
            int bad = check_table_name(key, tcopy, err);
            free(tcopy);
            if (bad) {
                free(v);
                return -1;
            }
            floe_config_table *t = table_entry(c, tname, tn);
            int rc = parse_value(d, key, v, t, err);
            free(v);
            if (rc) return -1;
            if (listed && !t->listed)
                add_warning(c, origin, "%s: table '%s' is not in iceberg.tables (ignored)", key, t->name);
            if (d->type == T_REGEX && !c->route_field)
                add_warning(c, origin, "%s: has no effect without iceberg.tables.route-field", key);
            else if (d->type == T_REGEX && c->dynamic_enabled)
                add_warning(c, origin, "%s: has no effect with dynamic routing (the route field names the table)",
                            key);
        }
    }
    const floe_config_table *def = &c->table_defaults;
    for (int i = 0; i < c->ntables; i++) {
        floe_config_table *t = &c->tables[i];
        if (!t->partition_by && def->partition_by) t->partition_by = floe_xstrdup(def->partition_by);
        if (!t->commit_branch && def->commit_branch) t->commit_branch = floe_xstrdup(def->commit_branch);
        if (!t->id_columns.n)
            for (int j = 0; j < def->id_columns.n; j++)
                strlist_add(&t->id_columns, def->id_columns.v[j], strlen(def->id_columns.v[j]));
        /* The connector sends a listed table the records whose route field
         * its route-regex matches: without one it gets nothing. */
        if (t->listed && c->route_field && !t->route_regex.text)
            add_warning(c, origin,
                        "iceberg.tables: '%s' has no iceberg.table.%s.route-regex, so with "
                        "iceberg.tables.route-field set it receives no records",
                        t->name, t->name);
    }
    return 0;
}

static int resolve_commit(floe_config *c) {
    c->commit_interval_ms = c->floe_commit_interval_ms >= 0 ? c->floe_commit_interval_ms : c->connect_commit_interval_ms;
    return 0;
}

static int is_local_location(const char *loc) {
    return !strstr(loc, "://") || strncmp(loc, "file://", 7) == 0;
}

/* Appends s percent-encoded for a URI query value. */
static void put_query_value(floe_buf *out, const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || strchr("-._~", ch)) floe_buf_putc(out, ch);
        else floe_buf_printf(out, "%%%02X", ch);
    }
}

/* iceberg.catalog.uri of a JDBC catalog as floe's SQL catalog URI. */
static int jdbc_uri(floe_config *c, const char *uri, floe_buf *out, floe_err *err) {
    if (strncmp(uri, "jdbc:sqlite:", 12) == 0) {
        const char *path = uri + 12;
        if (strncmp(path, "file:", 5) == 0) path += 5; /* the driver's "file:PATH?options" form */
        size_t n = strcspn(path, "?");
        if (n == 0) return floe_err_set(err, FLOE_EINVAL, "iceberg.catalog.uri: '%s' names no database file", uri);
        floe_buf_puts(out, "sqlite:");
        floe_buf_append(out, path, n);
        return 0;
    }
    const char *rest = NULL;
    if (strncmp(uri, "jdbc:postgresql://", 18) == 0) rest = uri + 18;
    else if (strncmp(uri, "postgresql://", 13) == 0) rest = uri + 13;
    else if (strncmp(uri, "postgres://", 11) == 0) rest = uri + 11;
    if (rest) {
        floe_buf_puts(out, "postgresql://");
        floe_buf_puts(out, rest);
        /* The JDBC catalog gives jdbc.* properties to the driver; user and
         * password are the ones libpq spells the same way. */
        const char *user = floe_props_get(&c->catalog_props, "jdbc.user");
        const char *pass = floe_props_get(&c->catalog_props, "jdbc.password");
        char sep = strchr(rest, '?') ? '&' : '?';
        if (user) {
            floe_buf_printf(out, "%cuser=", sep);
            put_query_value(out, user);
            sep = '&';
        }
        if (pass) {
            floe_buf_printf(out, "%cpassword=", sep);
            put_query_value(out, pass);
        }
        return 0;
    }
    if (strncmp(uri, "sqlite:", 7) == 0) {
        floe_buf_puts(out, uri);
        return 0;
    }
    return floe_err_set(err, FLOE_EINVAL,
                        "iceberg.catalog.uri: '%s' is not a JDBC URI floe can open (allowed: jdbc:sqlite:PATH, "
                        "jdbc:postgresql://HOST/DB, sqlite:PATH, postgresql://...)",
                        shown("iceberg.catalog.uri", uri));
}

static int resolve_catalog(floe_config *c, floe_err *err) {
    int type = c->catalog_type;
    const char *uri = c->catalog_uri_given, *wh = c->warehouse_given;
    if (c->catalog_impl) {
        if (type >= 0)
            return floe_err_set(err, FLOE_EINVAL,
                                "iceberg.catalog.type and iceberg.catalog.catalog-impl are both set (allowed: one of "
                                "them)");
        type = strstr(c->catalog_impl, "RESTCatalog") ? FLOE_CATALOG_TYPE_REST : FLOE_CATALOG_TYPE_JDBC;
    }
    if (type < 0 && uri) {
        if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) type = FLOE_CATALOG_TYPE_REST;
        else if (strncmp(uri, "jdbc:", 5) == 0 || strncmp(uri, "sqlite:", 7) == 0 ||
                 strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
            type = FLOE_CATALOG_TYPE_JDBC;
        else
            return floe_err_set(err, FLOE_EINVAL,
                                "iceberg.catalog.uri: '%s' is not a catalog URI floe can open (allowed: http(s):// "
                                "for REST; jdbc:sqlite:, jdbc:postgresql://, sqlite:, postgresql:// for JDBC)",
                                shown("iceberg.catalog.uri", uri));
    }
    floe_buf u;
    floe_buf_init(&u);
    if (type < 0) {
        /* floe's embedded catalog: a SQLite file inside the warehouse. */
        if (!wh) wh = "./warehouse";
        if (!is_local_location(wh)) {
            floe_buf_free(&u);
            return floe_err_set(err, FLOE_EINVAL,
                                "iceberg.catalog.warehouse: '%s' is not local, so the embedded catalog cannot live "
                                "there (set iceberg.catalog.type and iceberg.catalog.uri)",
                                wh);
        }
        floe_buf_printf(&u, "sqlite:%s/catalog.db", floe_uri_local_path(wh));
    } else if (!uri) {
        floe_buf_free(&u);
        return floe_err_set(err, FLOE_EINVAL, "iceberg.catalog.type=%s needs iceberg.catalog.uri",
                            type == FLOE_CATALOG_TYPE_REST ? "rest" : "jdbc");
    } else if (type == FLOE_CATALOG_TYPE_REST) {
        if (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0) {
            floe_buf_free(&u);
            return floe_err_set(err, FLOE_EINVAL,
                                "iceberg.catalog.uri: '%s' is not a REST catalog URL (allowed: http:// or https://)",
                                shown("iceberg.catalog.uri", uri));
        }
        floe_buf_puts(&u, uri);
    } else {
        if (jdbc_uri(c, uri, &u, err)) {
            floe_buf_free(&u);
            return -1;
        }
        if (!wh) wh = "./warehouse";
    }
    c->catalog_uri = floe_xstrdup(floe_buf_cstr(&u));
    floe_buf_free(&u);
    c->warehouse = wh ? floe_xstrdup(wh) : NULL;
    /* The embedded catalog keeps floe's own catalog name (the one the floe
     * command opens by default) unless iceberg.catalog names one; a catalog
     * the user points at gets the connector's name, "iceberg" by default. */
    if (!floe_props_get(&c->catalog_props, "catalog-name") && (type >= 0 || floe_props_get(&c->raw, "iceberg.catalog")))
        floe_props_set(&c->catalog_props, "catalog-name", c->catalog_name);
    return 0;
}

/* Java client settings librdkafka has no equivalent of. */
static const char *const JAVA_ONLY[][2] = {
    {"key.deserializer", "floe reads keys as bytes"},
    {"value.deserializer", "floe reads values as bytes"},
    {"interceptor.classes", "Java classes"},
    {"max.poll.records", "librdkafka hands over records one by one"},
    {"ssl.truststore.location", "use ssl.ca.location"},
    {"ssl.truststore.password", "use ssl.ca.location"},
    {"ssl.truststore.type", "use ssl.ca.location"},
    {"sasl.login.callback.handler.class", "Java classes"},
    {"sasl.client.callback.handler.class", "Java classes"},
};

/* sasl.jaas.config's PLAIN and SCRAM logins as librdkafka's sasl.username
 * and sasl.password:
 *   org.apache.kafka.common.security.plain.PlainLoginModule required
 *     username="u" password="p";
 * Messages never quote the value: it holds a password. */
static int jaas_to_librdkafka(const char *key, const char *v, floe_props *kafka, floe_err *err) {
    const char *p = v;
    while (isspace((unsigned char)*p)) p++;
    size_t cn = strcspn(p, " \t\r\n;");
    int plain = cn >= 17 && strncmp(p + cn - 17, ".PlainLoginModule", 17) == 0;
    int scram = cn >= 17 && strncmp(p + cn - 17, ".ScramLoginModule", 17) == 0;
    if (!plain && !scram)
        return floe_err_set(err, FLOE_EINVAL,
                            "%s: only PlainLoginModule and ScramLoginModule logins are translated (to librdkafka's "
                            "sasl.username and sasl.password); set those instead",
                            key);
    p += cn;
    while (isspace((unsigned char)*p)) p++;
    p += strcspn(p, " \t\r\n;"); /* the control flag: required, requisite, sufficient, optional */
    floe_buf user, pass, *cur;
    floe_buf_init(&user);
    floe_buf_init(&pass);
    int have_user = 0, have_pass = 0, rc = 0;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == ';') break;
        size_t nn = strcspn(p, "= \t\r\n;");
        int is_user = nn == 8 && strncmp(p, "username", 8) == 0, is_pass = nn == 8 && strncmp(p, "password", 8) == 0;
        p += nn;
        while (isspace((unsigned char)*p)) p++;
        if (*p != '=') {
            rc = floe_err_set(err, FLOE_EINVAL, "%s: a login option is not name=value", key);
            break;
        }
        p++;
        while (isspace((unsigned char)*p)) p++;
        floe_buf ignored;
        floe_buf_init(&ignored);
        cur = is_user ? &user : is_pass ? &pass : &ignored;
        if (is_user) have_user = 1;
        if (is_pass) have_pass = 1;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) p++;
                floe_buf_putc(cur, (uint8_t)*p);
            }
            if (*p != '"') {
                floe_buf_free(&ignored);
                rc = floe_err_set(err, FLOE_EINVAL, "%s: a quoted login option is not closed", key);
                break;
            }
            p++;
        } else {
            size_t vn = strcspn(p, " \t\r\n;");
            floe_buf_append(cur, p, vn);
            p += vn;
        }
        floe_buf_free(&ignored);
    }
    if (!rc && (!have_user || !have_pass))
        rc = floe_err_set(err, FLOE_EINVAL, "%s: the login has no username or no password", key);
    if (!rc) {
        floe_props_set(kafka, "sasl.username", floe_buf_cstr(&user));
        floe_props_set(kafka, "sasl.password", floe_buf_cstr(&pass));
    }
    floe_buf_free(&user);
    floe_buf_free(&pass);
    return rc;
}

static int apply_kafka(floe_config *c, const char *origin, const char *prefix, const floe_props *from, floe_err *err) {
    for (int i = 0; i < from->n; i++) {
        const char *k = from->items[i].key, *v = from->items[i].value;
        char full[512];
        snprintf(full, sizeof full, "%s%s", prefix, k);
        if (strcmp(k, "enable.auto.commit") == 0) {
            char *t = trimmed_dup(v);
            int is_false = strcasecmp(t, "false") == 0;
            free(t);
            if (!is_false)
                return floe_err_set(err, FLOE_EINVAL,
                                    "%s: '%s' is not allowed (allowed: false): floe commits offsets itself, after "
                                    "each Iceberg commit",
                                    full, v);
            continue;
        }
        if (strcmp(k, "sasl.jaas.config") == 0) {
            if (jaas_to_librdkafka(full, v, &c->kafka, err)) return -1;
            continue;
        }
        int java = 0;
        for (int j = 0; j < NELEM(JAVA_ONLY) && !java; j++)
            if (strcmp(k, JAVA_ONLY[j][0]) == 0) {
                add_warning(c, origin, "%s: a Java client setting librdkafka does not have (%s); ignored", full,
                            JAVA_ONLY[j][1]);
                java = 1;
            }
        if (!java) floe_props_set(&c->kafka, k, v);
    }
    return 0;
}

static int resolve_kafka(floe_config *c, const char *origin, floe_err *err) {
    floe_props_set(&c->kafka, "bootstrap.servers", c->bootstrap_servers);
    if (c->connect_group_id) {
        floe_props_set(&c->kafka, "group.id", c->connect_group_id);
    } else {
        floe_buf g;
        floe_buf_init(&g);
        floe_buf_printf(&g, "connect-%s", c->name);
        floe_props_set(&c->kafka, "group.id", floe_buf_cstr(&g));
        floe_buf_free(&g);
    }
    /* As Kafka Connect configures a sink's consumer: a new group starts
     * from the beginning, and offsets are committed by the sink. */
    floe_props_set(&c->kafka, "auto.offset.reset", "earliest");
    floe_props_set(&c->kafka, "enable.auto.commit", "false");
    if (apply_kafka(c, origin, "iceberg.kafka.", &c->kafka_iceberg, err) ||
        apply_kafka(c, origin, "kafka.", &c->kafka_floe, err))
        return -1;
    return apply_kafka(c, origin, "consumer.override.", &c->kafka_override, err);
}

static int resolve_floe(floe_config *c, floe_err *err) {
    c->metadata_columns = 0;
    const floe_strlist *l = &c->metadata_column_names;
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], "none") == 0 || strcmp(l->v[i], "all") == 0) {
            if (l->n > 1)
                return floe_err_set(err, FLOE_EINVAL, "floe.kafka.metadata-columns: '%s' cannot be combined with other "
                                    "columns", l->v[i]);
            if (l->v[i][0] == 'a') c->metadata_columns = (1u << NELEM(META_COLUMNS)) - 1;
            continue;
        }
        for (int j = 0; j < NELEM(META_COLUMNS); j++)
            if (strcmp(l->v[i], META_COLUMNS[j]) == 0) c->metadata_columns |= 1u << j;
    }
    if (c->metrics_listen && strcmp(c->metrics_listen, "off") == 0) {
        free(c->metrics_listen);
        c->metrics_listen = NULL;
    }
    return 0;
}

floe_config *floe_config_from_props(const floe_props *raw, const char *origin, floe_err *err) {
    floe_config *c = floe_xcalloc(1, sizeof *c); /* zeroed: empty maps and lists, NULL strings */
    floe_props_copy(&c->raw, raw);
    int rc = apply_exact_keys(c, origin, err);
    if (!rc) {
        collect_prefix_keys(c, origin);
        warn_unknown_keys(c, origin);
        rc = resolve_source(c, err) || resolve_tables(c, origin, err) || resolve_commit(c) ||
             resolve_catalog(c, err) || resolve_kafka(c, origin, err) || resolve_floe(c, err);
    }
    if (rc) {
        if (origin) floe_err_prefix(err, "%s", origin);
        floe_config_free(c);
        return NULL;
    }
    return c;
}

void floe_config_free(floe_config *c) {
    if (!c) return;
    for (int i = 0; i < NKEYS; i++)
        if (!(KEYS[i].flags & K_TABLE)) free_dest(&KEYS[i], c);
    for (int t = 0; t < c->ntables; t++) {
        for (int i = 0; i < NKEYS; i++)
            if (KEYS[i].flags & K_TABLE) free_dest(&KEYS[i], &c->tables[t]);
        free(c->tables[t].name);
    }
    free(c->tables);
    free(c->catalog_uri);
    free(c->warehouse);
    floe_props_free(&c->kafka);
    floe_props_free(&c->raw);
    for (int i = 0; i < c->nwarnings; i++) free(c->warnings[i]);
    free(c->warnings);
    free(c);
}

const floe_config_table *floe_config_table_get(const floe_config *c, const char *table) {
    for (int i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].name, table) == 0) return &c->tables[i];
    return &c->table_defaults;
}

int floe_config_topic_matches(const floe_config *c, const char *topic) {
    for (int i = 0; i < c->topics.n; i++)
        if (strcmp(c->topics.v[i], topic) == 0) return 1;
    return floe_config_regex_match(&c->topics_regex, topic);
}

/* ---- the file formats ---------------------------------------------------------- */

static size_t bom_length(const char *s, size_t n) {
    return n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF ? 3 : 0;
}

static floe_config *fail_origin(const char *origin, floe_err *err) {
    if (origin) floe_err_prefix(err, "%s", origin);
    return NULL;
}

floe_config *floe_config_parse_json(const char *text, size_t len, const char *origin, floe_err *err) {
    size_t bom = bom_length(text, len);
    json_error_t je;
    json_t *root = json_loadb(text + bom, len - bom, 0, &je);
    if (!root) {
        floe_err_set(err, FLOE_EINVAL, "line %d, column %d: not valid JSON: %s", je.line, je.column, je.text);
        return fail_origin(origin, err);
    }
    floe_props raw;
    floe_props_init(&raw);
    floe_config *c = NULL;
    json_t *cfg = json_object_get(root, "config");
    const char *outer_name = NULL;
    const char *k;
    json_t *v;
    if (!json_is_object(root)) {
        floe_err_set(err, FLOE_EINVAL, "the configuration is not a JSON object");
        goto fail;
    }
    if (json_is_object(cfg)) {
        /* {"name": ..., "config": {...}} as POSTed to Connect, or as GET
         * /connectors/NAME returns it (with "tasks" and "type"). */
        json_object_foreach(root, k, v) {
            if (strcmp(k, "name") == 0) {
                if (!json_is_string(v)) {
                    floe_err_set(err, FLOE_EINVAL, "name: not a JSON string");
                    goto fail;
                }
                outer_name = json_string_value(v);
            } else if (strcmp(k, "config") != 0 && strcmp(k, "tasks") != 0 && strcmp(k, "type") != 0 &&
                       strcmp(k, "initial_state") != 0) {
                floe_err_set(err, FLOE_EINVAL, "'%s' is not a field of a connector (allowed: name, config)", k);
                goto fail;
            }
        }
    } else {
        cfg = root;
    }
    json_object_foreach(cfg, k, v) {
        floe_buf b;
        floe_buf_init(&b);
        if (json_is_string(v)) floe_buf_append(&b, json_string_value(v), json_string_length(v));
        else if (json_is_integer(v)) floe_buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v)) floe_fmt_double(json_real_value(v), &b);
        else if (json_is_boolean(v)) floe_buf_puts(&b, json_is_true(v) ? "true" : "false");
        else if (json_is_null(v)) continue; /* null: not set, as Connect reads it */
        else {
            floe_err_set(err, FLOE_EINVAL, "%s: a JSON %s is not a value (allowed: a string, number or boolean)", k,
                         json_is_object(v) ? "object" : "array");
            goto fail;
        }
        floe_props_set(&raw, k, floe_buf_cstr(&b));
        floe_buf_free(&b);
    }
    if (outer_name) {
        const char *inner = floe_props_get(&raw, "name");
        if (inner && strcmp(inner, outer_name) != 0) {
            floe_err_set(err, FLOE_EINVAL, "name: '%s' in config differs from the connector's name '%s'", inner,
                         outer_name);
            goto fail;
        }
        floe_props_set(&raw, "name", outer_name);
    }
    json_decref(root);
    c = floe_config_from_props(&raw, origin, err);
    floe_props_free(&raw);
    return c;
fail:
    json_decref(root);
    floe_props_free(&raw);
    return fail_origin(origin, err);
}

static int is_prop_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\f'; }

/* The next logical line of a .properties text, as java.util.Properties'
 * LineReader reads it: leading whitespace skipped, blank and comment lines
 * (# or !) skipped, a line ending in an odd number of backslashes joined
 * with the next (whose leading whitespace is skipped).  A comment line is
 * never continued.  *lineno counts natural lines; *first is the line the
 * logical line starts on.  0 at the end of the text. */
static int next_logical_line(const char *s, size_t n, size_t *pos, int *lineno, int *first, floe_buf *line) {
    size_t i = *pos;
    int skip_ws = 1, is_new = 1, comment = 0, continued = 0, backslash = 0, skip_lf = 0;
    line->len = 0;
    for (;;) {
        if (i >= n) {
            *pos = i;
            if (line->len == 0 || comment) return 0;
            if (backslash) line->len--;
            return 1;
        }
        char ch = s[i++];
        if (skip_lf) {
            skip_lf = 0;
            if (ch == '\n') continue;
        }
        if (skip_ws) {
            if (is_prop_space(ch)) continue;
            if (!continued && (ch == '\r' || ch == '\n')) {
                (*lineno)++;
                skip_lf = ch == '\r';
                continue;
            }
            skip_ws = 0;
            continued = 0;
        }
        if (is_new) {
            is_new = 0;
            *first = *lineno;
            if (ch == '#' || ch == '!') {
                comment = 1;
                continue;
            }
        }
        if (ch != '\n' && ch != '\r') {
            if (comment) continue;
            floe_buf_putc(line, (uint8_t)ch);
            backslash = ch == '\\' ? !backslash : 0;
            continue;
        }
        (*lineno)++;
        if (comment) {
            comment = 0;
            is_new = 1;
            skip_ws = 1;
            skip_lf = ch == '\r';
            continue;
        }
        if (backslash) {
            line->len--;
            skip_ws = 1;
            continued = 1;
            backslash = 0;
            skip_lf = ch == '\r';
            continue;
        }
        if (ch == '\r' && i < n && s[i] == '\n') i++;
        *pos = i;
        return 1;
    }
}

/* Decodes the escapes of s[0..n) (Properties.loadConvert): \t \n \r \f,
 * \uXXXX (UTF-16 code units; pairs combined), and \c for any other c. */
static int unescape_props(const char *s, size_t n, floe_buf *out, int line, floe_err *err) {
    out->len = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch != '\\') {
            floe_buf_putc(out, (uint8_t)ch);
            continue;
        }
        if (++i == n) break; /* a trailing lone backslash was a continuation */
        ch = s[i];
        if (ch != 'u') {
            floe_buf_putc(out, (uint8_t)(ch == 't' ? '\t' : ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 'f' ? '\f' : ch));
            continue;
        }
        uint32_t units[2];
        int nunits = 0;
        for (;;) {
            uint32_t u = 0;
            for (int k = 1; k <= 4; k++) {
                char h = i + (size_t)k < n ? s[i + (size_t)k] : '\0';
                int d = isdigit((unsigned char)h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                                                          : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
                if (d < 0) return floe_err_set(err, FLOE_EINVAL, "line %d: malformed \\uxxxx encoding", line);
                u = u << 4 | (uint32_t)d;
            }
            i += 4;
            units[nunits++] = u;
            /* A high surrogate must be followed by an escaped low one. */
            if (nunits == 1 && u >= 0xD800 && u <= 0xDBFF && i + 2 < n && s[i + 1] == '\\' && s[i + 2] == 'u') {
                i += 2;
                continue;
            }
            break;
        }
        uint32_t cp = units[0];
        if (nunits == 2 && units[1] >= 0xDC00 && units[1] <= 0xDFFF)
            cp = 0x10000 + ((units[0] - 0xD800) << 10) + (units[1] - 0xDC00);
        else if ((cp >= 0xD800 && cp <= 0xDFFF) || nunits == 2)
            return floe_err_set(err, FLOE_EINVAL, "line %d: \\u%04X is half of a UTF-16 surrogate pair", line,
                                (unsigned)units[0]);
        floe_utf8_put(out, cp);
    }
    return 0;
}

floe_config *floe_config_parse_properties(const char *text, size_t len, const char *origin, floe_err *err) {
    size_t bom = bom_length(text, len);
    text += bom;
    len -= bom;
    floe_buf latin1;
    floe_buf_init(&latin1);
    if (!floe_utf8_valid((const uint8_t *)text, len)) {
        /* Not UTF-8: read it as Java does, as ISO-8859-1. */
        for (size_t i = 0; i < len; i++) floe_utf8_put(&latin1, (unsigned char)text[i]);
        text = (const char *)latin1.data;
        len = latin1.len;
    }
    floe_props raw;
    floe_props_init(&raw);
    floe_buf line, key, value;
    floe_buf_init(&line);
    floe_buf_init(&key);
    floe_buf_init(&value);
    size_t pos = 0;
    int lineno = 1, first = 1, rc = 0;
    while (next_logical_line(text, len, &pos, &lineno, &first, &line)) {
        /* The key ends at the first unescaped '=', ':' or whitespace; then
         * whitespace, at most one '=' or ':', and whitespace again. */
        const char *s = (const char *)line.data;
        size_t n = line.len, klen = 0, vstart = n;
        int has_sep = 0, bs = 0;
        for (; klen < n; klen++) {
            char ch = s[klen];
            if ((ch == '=' || ch == ':') && !bs) {
                vstart = klen + 1;
                has_sep = 1;
                break;
            }
            if (is_prop_space(ch) && !bs) {
                vstart = klen + 1;
                break;
            }
            bs = ch == '\\' ? !bs : 0;
        }
        for (; vstart < n; vstart++) {
            char ch = s[vstart];
            if (is_prop_space(ch)) continue;
            if (!has_sep && (ch == '=' || ch == ':')) has_sep = 1;
            else break;
        }
        if (unescape_props(s, klen, &key, first, err) || unescape_props(s + vstart, n - vstart, &value, first, err)) {
            rc = -1;
            break;
        }
        floe_props_set(&raw, floe_buf_cstr(&key), floe_buf_cstr(&value));
    }
    floe_buf_free(&line);
    floe_buf_free(&key);
    floe_buf_free(&value);
    floe_buf_free(&latin1);
    floe_config *c = rc ? fail_origin(origin, err) : floe_config_from_props(&raw, origin, err);
    floe_props_free(&raw);
    return c;
}

floe_config *floe_config_load(const char *path, floe_err *err) {
    floe_fileio *io = floe_fileio_local();
    uint64_t size;
    if (io->size(io, path, &size, err)) return NULL;
    if (size > MAX_CONFIG_BYTES) {
        floe_err_set(err, FLOE_EINVAL, "%s: %llu bytes is too large for a configuration file (at most %u)", path,
                     (unsigned long long)size, MAX_CONFIG_BYTES);
        return NULL;
    }
    floe_buf b;
    floe_buf_init(&b);
    if (io->read(io, path, &b, err)) {
        floe_buf_free(&b);
        return NULL;
    }
    const char *s = (const char *)b.data;
    size_t i = bom_length(s, b.len);
    while (i < b.len && isspace((unsigned char)s[i])) i++;
    floe_config *c = i < b.len && s[i] == '{' ? floe_config_parse_json(s, b.len, path, err)
                                              : floe_config_parse_properties(s, b.len, path, err);
    floe_buf_free(&b);
    return c;
}

/* ---- printing ---------------------------------------------------------------- */

/* Appends s escaped for a .properties file: as a key (every space escaped)
 * or a value (only a leading space). */
static void put_props_escaped(floe_buf *out, const char *s, int is_key) {
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        switch (ch) {
        case '\\': floe_buf_puts(out, "\\\\"); continue;
        case '\t': floe_buf_puts(out, "\\t"); continue;
        case '\n': floe_buf_puts(out, "\\n"); continue;
        case '\r': floe_buf_puts(out, "\\r"); continue;
        case '\f': floe_buf_puts(out, "\\f"); continue;
        default: break;
        }
        if ((ch == ' ' && (is_key || p == s)) || (is_key && strchr("=:#!", ch)))
            floe_buf_putc(out, '\\');
        if (ch < 0x20) floe_buf_printf(out, "\\u%04X", ch);
        else floe_buf_putc(out, ch);
    }
}

/* The value to print: "****" for a secret; otherwise the value with the
 * password of a URI ("scheme://user:PASSWORD@" or "password=PASSWORD")
 * masked. */
static void mask_value(const char *key, const char *v, floe_buf *out) {
    if (floe_config_key_is_secret(key)) {
        floe_buf_puts(out, "****");
        return;
    }
    const char *scheme = strstr(v, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (colon && (!slash || at < slash)) {
        floe_buf_append(out, v, (size_t)(colon + 1 - v));
        floe_buf_puts(out, "****");
        v = at;
    }
    for (const char *pw; (pw = strstr(v, "password="));) {
        floe_buf_append(out, v, (size_t)(pw + 9 - v));
        floe_buf_puts(out, "****");
        v = pw + 9 + strcspn(pw + 9, "&");
    }
    floe_buf_puts(out, v);
}

static void put_entry(floe_buf *out, const char *prefix, const char *key, const char *v) {
    floe_buf m;
    floe_buf_init(&m);
    mask_value(key, v, &m);
    floe_buf_puts(out, prefix);
    put_props_escaped(out, key, 1);
    floe_buf_putc(out, '=');
    put_props_escaped(out, floe_buf_cstr(&m), 0);
    floe_buf_putc(out, '\n');
    floe_buf_free(&m);
}

static void put_bytes(floe_buf *out, int64_t v) {
    static const char *const sfx[] = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < 4; i++) {
        int shift = 40 - 10 * i;
        if (v > 0 && v % (1LL << shift) == 0) {
            floe_buf_printf(out, "%lld%s", (long long)(v >> shift), sfx[i]);
            return;
        }
    }
    floe_buf_printf(out, "%lld", (long long)v);
}

/* The effective value of an exact key as text: from its field when it has
 * one (so defaults and derived values show), else as configured; 0 when it
 * has none. */
static int effective_text(const floe_config *c, const key_desc *d, floe_buf *out) {
    const void *p = d->dest ? (const char *)c + d->dest - 1 : NULL;
    if (!p || d->type == T_STRING) {
        char *v = raw_value(c, d->name);
        const char *t = v ? v : d->def;
        if (t) floe_buf_puts(out, t);
        free(v);
        return t != NULL;
    }
    switch (d->type) {
    case T_INT:
    case T_LONG:
    case T_DURATION:
        if (*(const int64_t *)p < 0) return 0;
        floe_buf_printf(out, "%lld", (long long)*(const int64_t *)p);
        return 1;
    case T_BYTES:
        put_bytes(out, *(const int64_t *)p);
        return 1;
    case T_BOOL:
        if (*(const int *)p < 0) return 0;
        floe_buf_puts(out, *(const int *)p ? "true" : "false");
        return 1;
    case T_ENUM: {
        int idx = *(const int *)p;
        if (idx < 0) return 0;
        const char *a = d->allowed;
        for (int i = 0; i < idx; i++) a = strchr(a, '|') + 1;
        floe_buf_append(out, a, strcspn(a, "|"));
        return 1;
    }
    case T_LIST: {
        const floe_strlist *l = p;
        for (int i = 0; i < l->n; i++) floe_buf_printf(out, "%s%s", i ? "," : "", l->v[i]);
        return l->n > 0;
    }
    case T_REGEX:
        if (!((const floe_config_regex *)p)->text) return 0;
        floe_buf_puts(out, ((const floe_config_regex *)p)->text);
        return 1;
    default:
        return 0;
    }
}

static void put_table(floe_buf *out, const floe_config_table *t) {
    floe_buf_printf(out, "# table %s:", t->name ? t->name : "(any other)");
    if (t->route_regex.text) floe_buf_printf(out, " route-regex %s,", t->route_regex.text);
    floe_buf_printf(out, " partition-by %s, id-columns ", t->partition_by ? t->partition_by : "(none)");
    for (int i = 0; i < t->id_columns.n; i++) floe_buf_printf(out, "%s%s", i ? "," : "", t->id_columns.v[i]);
    if (!t->id_columns.n) floe_buf_puts(out, "(none)");
    floe_buf_printf(out, ", branch %s\n", t->commit_branch ? t->commit_branch : "main");
}

void floe_config_print(const floe_config *c, floe_buf *out) {
    floe_buf_puts(out, "# floe effective configuration: every key with its value or default; secrets masked\n");
    floe_buf v;
    floe_buf_init(&v);
    for (int i = 0; i < NKEYS; i++) {
        const key_desc *d = &KEYS[i];
        if (d->type == T_SECTION) {
            floe_buf_printf(out, "\n# ---- %s ----\n", d->name);
        } else if (d->type == T_PROPS || (d->flags & K_TABLE)) {
            for (int k = 0; k < c->raw.n; k++) {
                const char *key = c->raw.items[k].key, *t;
                size_t tn;
                int match = d->type == T_PROPS ? prefix_match(d, key) && !find_exact(key) : table_match(d, key, &t, &tn);
                if (match) put_entry(out, "", key, c->raw.items[k].value);
            }
        } else {
            floe_buf_reset(&v);
            if (effective_text(c, d, &v)) put_entry(out, "", d->name, floe_buf_cstr(&v));
        }
    }
    int header = 0;
    for (int k = 0; k < c->raw.n; k++) {
        const char *key = c->raw.items[k].key, *t;
        size_t tn;
        int known = find_exact(key) != NULL;
        for (int i = 0; i < NKEYS && !known; i++)
            known = KEYS[i].type == T_PROPS ? prefix_match(&KEYS[i], key) != 0
                    : (KEYS[i].flags & K_TABLE) ? table_match(&KEYS[i], key, &t, &tn) : 0;
        if (known) continue;
        if (!header) floe_buf_puts(out, "\n# ---- unknown keys (ignored) ----\n");
        header = 1;
        put_entry(out, "# ", key, c->raw.items[k].value);
    }
    floe_buf_puts(out, "\n# ---- resolved ----\n");
    floe_buf_reset(&v);
    mask_value("catalog", c->catalog_uri, &v);
    floe_buf_printf(out, "# catalog %s, warehouse %s\n", floe_buf_cstr(&v), c->warehouse ? c->warehouse : "(none)");
    floe_buf_printf(out, "# commit every %lld ms", (long long)c->commit_interval_ms);
    if (c->commit_bytes) floe_buf_printf(out, ", or at %lld bytes", (long long)c->commit_bytes);
    if (c->commit_records) floe_buf_printf(out, ", or at %lld records", (long long)c->commit_records);
    floe_buf_putc(out, '\n');
    for (int k = 0; k < c->kafka.n; k++) put_entry(out, "# kafka ", c->kafka.items[k].key, c->kafka.items[k].value);
    for (int i = 0; i < c->ntables; i++) put_table(out, &c->tables[i]);
    if (c->dynamic_enabled || c->ntables == 0 || c->table_defaults.partition_by || c->table_defaults.id_columns.n ||
        c->table_defaults.commit_branch)
        put_table(out, &c->table_defaults);
    floe_buf_free(&v);
}

/* ---- the documentation --------------------------------------------------------- */

static void put_md(floe_buf *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|') floe_buf_putc(out, '\\');
        floe_buf_putc(out, (uint8_t)*s);
    }
}

static const char *type_name(const key_desc *d) {
    static const char *const names[] = {"", "string", "int", "long", "boolean", "list", "duration", "bytes",
                                        "enum", "regex", "prefix"};
    return names[d->type];
}

void floe_config_docs(floe_buf *out) {
    for (int i = 0; i < NKEYS; i++) {
        const key_desc *d = &KEYS[i];
        if (d->type == T_SECTION) {
            floe_buf_printf(out, "%s### %s\n\n", i ? "\n" : "", d->name);
            put_md(out, d->doc);
            floe_buf_puts(out, "\n\n| Key | Type | Default | Description |\n|---|---|---|---|\n");
            continue;
        }
        floe_buf_puts(out, "| `");
        put_md(out, d->name);
        floe_buf_printf(out, "` | %s | ", type_name(d));
        if (d->def) {
            floe_buf_putc(out, '`');
            put_md(out, d->def);
            floe_buf_putc(out, '`');
        } else if (d->def_doc) {
            put_md(out, d->def_doc);
        } else if (d->flags & K_TABLE) {
            const char *suffix = strstr(d->name, "<table>.") + strlen("<table>.");
            char def_key[128];
            snprintf(def_key, sizeof def_key, "iceberg.tables.default-%s", suffix);
            if (find_exact(def_key)) floe_buf_printf(out, "`%s`", def_key);
            else floe_buf_puts(out, "not set");
        } else {
            floe_buf_puts(out, "not set");
        }
        floe_buf_puts(out, " | ");
        if (d->flags & K_IGNORED) floe_buf_puts(out, "*Accepted, no effect.* ");
        if (d->flags & K_WARN) floe_buf_puts(out, "*Accepted with a warning, no effect.* ");
        put_md(out, d->doc);
        if (d->type == T_ENUM) {
            floe_buf_puts(out, " One of ");
            enum_list(d->allowed, ", ", "`", out);
            floe_buf_putc(out, '.');
        }
        if (d->max && (d->type == T_INT || d->type == T_LONG || d->type == T_DURATION || d->type == T_BYTES)) {
            int open = d->max == INT64_MAX || (d->type == T_INT && d->max == INT32_MAX);
            if (open) floe_buf_printf(out, " At least %lld.", (long long)d->min);
            else floe_buf_printf(out, " From %lld to %lld.", (long long)d->min, (long long)d->max);
        }
        if (floe_config_key_is_secret(d->name)) floe_buf_puts(out, " Masked when printed.");
        floe_buf_puts(out, " |\n");
    }
}
