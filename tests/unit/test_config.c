/*
 * test_config.c — the `floe run` configuration (src/pipeline/config.c):
 * the Kafka Connect Iceberg sink's own examples load with no warnings and
 * the connector's defaults; every kind of invalid value is an error naming
 * the key, the value and what is allowed; unknown keys are warnings;
 * java.util.Properties syntax; Java regexes; catalog and Kafka mapping;
 * --print-config masks secrets and reads back; docs/config.md matches the
 * key table (FLOE_UPDATE_DOCS=1 rewrites its generated part).
 */
#include "pipeline/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define BASE "topics=events\niceberg.tables=db.events\n"

static floe_config *props(const char *text, floe_err *err) {
    return floe_config_parse_properties(text, strlen(text), NULL, err);
}

static floe_config *json(const char *text, floe_err *err) {
    return floe_config_parse_json(text, strlen(text), NULL, err);
}

static int has_warning(const floe_config *c, const char *needle) {
    for (int i = 0; i < c->nwarnings; i++)
        if (strstr(c->warnings[i], needle)) return 1;
    return 0;
}

/* Loading `text` (properties) fails with a message containing `want`. */
static void expect_error_(const char *text, const char *want, int line) {
    floe_err err = {0};
    floe_config *c = props(text, &err);
    if (c || err.code != FLOE_EINVAL || !strstr(err.msg, want)) {
        fprintf(stderr, "  line %d: expected an error containing \"%s\", got %s \"%s\"\n", line, want,
                c ? "success" : "error", err.msg);
        test_failed_checks_++;
    }
    floe_config_free(c);
}
#define expect_error(text, want) expect_error_(text, want, __LINE__)

static void print_cfg(const floe_config *c, floe_buf *out) {
    out->len = 0;
    floe_config_print(c, out);
    floe_buf_cstr(out);
}

/* ---- the connector's own examples ------------------------------------------------- */

static void check_static_example(const floe_config *c) {
    CHECK_EQ_INT(c->nwarnings, 0);
    for (int i = 0; i < c->nwarnings; i++) fprintf(stderr, "  warning: %s\n", c->warnings[i]);
    CHECK_EQ_STR(c->name, "events-sink");
    CHECK_EQ_INT(c->topics.n, 1);
    CHECK_EQ_STR(c->topics.v[0], "events");
    CHECK(c->topics_regex.text == NULL);
    CHECK(floe_config_topic_matches(c, "events"));
    CHECK(!floe_config_topic_matches(c, "events2"));
    CHECK_EQ_INT(c->ntables, 2);
    CHECK_EQ_STR(c->route_field, "type");
    CHECK_EQ_INT(c->dynamic_enabled, 0);
    const floe_config_table *list = floe_config_table_get(c, "default.events_list");
    const floe_config_table *create = floe_config_table_get(c, "default.events_create");
    CHECK_EQ_STR(list->name, "default.events_list");
    CHECK(list->listed && create->listed);
    CHECK(floe_config_regex_match(&list->route_regex, "list"));
    CHECK(!floe_config_regex_match(&list->route_regex, "lists")); /* whole-string match, as Java's matches() */
    CHECK(!floe_config_regex_match(&list->route_regex, "create"));
    CHECK(floe_config_regex_match(&create->route_regex, "create"));
    CHECK(list->partition_by == NULL && list->commit_branch == NULL && list->id_columns.n == 0);
    /* The connector's documented defaults. */
    CHECK_EQ_INT(c->connect_commit_interval_ms, 300000);
    CHECK_EQ_INT(c->commit_interval_ms, 300000);
    CHECK_EQ_INT(c->floe_commit_interval_ms, -1);
    CHECK_EQ_INT(c->auto_create, 0);
    CHECK_EQ_INT(c->evolve_schema, 0);
    CHECK_EQ_INT(c->schema_force_optional, 0);
    CHECK_EQ_INT(c->schema_case_insensitive, 0);
    CHECK_EQ_INT(c->errors_tolerance, FLOE_TOLERANCE_NONE);
    CHECK_EQ_INT(c->value_schemas_enable, 0);
    CHECK_EQ_STR(c->catalog_name, "iceberg");
    CHECK_EQ_INT(c->catalog_type, FLOE_CATALOG_TYPE_REST);
    CHECK_EQ_STR(c->catalog_uri, "https://localhost");
    CHECK_EQ_STR(c->warehouse, "<warehouse name>");
    CHECK_EQ_STR(floe_props_get(&c->catalog_props, "credential"), "<credential>");
    CHECK_EQ_STR(floe_props_get(&c->catalog_props, "type"), "rest");
    CHECK_EQ_STR(floe_props_get(&c->catalog_props, "catalog-name"), "iceberg");
    /* Kafka: Connect's sink consumer defaults. */
    CHECK_EQ_STR(floe_props_get(&c->kafka, "bootstrap.servers"), "localhost:9092");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "group.id"), "connect-events-sink");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "auto.offset.reset"), "earliest");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "enable.auto.commit"), "false");
    /* floe's defaults. */
    CHECK_EQ_INT(c->memory_budget, 256 << 20);
    CHECK_EQ_STR(c->metrics_listen, "127.0.0.1:9464");
    CHECK_EQ_INT(c->log_format, FLOE_LOG_PLAIN);
    CHECK_EQ_INT(c->dlq_mode, FLOE_DLQ_TABLE);
    CHECK_EQ_INT(c->metadata_columns, 0);
    CHECK_EQ_INT(c->commit_bytes, 0);
    CHECK_EQ_INT(c->commit_records, 0);
}

