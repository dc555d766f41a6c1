/*
 * hash.h — hashes with a fixed definition: murmur3 x86_32 (seed 0 in
 * Iceberg's bucket transform, spec Appendix B).
 */
#ifndef FLOE_UTIL_HASH_H
#define FLOE_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

uint32_t floe_murmur3_32(const void *data, size_t len, uint32_t seed);

#endif
