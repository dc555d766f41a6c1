/*
 * net.h — listening sockets for floe's HTTP endpoints (the metrics server
 * and the REST catalog server): "host:port" or "[ipv6]:port" parsed and
 * bound, port 0 picking a free one.  Messages start with the caller's
 * label ("metrics listen address") and the address.
 */
#ifndef FLOE_UTIL_NET_H
#define FLOE_UTIL_NET_H

#include <stddef.h>

#include "floe/floe.h"

/* Splits addr into host (at most hostcap-1 bytes, brackets removed) and
 * port text (0..65535, at most 5 digits); FLOE_EINVAL otherwise. */
int floe_listen_split(const char *label, const char *addr, char *host, size_t hostcap, char port[6], floe_err *err);

/* A listening socket (close-on-exec, SO_REUSEADDR) on the first address of
 * host:port that binds, with `backlog`; *bound_port gets the port bound.
 * -1 with err naming the address and the system's reason. */
int floe_listen_socket(const char *label, const char *addr, const char *host, const char *port, int backlog,
                       int *bound_port, floe_err *err);

#endif
