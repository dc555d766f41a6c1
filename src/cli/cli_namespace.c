/*
 * cli_namespace.c — the `floe namespace` commands: create (with
 * properties), list, describe (its properties) and drop.  Namespaces are
 * dotted ("a.b" is namespace "b" inside "a"); each command is one call into
 * the table façade (floe/table.h).
 */
#include <stdlib.h>

#include "cli/cli_table.h"

static const char CREATE_HELP[] =
    "Creates namespace NAMESPACE (\"db\", or \"a.b\" inside \"a\").\n"
    "\n"
    "options:\n"
    "  --property KEY=VALUE     a namespace property; repeatable\n"
    "\n" CLI_CATALOG_HELP;

static int run_create(const cli_cmd *cmd, int argc, char **argv) {
    const char **props = calloc((size_t)argc + 1, sizeof *props);
    if (!props) return cli_fail("out of memory");
    int nprops = 0;
    cli_opt extra[] = {{"--property", "KEY=VALUE", props, &nprops}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 1, 1, &npos, &status) &&
        !(status = cli_check_props(cmd, props, nprops))) {
        floe_catalog_handle *c = cli_open_catalog(ca.uri, ca.warehouse);
        if (!c) {
            status = CLI_EXIT_FAIL;
        } else {
            floe_err err = {0};
            if (floe_namespace_create(c, pos[0], props, nprops, &err)) status = cli_fail("%s", err.msg);
            else printf("created namespace %s\n", pos[0]);
            status = cli_close_catalog(c, status);
        }
    }
    free(props);
    return status;
}

const cli_cmd cli_namespace_create = {"namespace create", "create a namespace",
                                      "floe namespace create NAMESPACE [--property KEY=VALUE]...", CREATE_HELP,
                                      run_create};

static const char LIST_HELP[] =
    "Lists the top-level namespaces, or those directly inside PARENT, one per line,\n"
    "sorted.\n"
    "\n" CLI_CATALOG_HELP;

static int run_list(const cli_cmd *cmd, int argc, char **argv) {
    return cli_run_list(cmd, argc, argv, floe_namespace_list);
}

const cli_cmd cli_namespace_list = {"namespace list", "list namespaces", "floe namespace list [PARENT]", LIST_HELP,
                                    run_list};

static const char DESCRIBE_HELP[] =
    "Prints the properties of NAMESPACE, one KEY=VALUE per line.\n"
    "\n" CLI_CATALOG_HELP;

static int run_describe(const cli_cmd *cmd, int argc, char **argv) {
    char *pos[1];
    int npos, status, n = 0;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, NULL, 0, pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_kv *kv = NULL;
    floe_err err = {0};
    if (floe_namespace_properties(c, pos[0], &kv, &n, &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    for (int i = 0; i < n; i++) printf("%s=%s\n", kv[i].key, kv[i].value);
    floe_kvs_free(kv, n);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_namespace_describe = {"namespace describe", "show a namespace's properties",
                                        "floe namespace describe NAMESPACE", DESCRIBE_HELP, run_describe};

static const char DROP_HELP[] =
    "Drops NAMESPACE.  It must hold no tables (drop or rename them first).\n"
    "\n" CLI_CATALOG_HELP;

static int run_drop(const cli_cmd *cmd, int argc, char **argv) {
    char *pos[1];
    int npos, status;
    floe_catalog_handle *c = cli_start(cmd, argc, argv, NULL, 0, pos, 1, 1, &npos, &status);
    if (!c) return status;
    floe_err err = {0};
    if (floe_namespace_drop(c, pos[0], &err)) return cli_close_catalog(c, cli_fail("%s", err.msg));
    printf("dropped namespace %s\n", pos[0]);
    return cli_close_catalog(c, 0);
}

const cli_cmd cli_namespace_drop = {"namespace drop", "drop an empty namespace", "floe namespace drop NAMESPACE",
                                    DROP_HELP, run_drop};
