/*
 * sha256.h — SHA-256 (FIPS 180-4), for request signing: S3's SigV4 wants
 * the hex digest of every request body in x-amz-content-sha256.
 */
#ifndef FLOE_UTIL_SHA256_H
#define FLOE_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct floe_sha256 {
    uint32_t h[8];
    uint64_t len;      /* bytes hashed so far */
    uint8_t block[64]; /* the partial block */
    size_t fill;
} floe_sha256;

void floe_sha256_init(floe_sha256 *s);
void floe_sha256_update(floe_sha256 *s, const void *p, size_t n);
void floe_sha256_final(floe_sha256 *s, uint8_t out[32]);
/* The digest of p[0..n) as 64 lowercase hex digits and a NUL. */
void floe_sha256_hex(const void *p, size_t n, char out[65]);

#endif
