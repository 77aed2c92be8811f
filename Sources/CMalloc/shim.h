#ifndef PROBITY_CMALLOC_SHIM_H
#define PROBITY_CMALLOC_SHIM_H
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

// Keeps large blocks (128 KiB and up) in memory of their own, given back to the system
// when freed. glibc starts with that threshold but raises it each time such a block is
// freed, up to 32 MiB, so that the large arrays a check grows (its tables of donors, the
// bytes of their keys) and frees later land in the heap, where the freed ones are kept:
// peak memory with 2 million donors then varied from 415 to 475 MiB from run to run.
// Setting the threshold turns the raising off (mallopt(3)): 407-409 MiB in every run,
// and no slower (docs/performance.md, "Twentieth round"). Elsewhere, nothing to do.
static inline void probity_keep_large_blocks_unmapped(void) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

#include <stdio.h>

// Whether standard output could not be written (a full disk, a closed descriptor):
// flushed, then its error flag read, which a failed write earlier in the run set too.
// Here because Swift 6 refuses to name the C global `stdout`.
static inline int probity_standard_output_failed(void) {
  return fflush(stdout) != 0 || ferror(stdout) != 0;
}

// Whether a write to standard output has failed so far (its error flag), without
// flushing: asked after each piece of a report, so that a report whose output is gone
// (a full disk, a closed pipe) is not made to the end.
static inline int probity_standard_output_erred(void) {
  return ferror(stdout) != 0;
}

// Writes bytes to standard output, through the stream `print` writes to (so what each
// writes comes in order); a failure sets the stream's error flag, which
// `probity_standard_output_failed` reads at the end.
static inline void probity_write_standard_output(const void *bytes, size_t count) {
  if (count > 0) fwrite(bytes, 1, count, stdout);
}
#endif
