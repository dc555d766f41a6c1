/*
 * names.c — the display names of Parquet's physical types, encodings and
 * compression codecs (as the Parquet thrift definition spells them), and
 * parsing of codec names given in configuration or on the command line.
 * Values outside the enumerations print as "UNKNOWN" so that a reader can
 * name what it found in a file without trusting it.
 */
#include <strings.h>

#include "floe/parquet.h"

#define NAME_OR_UNKNOWN(table, i) \
    ((i) >= 0 && (size_t)(i) < sizeof(table) / sizeof(table)[0] && (table)[i] ? (table)[i] : "UNKNOWN")

const char *floe_pq_physical_name(int physical) {
    static const char *const names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                        "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return NAME_OR_UNKNOWN(names, physical);
}

const char *floe_pq_encoding_name(int encoding) {
    /* 1 was GROUP_VAR_INT, never used and removed from the format. */
    static const char *const names[] = {"PLAIN",
                                        NULL,
                                        "PLAIN_DICTIONARY",
                                        "RLE",
                                        "BIT_PACKED",
                                        "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY",
                                        "DELTA_BYTE_ARRAY",
                                        "RLE_DICTIONARY",
                                        "BYTE_STREAM_SPLIT"};
    return NAME_OR_UNKNOWN(names, encoding);
}

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};

const char *floe_pq_codec_name(int codec) { return NAME_OR_UNKNOWN(codec_names, codec); }

int floe_pq_codec_parse(const char *name) {
    if (!name) return -1;
    if (strcasecmp(name, "none") == 0) return FLOE_PQ_CODEC_UNCOMPRESSED;
    for (int i = 0; i < (int)(sizeof codec_names / sizeof codec_names[0]); i++)
        if (strcasecmp(name, codec_names[i]) == 0) return i;
    return -1;
}
