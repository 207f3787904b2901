// SHA-256 compression (FIPS 180-4) for klappt's pseudonyms: HMAC-SHA256 of a short message is two
// compressions once the key's inner and outer states are precomputed, and swift-crypto's per-call
// overhead (about 1.3 µs per HMAC here) was larger than the hashing itself (see benchmarks/README.md).
#include "klappt_sha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

void klappt_sha256_compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        for (int i = 0; i < 16; i++) {
            w[i] = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 | (uint32_t)data[4 * i + 2] << 8 | data[4 * i + 3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
        data += 64;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

// The SHA-NI sequence as Intel documents it: the state kept as ABEF/CDGH, two rounds per
// sha256rnds2, the message schedule by sha256msg1/msg2.
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_sha_extensions(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i shuffle = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);                 // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B);           // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);   // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);        // CDGH
    while (blocks--) {
        const __m128i abef = state0, cdgh = state1;
        __m128i w[4];
        // Unrolled: the message words stay in registers (1.8 -> 2.05 GB/s on this machine).
        _Pragma("clang loop unroll(full)")
        for (int group = 0; group < 16; group++) {
            __m128i words;
            if (group < 4) {
                words = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * group)), shuffle);
            } else {
                __m128i x = _mm_sha256msg1_epu32(w[group & 3], w[(group + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(group + 3) & 3], w[(group + 2) & 3], 4));
                words = _mm_sha256msg2_epu32(x, w[(group + 3) & 3]);
            }
            w[group & 3] = words;
            __m128i msg = _mm_add_epi32(words, _mm_loadu_si128((const __m128i *)&K[4 * group]));
            state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
            state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        data += 64;
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);              // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);           // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);        // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);           // ABEF
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

// Two independent messages at once: sha256rnds2 waits for its previous result, so one stream
// leaves the unit idle between rounds; the rounds of a second stream fill those gaps.
__attribute__((target("sha,sse4.1,ssse3")))
static void compress2_sha_extensions(uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b, size_t blocks) {
    const __m128i shuffle = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state_a[0]), 0xB1);
    __m128i a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state_a[4]), 0x1B);
    __m128i a0 = _mm_alignr_epi8(tmp, a1, 8);
    a1 = _mm_blend_epi16(a1, tmp, 0xF0);
    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state_b[0]), 0xB1);
    __m128i b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state_b[4]), 0x1B);
    __m128i b0 = _mm_alignr_epi8(tmp, b1, 8);
    b1 = _mm_blend_epi16(b1, tmp, 0xF0);
    while (blocks--) {
        const __m128i abef_a = a0, cdgh_a = a1, abef_b = b0, cdgh_b = b1;
        __m128i wa[4], wb[4];
        _Pragma("clang loop unroll(full)")
        for (int group = 0; group < 16; group++) {
            __m128i xa, xb;
            if (group < 4) {
                xa = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data_a + 16 * group)), shuffle);
                xb = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data_b + 16 * group)), shuffle);
            } else {
                __m128i ta = _mm_sha256msg1_epu32(wa[group & 3], wa[(group + 1) & 3]);
                __m128i tb = _mm_sha256msg1_epu32(wb[group & 3], wb[(group + 1) & 3]);
                ta = _mm_add_epi32(ta, _mm_alignr_epi8(wa[(group + 3) & 3], wa[(group + 2) & 3], 4));
                tb = _mm_add_epi32(tb, _mm_alignr_epi8(wb[(group + 3) & 3], wb[(group + 2) & 3], 4));
                xa = _mm_sha256msg2_epu32(ta, wa[(group + 3) & 3]);
                xb = _mm_sha256msg2_epu32(tb, wb[(group + 3) & 3]);
            }
            wa[group & 3] = xa;
            wb[group & 3] = xb;
            const __m128i k = _mm_loadu_si128((const __m128i *)&K[4 * group]);
            __m128i ma = _mm_add_epi32(xa, k);
            __m128i mb = _mm_add_epi32(xb, k);
            a1 = _mm_sha256rnds2_epu32(a1, a0, ma);
            b1 = _mm_sha256rnds2_epu32(b1, b0, mb);
            a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(ma, 0x0E));
            b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(mb, 0x0E));
        }
        a0 = _mm_add_epi32(a0, abef_a);
        a1 = _mm_add_epi32(a1, cdgh_a);
        b0 = _mm_add_epi32(b0, abef_b);
        b1 = _mm_add_epi32(b1, cdgh_b);
        data_a += 64;
        data_b += 64;
    }
    tmp = _mm_shuffle_epi32(a0, 0x1B);
    a1 = _mm_shuffle_epi32(a1, 0xB1);
    _mm_storeu_si128((__m128i *)&state_a[0], _mm_blend_epi16(tmp, a1, 0xF0));
    _mm_storeu_si128((__m128i *)&state_a[4], _mm_alignr_epi8(a1, tmp, 8));
    tmp = _mm_shuffle_epi32(b0, 0x1B);
    b1 = _mm_shuffle_epi32(b1, 0xB1);
    _mm_storeu_si128((__m128i *)&state_b[0], _mm_blend_epi16(tmp, b1, 0xF0));
    _mm_storeu_si128((__m128i *)&state_b[4], _mm_alignr_epi8(b1, tmp, 8));
}

static int has_sha_extensions(void) {
    static int cached = -1;
    if (cached < 0) {
        unsigned eax, ebx, ecx, edx;
        int sha = 0, sse41 = 0, ssse3 = 0;
        if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
            sse41 = (ecx >> 19) & 1;
            ssse3 = (ecx >> 9) & 1;
        }
        if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) sha = (ebx >> 29) & 1;
        cached = sha && sse41 && ssse3;
    }
    return cached;
}

void klappt_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (has_sha_extensions()) {
        compress_sha_extensions(state, data, blocks);
    } else {
        klappt_sha256_compress_portable(state, data, blocks);
    }
}

int klappt_sha256_uses_sha_extensions(void) { return has_sha_extensions(); }

void klappt_sha256_compress2(uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b, size_t blocks) {
    if (has_sha_extensions()) {
        compress2_sha_extensions(state_a, data_a, state_b, data_b, blocks);
    } else {
        klappt_sha256_compress_portable(state_a, data_a, blocks);
        klappt_sha256_compress_portable(state_b, data_b, blocks);
    }
}

#else

void klappt_sha256_compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    klappt_sha256_compress_portable(state, data, blocks);
}

int klappt_sha256_uses_sha_extensions(void) { return 0; }

void klappt_sha256_compress2(uint32_t state_a[8], const uint8_t *data_a, uint32_t state_b[8], const uint8_t *data_b, size_t blocks) {
    klappt_sha256_compress_portable(state_a, data_a, blocks);
    klappt_sha256_compress_portable(state_b, data_b, blocks);
}

#endif