TEST(examples_load_with_connector_defaults) {
    floe_err err = {0};
    floe_config *j = floe_config_load("examples/connector.json", &err);
    CHECK_OK(j ? 0 : -1, &err);
    floe_config *p = floe_config_load("examples/connector.properties", &err);
    CHECK_OK(p ? 0 : -1, &err);
    if (!j || !p) {
        floe_config_free(j);
        floe_config_free(p);
        return;
    }
    check_static_example(j);
    check_static_example(p);
    /* The two spellings are one configuration. */
    floe_buf a = {0}, b = {0};
    print_cfg(j, &a);
    print_cfg(p, &b);
    CHECK_EQ_STR((char *)a.data, (char *)b.data);
    floe_buf_free(&a);
    floe_buf_free(&b);
    floe_config_free(j);
    floe_config_free(p);
}

TEST(other_connector_doc_examples) {
    floe_err err = {0};
    /* "Single destination table" and "Multi-table fan-out, dynamic routing". */
    floe_config *c = json("{\"name\": \"events-sink\", \"config\": {"
                          "\"connector.class\": \"org.apache.iceberg.connect.IcebergSinkConnector\","
                          "\"tasks.max\": \"2\", \"topics\": \"events\", \"iceberg.tables\": \"default.events\","
                          "\"iceberg.catalog.type\": \"rest\", \"iceberg.catalog.uri\": \"https://localhost\","
                          "\"iceberg.catalog.credential\": \"<credential>\","
                          "\"iceberg.catalog.warehouse\": \"<warehouse name>\"}}",
                          &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) CHECK_EQ_INT(c->nwarnings, 0);
    floe_config_free(c);
    c = json("{\"name\": \"events-sink\", \"config\": {"
             "\"connector.class\": \"org.apache.iceberg.connect.IcebergSinkConnector\","
             "\"tasks.max\": \"2\", \"topics\": \"events\", \"iceberg.tables.dynamic-enabled\": \"true\","
             "\"iceberg.tables.route-field\": \"db_table\", \"iceberg.catalog.type\": \"rest\","
             "\"iceberg.catalog.uri\": \"https://localhost\", \"iceberg.catalog.credential\": \"<credential>\","
             "\"iceberg.catalog.warehouse\": \"<warehouse name>\"}}",
             &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_INT(c->nwarnings, 0);
        CHECK_EQ_INT(c->dynamic_enabled, 1);
        CHECK_EQ_STR(c->route_field, "db_table");
        CHECK_EQ_INT(c->ntables, 0);
        CHECK(floe_config_table_get(c, "default.anything") == &c->table_defaults);
    }
    floe_config_free(c);
}

TEST(minimal_config_uses_embedded_catalog) {
    floe_err err = {0};
    floe_config *c = props(BASE, &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    CHECK_EQ_INT(c->nwarnings, 0);
    CHECK_EQ_STR(c->name, "floe");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "group.id"), "connect-floe");
    CHECK_EQ_INT(c->catalog_type, -1);
    CHECK_EQ_STR(c->catalog_uri, "sqlite:./warehouse/catalog.db");
    CHECK_EQ_STR(c->warehouse, "./warehouse");
    floe_config_free(c);
    c = props(BASE "iceberg.catalog.warehouse=/data/wh\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) CHECK_EQ_STR(c->catalog_uri, "sqlite:/data/wh/catalog.db");
    floe_config_free(c);
}

/* ---- validation ------------------------------------------------------------------ */

