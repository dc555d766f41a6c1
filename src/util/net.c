/*
 * net.c — listening sockets (see net.h).
 */
#include "util/net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"

int floe_listen_split(const char *label, const char *addr, char *host, size_t hostcap, char port[6], floe_err *err) {
    const char *colon = strrchr(addr, ':');
    const char *h = addr, *hend = colon;
    if (colon && addr[0] == '[') {
        h = addr + 1;
        hend = colon > addr && colon[-1] == ']' ? colon - 1 : NULL;
    }
    const char *p = colon ? colon + 1 : "";
    size_t plen = strlen(p);
    int ok = hend && hend > h && (size_t)(hend - h) < hostcap && plen >= 1 && plen <= 5 &&
             strspn(p, "0123456789") == plen && atoi(p) <= 65535;
    if (!ok) return floe_err_set(err, FLOE_EINVAL, "%s '%s' is not host:port or [ipv6]:port", label, addr);
    memcpy(host, h, (size_t)(hend - h));
    host[hend - h] = 0;
    memcpy(port, p, plen + 1);
    return 0;
}

int floe_listen_socket(const char *label, const char *addr, const char *host, const char *port, int backlog,
                       int *bound_port, floe_err *err) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        return floe_err_set(err, FLOE_EINVAL, "%s %s: cannot resolve %s: %s", label, addr, host, gai_strerror(rc));
    int fd = -1, saved = 0;
    const char *step = "socket";
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            step = "socket";
            continue;
        }
        int one = 1;
        /* Lets a restart rebind while the old connections sit in TIME_WAIT;
         * on Linux it does not allow two listeners on one port. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        step = bind(fd, a->ai_addr, a->ai_addrlen) != 0 ? "bind" : listen(fd, backlog) != 0 ? "listen" : NULL;
        if (step) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return floe_err_set(err, FLOE_EIO, "%s %s: %s failed: %s", label, addr, step, strerror(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        saved = errno;
        close(fd);
        return floe_err_set(err, FLOE_EIO, "%s %s: getsockname failed: %s", label, addr, strerror(saved));
    }
    *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}
