#ifndef KLAPPT_SHA256_H
#define KLAPPT_SHA256_H

#include <stddef.h>
#include <stdint.h>

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks, updating `state` (eight
/// words, host order). Uses the x86 SHA extensions when the CPU has them, else portable C.
void klappt_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks);

/// The same with the portable implementation only (for tests that compare both paths).
void klappt_sha256_compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Two independent messages of `blocks` blocks each at once (about twice the throughput of two
/// calls with the SHA extensions, which one message leaves half idle).
void klappt_sha256_compress2(uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b, size_t blocks);

/// 1 when `klappt_sha256_compress` uses the SHA extensions on this CPU.
int klappt_sha256_uses_sha_extensions(void);

#endif