TEST(invalid_values_name_key_value_and_allowed) {
    expect_error(BASE "iceberg.control.commit.interval-ms=abc\n",
                 "iceberg.control.commit.interval-ms: 'abc' is not an integer");
    expect_error(BASE "iceberg.control.commit.interval-ms=0\n",
                 "iceberg.control.commit.interval-ms: '0' is out of range (allowed: at least 1)");
    expect_error(BASE "iceberg.control.commit.interval-ms=3000000000\n", "'3000000000' is out of range");
    expect_error(BASE "iceberg.control.commit.threads=-2\n", "iceberg.control.commit.threads: '-2' is out of range");
    expect_error(BASE "tasks.max=0\n", "tasks.max: '0' is out of range (allowed: at least 1)");
    expect_error(BASE "errors.deadletterqueue.topic.replication.factor=40000\n",
                 "'40000' is out of range (allowed: -1 to 32767)");
    expect_error(BASE "iceberg.tables.auto-create-enabled=yes\n",
                 "iceberg.tables.auto-create-enabled: 'yes' is not a boolean (allowed: true, false)");
    expect_error(BASE "errors.tolerance=some\n", "errors.tolerance: 'some' is not one of: none, all");
    expect_error(BASE "floe.dlq.mode=kafka\n", "floe.dlq.mode: 'kafka' is not one of: table, drop");
    expect_error(BASE "floe.log.format=xml\n", "floe.log.format: 'xml' is not one of: plain, json");
    expect_error(BASE "floe.memory.budget-bytes=1MiB\n",
                 "floe.memory.budget-bytes: '1MiB' is out of range (allowed: at least 16777216)");
    expect_error(BASE "floe.memory.budget-bytes=12zz\n", "floe.memory.budget-bytes: '12zz' is not a size");
    expect_error(BASE "floe.commit.bytes=-5\n", "floe.commit.bytes: '-5' is not a size");
    expect_error(BASE "floe.commit.records=many\n", "floe.commit.records: 'many' is not an integer");
    expect_error(BASE "floe.commit.interval-ms=5x\n", "floe.commit.interval-ms: '5x' is not a duration");
    expect_error(BASE "floe.metrics.listen=localhost\n", "floe.metrics.listen: 'localhost' is not a listen address");
    expect_error(BASE "floe.metrics.listen=0.0.0.0:99999\n", "is not a listen address");
    expect_error(BASE "floe.metrics.listen=::1:9464\n", "is not a listen address");
    expect_error(BASE "floe.kafka.metadata-columns=topic,bogus\n",
                 "floe.kafka.metadata-columns: 'bogus' is not supported (allowed: none, all, topic, partition, "
                 "offset, timestamp, key, headers)");
    expect_error(BASE "floe.kafka.metadata-columns=none,topic\n", "'none' cannot be combined");
    /* Connect keys floe validates. */
    expect_error(BASE "value.converter=io.confluent.connect.avro.AvroConverter\n",
                 "value.converter: 'io.confluent.connect.avro.AvroConverter' is not supported (allowed: "
                 "org.apache.kafka.connect.json.JsonConverter)");
    expect_error(BASE "key.converter=io.confluent.connect.avro.AvroConverter\n",
                 "key.converter: 'io.confluent.connect.avro.AvroConverter' is not supported");
    expect_error(BASE "connector.class=io.confluent.connect.s3.S3SinkConnector\n",
                 "connector.class: 'io.confluent.connect.s3.S3SinkConnector' is not supported");
    expect_error(BASE "transforms=insertField\n", "transforms: 'insertField': floe runs no single message transforms");
    /* Names and lists. */
    expect_error("topics=my topic\niceberg.tables=db.t\n", "topics: 'my topic' is not a Kafka topic name");
    expect_error("topics=a,,b\niceberg.tables=db.t\n", "topics: 'a,,b' has an empty item");
    expect_error("topics=a\niceberg.tables=db..t\n", "iceberg.tables: 'db..t' is not a table name");
    expect_error("topics=a\niceberg.tables=db.t,db.t\n", "iceberg.tables: 'db.t' is listed twice");
    expect_error(BASE "iceberg.table.db.events.partition-by=day(ts\n",
                 "iceberg.table.db.events.partition-by: 'day(ts' has unbalanced parentheses");
    expect_error(BASE "iceberg.table.db..x.commit-branch=b\n",
                 "iceberg.table.db..x.commit-branch: 'db..x' is not a table name");
    expect_error(BASE "iceberg.tables.default-partition-by=a,,b\n",
                 "iceberg.tables.default-partition-by: 'a,,b' has an empty partition term");
}

