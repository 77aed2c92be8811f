#ifndef PROBITY_CPREFETCH_SHIM_H
#define PROBITY_CPREFETCH_SHIM_H
// A hint to the processor, which Swift cannot give: start loading the cache line that
// holds `address`, because the program will write there soon. Nothing else happens: it
// never faults (any address will do) and changes no value, so a program is correct with
// or without it. ProbityEngine issues it for the group rows a record is about to update,
// so that their cache misses overlap instead of following one another (see
// docs/performance.md, "Seventh round").
static inline void probity_prefetch_for_write(const void *address) {
  __builtin_prefetch(address, 1, 3);
}

// The same, for a line that will only be read.
static inline void probity_prefetch(const void *address) {
  __builtin_prefetch(address, 0, 3);
}
#endif
