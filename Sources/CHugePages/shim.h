#ifndef PROBITY_CHUGEPAGES_SHIM_H
#define PROBITY_CHUGEPAGES_SHIM_H
#include <stddef.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

// A hint to the kernel: back the memory of a large table with huge pages (2 MiB) rather
// than 4 KiB ones. ProbityEngine's tables of groups (the interner, the group numbers,
// each rule's rows of flags and dates and its accumulators) are read and written at
// random, a line or two per record, over hundreds of MiB on a national filing: with
// 4 KiB pages nearly every such access also misses the processor's table of page
// translations (the TLB), and waits for a walk of the page tables. Debian's kernel gives
// huge pages only where asked (transparent_hugepage "madvise").
//
// `base` is a table's new room, `capacity` its bytes, nothing written in it yet: the
// caller asks before it copies or writes anything there, so that the pages come as huge
// pages when first written. (A large room is a fresh mapping, untouched, in the
// `probity` tool, whose CMalloc fixes glibc's mmap threshold; elsewhere glibc may give
// it from its heap, whose pages already written stay small until the kernel's
// background scan gets there.) Only whole 2 MiB pages inside the room are advised (the
// memory around it belongs to others). The thirty-first round asked after writing, and
// turned the written pages into huge ones with MADV_COLLAPSE, which copied them again.
// Nothing else happens: no value changes, and an error (no huge page free) leaves the
// pages as they were. Elsewhere than Linux, nothing to do.
static inline void probity_advise_huge_pages(void *base, size_t capacity) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)base + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)base + capacity) & ~(huge - 1);
  if (end <= start) return;
  (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
  (void)base;
  (void)capacity;
#endif
}
#endif