TEST(rules_across_keys) {
    expect_error("topics=a\n", "no destination tables: set iceberg.tables");
    expect_error("topics=a\niceberg.tables.dynamic-enabled=true\n",
                 "iceberg.tables.dynamic-enabled=true needs iceberg.tables.route-field");
    expect_error("topics=a\niceberg.tables=db.t\niceberg.tables.dynamic-enabled=true\niceberg.tables.route-field=x\n",
                 "iceberg.tables and iceberg.tables.dynamic-enabled=true are both set");
    expect_error("iceberg.tables=db.t\n", "neither topics nor topics.regex is set");
    expect_error(BASE "topics.regex=ev.*\n", "topics and topics.regex are both set");
    /* topics may be empty when topics.regex is used. */
    floe_err err = {0};
    floe_config *c = props("topics=\ntopics.regex=ev.*\niceberg.tables=db.t\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    floe_config_free(c);
}

TEST(catalog_mapping) {
    expect_error(BASE "iceberg.catalog.type=hive\n", "iceberg.catalog.type: 'hive' is not one of: rest, jdbc");
    expect_error(BASE "iceberg.catalog.type=rest\n", "iceberg.catalog.type=rest needs iceberg.catalog.uri");
    expect_error(BASE "iceberg.catalog.type=rest\niceberg.catalog.uri=thrift://h:9083\n",
                 "iceberg.catalog.uri: 'thrift://h:9083' is not a REST catalog URL");
    expect_error(BASE "iceberg.catalog.uri=thrift://h:9083\n", "iceberg.catalog.uri: 'thrift://h:9083' is not a catalog URI");
    expect_error(BASE "iceberg.catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog\n",
                 "iceberg.catalog.catalog-impl: 'org.apache.iceberg.aws.glue.GlueCatalog' is not supported");
    expect_error(BASE "iceberg.catalog.type=rest\niceberg.catalog.catalog-impl=org.apache.iceberg.rest.RESTCatalog\n"
                      "iceberg.catalog.uri=http://x\n",
                 "iceberg.catalog.type and iceberg.catalog.catalog-impl are both set");
    expect_error(BASE "iceberg.catalog.warehouse=s3://bucket/wh\n", "iceberg.catalog.warehouse: 's3://bucket/wh' is not local");
    expect_error(BASE "iceberg.catalog.type=jdbc\niceberg.catalog.uri=jdbc:mysql://h/db\n",
                 "iceberg.catalog.uri: 'jdbc:mysql://h/db' is not a JDBC URI floe can open");

    floe_err err = {0};
    floe_config *c = props(BASE "iceberg.catalog.type=jdbc\niceberg.catalog.uri=jdbc:sqlite:file:/tmp/c.db?mode=rwc\n"
                                "iceberg.catalog.warehouse=/tmp/wh\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(c->catalog_uri, "sqlite:/tmp/c.db");
        CHECK_EQ_STR(c->warehouse, "/tmp/wh");
    }
    floe_config_free(c);
    /* Type inferred from the URI; user and password become libpq parameters. */
    c = props(BASE "iceberg.catalog=prod\niceberg.catalog.uri=jdbc:postgresql://db:5432/cat\n"
                   "iceberg.catalog.jdbc.user=floe\niceberg.catalog.jdbc.password=p@ss word\n",
              &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(c->catalog_uri, "postgresql://db:5432/cat?user=floe&password=p%40ss%20word");
        CHECK_EQ_STR(c->warehouse, "./warehouse");
        CHECK_EQ_STR(floe_props_get(&c->catalog_props, "catalog-name"), "prod");
    }
    floe_config_free(c);
    c = props(BASE "iceberg.catalog.catalog-impl=org.apache.iceberg.rest.RESTCatalog\n"
                   "iceberg.catalog.uri=http://rest:8181/api\n",
              &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(c->catalog_uri, "http://rest:8181/api");
        CHECK(c->warehouse == NULL);
    }
    floe_config_free(c);
}

TEST(kafka_settings) {
    floe_err err = {0};
    floe_config *c = props(BASE "bootstrap.servers=a:1\niceberg.kafka.bootstrap.servers=b:2\n"
                                "iceberg.kafka.security.protocol=SASL_SSL\niceberg.kafka.sasl.mechanism=PLAIN\n"
                                "iceberg.kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
                                "required username=\"alice\" password=\"s3cr\\\\\"et\";\n"
                                "consumer.override.bootstrap.servers=c:3\nconsumer.override.max.poll.records=500\n"
                                "consumer.override.auto.offset.reset=latest\niceberg.connect.group-id=g1\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    CHECK_EQ_STR(floe_props_get(&c->kafka, "bootstrap.servers"), "c:3");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "group.id"), "g1");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "security.protocol"), "SASL_SSL");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "auto.offset.reset"), "latest");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "sasl.username"), "alice");
    CHECK_EQ_STR(floe_props_get(&c->kafka, "sasl.password"), "s3cr\"et");
    CHECK(floe_props_get(&c->kafka, "sasl.jaas.config") == NULL);
    CHECK(floe_props_get(&c->kafka, "max.poll.records") == NULL);
    CHECK(has_warning(c, "consumer.override.max.poll.records: a Java client setting librdkafka does not have"));
    CHECK_EQ_INT(c->nwarnings, 1);
    floe_config_free(c);

    c = props(BASE "consumer.override.group.id=h\niceberg.kafka.client.id=x\nkafka.client.id=y\n"
                   "kafka.fetch.wait.max.ms=50\n",
              &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(floe_props_get(&c->kafka, "group.id"), "h");
        CHECK_EQ_STR(floe_props_get(&c->kafka, "client.id"), "y");
        CHECK_EQ_STR(floe_props_get(&c->kafka, "fetch.wait.max.ms"), "50");
        CHECK_EQ_INT(c->nwarnings, 0);
    }
    floe_config_free(c);

    expect_error(BASE "consumer.override.enable.auto.commit=true\n",
                 "consumer.override.enable.auto.commit: 'true' is not allowed (allowed: false)");
    /* A login floe cannot translate is an error that does not show it. */
    c = props(BASE "iceberg.kafka.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                   "required clientSecret=\"hunter2\";\n",
              &err);
    CHECK(c == NULL);
    CHECK(strstr(err.msg, "iceberg.kafka.sasl.jaas.config: only PlainLoginModule and ScramLoginModule") != NULL);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    floe_config_free(c);
}

TEST(floe_keys_and_overrides) {
    floe_err err = {0};
    floe_config *c = props(BASE "floe.commit.interval-ms=10s\nfloe.commit.bytes=128MiB\nfloe.commit.records=100000\n"
                                "floe.memory.budget-bytes=1g\nfloe.metrics.listen=off\nfloe.log.format=JSON\n"
                                "floe.dlq.mode=drop\nfloe.kafka.metadata-columns=topic, offset,headers\n"
                                "errors.tolerance=all\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    CHECK_EQ_INT(c->nwarnings, 0);
    CHECK_EQ_INT(c->commit_interval_ms, 10000);
    CHECK_EQ_INT(c->connect_commit_interval_ms, 300000);
    CHECK_EQ_INT(c->commit_bytes, 128 << 20);
    CHECK_EQ_INT(c->commit_records, 100000);
    CHECK_EQ_INT(c->memory_budget, 1 << 30);
    CHECK(c->metrics_listen == NULL);
    CHECK_EQ_INT(c->log_format, FLOE_LOG_JSON);
    CHECK_EQ_INT(c->dlq_mode, FLOE_DLQ_DROP);
    CHECK_EQ_INT(c->metadata_columns, FLOE_META_TOPIC | FLOE_META_OFFSET | FLOE_META_HEADERS);
    CHECK_EQ_INT(c->errors_tolerance, FLOE_TOLERANCE_ALL);
    CHECK_EQ_INT(c->value_schemas_enable, 1); /* JsonConverter's own default */
    floe_config_free(c);

    c = props(BASE "floe.kafka.metadata-columns=all\nfloe.metrics.listen=[::1]:9000\n"
                   "value.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter.schemas.enable=false\n",
              &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_INT(c->metadata_columns, 63);
        CHECK_EQ_STR(c->metrics_listen, "[::1]:9000");
        CHECK_EQ_INT(c->value_schemas_enable, 0);
    }
    floe_config_free(c);
}

TEST(per_table_settings_and_defaults) {
    floe_err err = {0};
    floe_config *c = props("topics=events\niceberg.tables.dynamic-enabled=true\niceberg.tables.route-field=meta.table\n"
                           "iceberg.tables.default-partition-by=day(ts), bucket(id, 16)\n"
                           "iceberg.tables.default-id-columns=id\niceberg.tables.default-commit-branch=ingest\n"
                           "iceberg.table.db.clicks.partition-by=hour(ts)\niceberg.table.db.clicks.id-columns=id, seq\n"
                           "iceberg.tables.auto-create-enabled=true\n"
                           "iceberg.tables.auto-create-props.format-version=2\n"
                           "iceberg.tables.write-props.write.target-file-size-bytes=134217728\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    CHECK_EQ_INT(c->nwarnings, 0);
    const floe_config_table *clicks = floe_config_table_get(c, "db.clicks");
    CHECK_EQ_STR(clicks->name, "db.clicks");
    CHECK_EQ_INT(clicks->listed, 0);
    CHECK_EQ_STR(clicks->partition_by, "hour(ts)");
    CHECK_EQ_INT(clicks->id_columns.n, 2);
    if (clicks->id_columns.n == 2) CHECK_EQ_STR(clicks->id_columns.v[1], "seq");
    CHECK_EQ_STR(clicks->commit_branch, "ingest");
    const floe_config_table *other = floe_config_table_get(c, "db.views");
    CHECK(other->name == NULL);
    CHECK_EQ_STR(other->partition_by, "day(ts), bucket(id, 16)");
    CHECK_EQ_INT(other->id_columns.n, 1);
    CHECK_EQ_STR(other->commit_branch, "ingest");
    CHECK_EQ_INT(c->auto_create, 1);
    CHECK_EQ_STR(floe_props_get(&c->auto_create_props, "format-version"), "2");
    CHECK_EQ_STR(floe_props_get(&c->write_props, "write.target-file-size-bytes"), "134217728");
    floe_config_free(c);
}

/* ---- warnings -------------------------------------------------------------------- */

TEST(unknown_and_unhonoured_keys_warn) {
    floe_err err = {0};
    floe_config *c = props(BASE "iceberg.tables.auto-create-enable=true\nfoo.bar=1\n"
                                "errors.deadletterqueue.topic.name=dlq\niceberg.hadoop.fs.s3a.endpoint=x\n"
                                "iceberg.table.db.other.partition-by=day(ts)\n"
                                "iceberg.table.db.events.route-regex=click.*\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    CHECK(has_warning(c, "unknown key 'iceberg.tables.auto-create-enable' (ignored; did you mean "
                         "'iceberg.tables.auto-create-enabled'?)"));
    CHECK(has_warning(c, "unknown key 'foo.bar' (ignored)"));
    CHECK(has_warning(c, "errors.deadletterqueue.topic.name: ignored: floe does not produce dead letters"));
    CHECK(has_warning(c, "iceberg.hadoop.fs.s3a.endpoint: ignored: floe has no Hadoop configuration"));
    CHECK(has_warning(c, "iceberg.table.db.other.partition-by: table 'db.other' is not in iceberg.tables"));
    CHECK(has_warning(c, "iceberg.table.db.events.route-regex: has no effect without iceberg.tables.route-field"));
    CHECK_EQ_INT(c->nwarnings, 6);
    CHECK_EQ_INT(c->auto_create, 0); /* the misspelt key did nothing */
    floe_config_free(c);

    /* A listed table without a route-regex gets nothing once routing is on. */
    c = props("topics=e\niceberg.tables=db.a,db.b\niceberg.tables.route-field=kind\n"
              "iceberg.table.db.a.route-regex=a\n",
              &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK(has_warning(c, "iceberg.tables: 'db.b' has no iceberg.table.db.b.route-regex"));
        CHECK_EQ_INT(c->nwarnings, 1);
    }
    floe_config_free(c);

    /* Warnings and errors name the file they come from. */
    const char *text = BASE "bogus=1\n";
    c = floe_config_parse_properties(text, strlen(text), "sink.properties", &err);
    CHECK(c && c->nwarnings == 1 && strncmp(c->warnings[0], "sink.properties: unknown key 'bogus'", 36) == 0);
    floe_config_free(c);
    text = BASE "tasks.max=x\n";
    c = floe_config_parse_properties(text, strlen(text), "sink.properties", &err);
    CHECK(c == NULL);
    CHECK_EQ_STR(err.msg, "sink.properties: tasks.max: 'x' is not an integer");
}

/* ---- regular expressions --------------------------------------------------------- */

static int topic_regex_matches(const char *regex, const char *topic) {
    char text[512];
    snprintf(text, sizeof text, "topics.regex=%s\niceberg.tables=db.t\n", regex);
    floe_err err = {0};
    floe_config *c = props(text, &err);
    if (!c) {
        fprintf(stderr, "  %s: %s\n", regex, err.msg);
        return -1;
    }
    int m = floe_config_topic_matches(c, topic);
    floe_config_free(c);
    return m;
}

TEST(java_regexes) {
    CHECK_EQ_INT(topic_regex_matches("events\\\\.\\\\d+", "events.12"), 1);
    CHECK_EQ_INT(topic_regex_matches("events\\\\.\\\\d+", "events.x"), 0);
    CHECK_EQ_INT(topic_regex_matches("events\\\\.\\\\d+", "xevents.1"), 0); /* anchored */
    CHECK_EQ_INT(topic_regex_matches("events\\\\.\\\\d+", "events.1x"), 0);
    CHECK_EQ_INT(topic_regex_matches("(?i)EVENTS-.*", "events-a"), 1);
    CHECK_EQ_INT(topic_regex_matches("[\\\\w-]+\\\\.raw", "web-1.raw"), 1);
    CHECK_EQ_INT(topic_regex_matches("[\\\\w-]+\\\\.raw", "web 1.raw"), 0);
    CHECK_EQ_INT(topic_regex_matches("a.*?b", "axxb"), 1);
    CHECK_EQ_INT(topic_regex_matches("(?:ab)+", "abab"), 1);
    CHECK_EQ_INT(topic_regex_matches("x\\\\Sy", "x-y"), 1);
    CHECK_EQ_INT(topic_regex_matches("x\\\\Sy", "x y"), 0);
    CHECK_EQ_INT(topic_regex_matches("a|b", "b"), 1);
    CHECK_EQ_INT(topic_regex_matches("a|b", "ab"), 0);
    CHECK_EQ_INT(topic_regex_matches("v[0-9]{2,3}", "v123"), 1);
    expect_error("topics.regex=events\\\\p{L}\niceberg.tables=db.t\n",
                 "topics.regex: 'events\\p{L}': '\\p' is Java syntax with no POSIX equivalent");
    expect_error("topics.regex=(?=x)x\niceberg.tables=db.t\n", "'(?' groups (lookaround, inline flags, named groups)");
    expect_error("topics.regex=a*+\niceberg.tables=db.t\n", "possessive quantifiers");
    expect_error("topics.regex=[a-z&&[^b]]\niceberg.tables=db.t\n", "'&&' (class intersection)");
    expect_error("topics.regex=[\\\\]a]\niceberg.tables=db.t\n", "an escaped ']'");
    expect_error("topics.regex=ab(\niceberg.tables=db.t\n", "topics.regex: 'ab(' is not a valid regular expression");
    expect_error("topics.regex=[ab\niceberg.tables=db.t\n", "a '[' is not closed");
}

/* ---- file formats ---------------------------------------------------------------- */

TEST(properties_syntax) {
    const char *text = "# comment ending in a backslash \\\n"
                       "not.continued=1\n"
                       "! bang comment\n"
                       "   leading.ws   =   value with trailing space \n"
                       "key\\ with\\ spaces = x\n"
                       "colon.sep: y\n"
                       "space.sep z\n"
                       "eq.then.colon = :w\n"
                       "multi = a\\\n"
                       "        b\\\n"
                       "   c\n"
                       "escapes = t\\tn\\n \\u00e9 \\uD83D\\uDE00 \\\\ \\: \\= \\q\n"
                       "empty.value=\n"
                       "key.only\n"
                       "crlf=1\r\n"
                       "cr.only=2\r"
                       "continued.cr=a\\\r   b\r\n"
                       "\t\f  \n"
                       "dup=first\n"
                       "dup=second\n"
                       "not.comment=a\\\n"
                       "#b\n"
                       "topics=events\n"
                       "iceberg.tables=db.events\n"
                       "last=end\\";
    floe_err err = {0};
    floe_config *c = props(text, &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    const floe_props *r = &c->raw;
    CHECK_EQ_STR(floe_props_get(r, "not.continued"), "1");
    CHECK_EQ_STR(floe_props_get(r, "leading.ws"), "value with trailing space ");
    CHECK_EQ_STR(floe_props_get(r, "key with spaces"), "x");
    CHECK_EQ_STR(floe_props_get(r, "colon.sep"), "y");
    CHECK_EQ_STR(floe_props_get(r, "space.sep"), "z");
    CHECK_EQ_STR(floe_props_get(r, "eq.then.colon"), ":w");
    CHECK_EQ_STR(floe_props_get(r, "multi"), "abc");
    CHECK_EQ_STR(floe_props_get(r, "escapes"), "t\tn\n \xc3\xa9 \xf0\x9f\x98\x80 \\ : = q");
    CHECK_EQ_STR(floe_props_get(r, "empty.value"), "");
    CHECK_EQ_STR(floe_props_get(r, "key.only"), "");
    CHECK_EQ_STR(floe_props_get(r, "crlf"), "1");
    CHECK_EQ_STR(floe_props_get(r, "cr.only"), "2");
    CHECK_EQ_STR(floe_props_get(r, "continued.cr"), "ab");
    CHECK_EQ_STR(floe_props_get(r, "dup"), "second");
    CHECK_EQ_STR(floe_props_get(r, "not.comment"), "a#b");
    CHECK_EQ_STR(floe_props_get(r, "last"), "end");
    CHECK(floe_props_get(r, "# comment ending in a backslash") == NULL);
    CHECK_EQ_INT(r->n, 18);
    floe_config_free(c);

    /* ISO-8859-1 (Java's encoding) when the text is not UTF-8; a BOM is skipped. */
    c = props("\xef\xbb\xbftopics=events\niceberg.tables=db.events\nname=caf\xe9\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(floe_props_get(&c->raw, "topics"), "events");
        CHECK_EQ_STR(c->name, "caf\xc3\xa9");
    }
    floe_config_free(c);
    c = props("topics=events\niceberg.tables=db.events\nname=caf\xc3\xa9\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) CHECK_EQ_STR(c->name, "caf\xc3\xa9");
    floe_config_free(c);

    expect_error(BASE "\nname=\\u00zz\n", "line 4: malformed \\uxxxx encoding");
    expect_error(BASE "name=\\uD83D alone\n", "line 3: \\uD83D is half of a UTF-16 surrogate pair");
}

TEST(json_forms) {
    floe_err err = {0};
    /* A bare map of keys, with numbers, booleans and null. */
    floe_config *c = json("{\"topics\": \"events\", \"iceberg.tables\": \"db.t\", \"tasks.max\": 4,"
                          "\"iceberg.tables.auto-create-enabled\": true, \"floe.commit.records\": 5000,"
                          "\"iceberg.tables.route-field\": null}",
                          &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        CHECK_EQ_STR(floe_props_get(&c->raw, "tasks.max"), "4");
        CHECK_EQ_INT(c->auto_create, 1);
        CHECK_EQ_INT(c->commit_records, 5000);
        CHECK(c->route_field == NULL);
        CHECK_EQ_STR(c->name, "floe");
    }
    floe_config_free(c);
    /* What GET /connectors/NAME returns. */
    c = json("{\"name\": \"s\", \"config\": {\"name\": \"s\", \"topics\": \"e\", \"iceberg.tables\": \"d.t\"},"
             " \"tasks\": [{\"connector\": \"s\", \"task\": 0}], \"type\": \"sink\"}",
             &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) CHECK_EQ_STR(floe_props_get(&c->kafka, "group.id"), "connect-s");
    floe_config_free(c);

    c = json("{\"name\": \"a\", \"config\": {\"name\": \"b\", \"topics\": \"e\", \"iceberg.tables\": \"d.t\"}}", &err);
    CHECK(c == NULL && strstr(err.msg, "name: 'b' in config differs from the connector's name 'a'"));
    c = json("{\"topics\": [\"a\"], \"iceberg.tables\": \"d.t\"}", &err);
    CHECK(c == NULL && strstr(err.msg, "topics: a JSON array is not a value"));
    c = json("{\"name\": \"a\", \"config\": {}, \"extra\": 1}", &err);
    CHECK(c == NULL && strstr(err.msg, "'extra' is not a field of a connector"));
    c = json("[1]", &err);
    CHECK(c == NULL && strstr(err.msg, "the configuration is not a JSON object"));
    c = floe_config_parse_json("{\"topics\": ", 11, "x.json", &err);
    CHECK(c == NULL && strncmp(err.msg, "x.json: line 1, column", 22) == 0);
}

TEST(load_detects_format_and_reports_missing_files) {
    floe_err err = {0};
    floe_config *c = floe_config_load("tests/data/no-such-config.json", &err);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, FLOE_ENOTFOUND);
    CHECK(strstr(err.msg, "no-such-config.json") != NULL);
    /* JSON is recognised after leading blank space. */
    const char *path = "build/test_config_ws.json";
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("\n  \t{\"topics\": \"e\", \"iceberg.tables\": \"d.t\"}\n", f);
    fclose(f);
    c = floe_config_load(path, &err);
    CHECK_OK(c ? 0 : -1, &err);
    floe_config_free(c);
    remove(path);
}

/* ---- --print-config ----------------------------------------------------------------- */

TEST(print_masks_secrets) {
    floe_err err = {0};
    floe_config *c = props(BASE "iceberg.catalog.uri=jdbc:postgresql://db/cat\niceberg.catalog.jdbc.user=u\n"
                                "iceberg.catalog.jdbc.password=pgpass1\niceberg.catalog.s3.secret-access-key=s3key2\n"
                                "iceberg.catalog.header.Authorization=Bearer tok3\n"
                                "iceberg.kafka.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
                                "required username=\"bob\" password=\"jaas4\";\n"
                                "consumer.override.ssl.key.password=sslpw5\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    floe_buf out = {0};
    print_cfg(c, &out);
    const char *s = (const char *)out.data;
    CHECK(strstr(s, "pgpass1") == NULL);
    CHECK(strstr(s, "s3key2") == NULL);
    CHECK(strstr(s, "tok3") == NULL);
    CHECK(strstr(s, "jaas4") == NULL);
    CHECK(strstr(s, "sslpw5") == NULL);
    CHECK(strstr(s, "\niceberg.catalog.jdbc.password=****\n") != NULL);
    CHECK(strstr(s, "\niceberg.catalog.s3.secret-access-key=****\n") != NULL);
    CHECK(strstr(s, "# catalog postgresql://db/cat?user=u&password=****, warehouse ./warehouse\n") != NULL);
    CHECK(strstr(s, "# kafka sasl.username=bob\n") != NULL);
    CHECK(strstr(s, "# kafka sasl.password=****\n") != NULL);
    CHECK(strstr(s, "\niceberg.catalog.jdbc.user=u\n") != NULL);
    floe_buf_free(&out);
    floe_config_free(c);

    c = props(BASE "iceberg.catalog.uri=postgresql://u:pw6@db/cat\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        print_cfg(c, &out);
        CHECK(strstr((char *)out.data, "pw6") == NULL);
        CHECK(strstr((char *)out.data, "\niceberg.catalog.uri=postgresql://u:****@db/cat\n") != NULL);
    }
    floe_buf_free(&out);
    floe_config_free(c);
}

TEST(print_shows_defaults_and_reads_back) {
    floe_err err = {0};
    floe_config *c = props("name=n1\ntopics.regex=ev\\\\.\\\\d+\niceberg.tables=db.a,db.b\n"
                           "iceberg.tables.route-field=kind\niceberg.table.db.a.route-regex=a|x\n"
                           "iceberg.table.db.b.route-regex=b\niceberg.table.db.b.partition-by=day(ts)\n"
                           "floe.commit.interval-ms=2s\nfloe.memory.budget-bytes=64m\n"
                           "iceberg.catalog.warehouse=/tmp/w h\nconsumer.override.fetch.max.bytes=1000\n",
                           &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (!c) return;
    floe_buf a = {0}, b = {0};
    print_cfg(c, &a);
    const char *s = (const char *)a.data;
    CHECK(strstr(s, "\nfloe.commit.interval-ms=2000\n") != NULL);
    CHECK(strstr(s, "\nfloe.memory.budget-bytes=64MiB\n") != NULL);
    CHECK(strstr(s, "\niceberg.control.commit.interval-ms=300000\n") != NULL);
    CHECK(strstr(s, "\niceberg.control.topic=control-iceberg\n") != NULL);
    CHECK(strstr(s, "\nerrors.tolerance=none\n") != NULL);
    CHECK(strstr(s, "\nvalue.converter.schemas.enable=false\n") != NULL);
    CHECK(strstr(s, "\ntopics.regex=ev\\\\.\\\\d+\n") != NULL);
    CHECK(strstr(s, "# commit every 2000 ms\n") != NULL);
    CHECK(strstr(s, "# kafka group.id=connect-n1\n") != NULL);
    CHECK(strstr(s, "# table db.b: route-regex b, partition-by day(ts), id-columns (none), branch main\n") != NULL);
    /* The printed configuration loads to the same configuration. */
    floe_config *back = props(s, &err);
    CHECK_OK(back ? 0 : -1, &err);
    if (back) {
        CHECK_EQ_INT(back->nwarnings, 0);
        print_cfg(back, &b);
        CHECK_EQ_STR((char *)a.data, (char *)b.data);
        CHECK_EQ_STR(back->warehouse, "/tmp/w h");
    }
    floe_config_free(back);
    floe_config_free(c);
    /* Unknown keys are shown, commented out. */
    c = props(BASE "mystery=\\ lead\n", &err);
    CHECK_OK(c ? 0 : -1, &err);
    if (c) {
        print_cfg(c, &a);
        CHECK(strstr((char *)a.data, "\n# ---- unknown keys (ignored) ----\n# mystery=\\ lead\n") != NULL);
    }
    floe_config_free(c);
    floe_buf_free(&a);
    floe_buf_free(&b);
}

/* ---- docs/config.md ------------------------------------------------------------------ */

#define DOC_PATH "docs/config.md"
#define DOC_BEGIN "<!-- BEGIN KEYS: generated from the key table in src/pipeline/config.c -->\n"
#define DOC_END "<!-- END KEYS -->\n"

TEST(docs_in_sync_with_key_table) {
    FILE *f = fopen(DOC_PATH, "rb");
    CHECK(f != NULL);
    if (!f) return;
    floe_buf doc = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) floe_buf_append(&doc, chunk, n);
    fclose(f);
    char *text = floe_buf_cstr(&doc);
    char *begin = strstr(text, DOC_BEGIN), *end = begin ? strstr(begin, DOC_END) : NULL;
    CHECK(begin && end);
    if (!begin || !end) {
        floe_buf_free(&doc);
        return;
    }
    begin += strlen(DOC_BEGIN);
    floe_buf gen = {0};
    floe_config_docs(&gen);
    floe_buf_cstr(&gen);
    int same = (size_t)(end - begin) == gen.len && memcmp(begin, gen.data, gen.len) == 0;
    const char *update = getenv("FLOE_UPDATE_DOCS");
    if (!same && update && *update == '1') {
        f = fopen(DOC_PATH, "wb");
        if (f) {
            fwrite(text, 1, (size_t)(begin - text), f);
            fwrite(gen.data, 1, gen.len, f);
            fputs(end, f);
            fclose(f);
            same = 1;
        }
    }
    if (!same)
        fprintf(stderr, "  %s is out of date: run this test with FLOE_UPDATE_DOCS=1 to regenerate its key tables\n",
                DOC_PATH);
    CHECK(same);
    /* Every key the table knows appears in the reference. */
    CHECK(strstr((char *)gen.data, "| `iceberg.table.<table>.route-regex` | regex | not set |") != NULL);
    CHECK(strstr((char *)gen.data, "| `iceberg.control.commit.interval-ms` | int | `300000` |") != NULL);
    CHECK(strstr((char *)gen.data, "| `iceberg.catalog.credential` | string | not set |") != NULL);
    floe_buf_free(&gen);
    floe_buf_free(&doc);
}

TEST_MAIN(T(examples_load_with_connector_defaults), T(other_connector_doc_examples),
          T(minimal_config_uses_embedded_catalog), T(invalid_values_name_key_value_and_allowed), T(rules_across_keys),
          T(catalog_mapping), T(kafka_settings), T(floe_keys_and_overrides), T(per_table_settings_and_defaults),
          T(unknown_and_unhonoured_keys_warn), T(java_regexes), T(properties_syntax), T(json_forms),
          T(load_detects_format_and_reports_missing_files), T(print_masks_secrets),
          T(print_shows_defaults_and_reads_back), T(docs_in_sync_with_key_table))
