/*
 * cli_catalog_serve.c — `floe catalog serve`: an Iceberg REST catalog
 * server over the catalog the global --catalog/--warehouse options name
 * (floe/catalog_server.h, implemented in catalog/rest_server.c, does the
 * serving; this parses the options, reports the address and waits for
 * SIGTERM or SIGINT).
 *
 * The signals are blocked before the server starts, so that every thread
 * it creates inherits the mask and only sigwait() here sees them; a stop
 * then finishes the requests in flight before the process exits 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "floe/catalog_server.h"
#include "cli/cli_table.h"

static const char SERVE_HELP[] =
    "Serves the catalog over the Apache Iceberg REST catalog protocol, so that any\n"
    "REST client (Java, pyiceberg, iceberg-js, floe --catalog http://...) shares its\n"
    "tables with the floe commands that open the same catalog.  Prints 'listening on\n"
    "http://HOST:PORT' once ready and logs one line per request to standard error.\n"
    "SIGTERM or SIGINT stops it after the requests in flight.\n"
    "\n"
    "Served: GET /v1/config; namespaces (list, create, load, exists, drop,\n"
    "properties); tables (list, create and stage-create, load, exists, commit with\n"
    "requirements and updates, drop with purgeRequested); POST /v1/tables/rename;\n"
    "POST /v1/transactions/commit (atomic); metrics reports (accepted, not kept).\n"
    "Multi-level namespaces are separated by %1F in URLs; a level may not contain\n"
    "'.' (the catalog names namespaces with dots).\n"
    "\n"
    "options:\n"
    "  --listen HOST:PORT       where to listen (default 127.0.0.1:8181; port 0\n"
    "                           picks a free port, printed on the first line)\n"
    "  --prefix NAME            also serve under /v1/NAME/ and advertise it in\n"
    "                           /v1/config\n"
    "  --auth MODE              none (default); token:SECRET (every request needs\n"
    "                           'Authorization: Bearer SECRET'; token:@FILE reads\n"
    "                           SECRET from FILE); oauth2:FILE (OAuth2\n"
    "                           client credentials at POST /v1/oauth/tokens; FILE\n"
    "                           lists clients as id:secret, one a line, or\n"
    "                           id:secret:read for a client that may only read)\n"
    "  --token-ttl SECONDS      lifetime of oauth2 tokens (default 3600)\n"
    "  --faults SPEC            testing aid for clients: answer a share of requests\n"
    "                           with a failure.  SPEC is a comma-separated list of\n"
    "                           KIND:SHARE, e.g. '500:0.1,503:0.1,409:0.05,\n"
    "                           timeout:0.05,after-commit-500:0.1', where\n"
    "                             500, 503          answer that without doing anything\n"
    "                             409               (commits) CommitFailedException,\n"
    "                                               nothing committed\n"
    "                             after-commit-500  (commits) commit, then answer 500\n"
    "                                               CommitStateUnknownException\n"
    "                             timeout           hold the request timeout-ms, then\n"
    "                                               carry it out\n"
    "                           and the settings timeout-ms:N (default 30000),\n"
    "                           seed:N (repeatable draws), match:SUBSTR (only\n"
    "                           requests whose path contains SUBSTR are faulted)\n"
    "                           and count:N (at most N faults in all; with\n"
    "                           '500:1,match:/tables/t,count:3' the first 3\n"
    "                           requests on that path fail).  /v1/config and\n"
    "                           /v1/oauth/tokens are never faulted.\n"
    "\n" CLI_CATALOG_HELP;

static int run_serve(const cli_cmd *cmd, int argc, char **argv);

const cli_cmd cli_catalog_serve = {"catalog serve", "serve the catalog as an Iceberg REST catalog",
                                   "floe catalog serve [--listen HOST:PORT] [--prefix NAME] [--auth MODE]\n"
                                   "                   [--token-ttl SECONDS] [--faults SPEC]",
                                   SERVE_HELP, run_serve};

static void log_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "floe: catalog serve: %s\n", line);
}

static int run_serve(const cli_cmd *cmd, int argc, char **argv) {
    const char *listen = NULL, *auth = NULL, *ttl = NULL, *faults = NULL, *prefix = NULL;
    cli_opt extra[] = {{"--listen", "HOST:PORT", &listen, NULL},
                       {"--prefix", "NAME", &prefix, NULL},
                       {"--auth", "MODE", &auth, NULL},
                       {"--token-ttl", "SECONDS", &ttl, NULL},
                       {"--faults", "SPEC", &faults, NULL}};
    cli_catalog_args ca;
    char *pos[1];
    int npos, status;
    if (!cli_parse_catalog(cmd, argc, argv, extra, CLI_NOPTS(extra), &ca, pos, 0, 0, &npos, &status))
        return status;
    long long ttl_s = 0;
    if (ttl && cli_parse_int(ttl, 1, INT32_MAX, &ttl_s))
        return cli_usage_error(cmd, "--token-ttl: '%s' is not a positive number of seconds", ttl);
    /* Not the argument itself: it may hold the secret. */
    if (auth && strcmp(auth, "none") != 0 && strncmp(auth, "token:", 6) != 0 && strncmp(auth, "oauth2:", 7) != 0)
        return cli_usage_error(cmd, "--auth must be none, token:SECRET or oauth2:CLIENTS_FILE");

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigset_t with_pipe = stop;
    sigaddset(&with_pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &with_pipe, NULL);

    floe_rest_server_opts o = {.catalog_uri = ca.uri,
                               .warehouse = ca.warehouse,
                               .listen = listen,
                               .auth = auth,
                               .token_ttl_s = ttl_s,
                               .faults = faults,
                               .prefix = prefix,
                               .log = log_line};
    floe_rest_server *s = NULL;
    floe_err err = {0};
    if (floe_rest_server_start(&o, &s, &err)) return cli_fail("%s", err.msg);
    const char *host = floe_rest_server_host(s);
    int v6 = strchr(host, ':') != NULL;
    printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", host, v6 ? "]" : "", floe_rest_server_port(s));
    status = cli_finish_stdout(0);
    int sig = 0;
    if (status == 0) {
        while (sigwait(&stop, &sig) != 0) {
        }
        fprintf(stderr, "floe: catalog serve: stopping on %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    floe_rest_server_stop(s);
    return status;
}
