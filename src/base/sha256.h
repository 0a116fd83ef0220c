/*
 * sha256.h: a small self-contained SHA-256 (FIPS 180-4), used for the LLM
 * response cache keys and for content hashes of prompts and responses.
 *
 * Incremental use: sha256_init, any number of sha256_update, sha256_final.
 * sha256_hex is the one-shot form that writes 64 lower-case hex digits and a
 * NUL into hex[65].
 */
#ifndef OPTIMIZE_SHA256_H
#define OPTIMIZE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN    64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, unsigned char out[SHA256_DIGEST_LEN]);

void sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_LEN]);
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);
/* 64 hex digits and a NUL of a digest. */
void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN + 1]);

#endif
