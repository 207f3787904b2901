#ifndef KLAPPT_PREFETCH_H
#define KLAPPT_PREFETCH_H

/// Asks the CPU to start loading the cache line at `address` for a later write, without waiting
/// for it (Swift has no prefetch of its own). The tables of row fingerprints and record ids are far
/// larger than the caches and probed at random: loading the slots a few rows ahead lets those
/// misses overlap instead of stalling one after another.
static inline void klappt_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// The same for a later read.
static inline void klappt_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
