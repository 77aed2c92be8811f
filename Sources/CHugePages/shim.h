#ifndef PROBITY_CHUGEPAGES_SHIM_H
#define PROBITY_CHUGEPAGES_SHIM_H
#include <stddef.h>
#include <stdint.h>
#if defined(__linux__)
#include <sys/mman.h>
// Linux 6.1's; older headers lack it (an older kernel answers it with an error).
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#endif

// A hint to the kernel: back the memory of a large table with huge pages (2 MiB) rather
// than 4 KiB ones. ProbityEngine's tables of groups (the interner, the group numbers,
// each rule's rows of flags and dates and its accumulators) are read and written at
// random, a line or two per record, over hundreds of MiB on a national filing: with
// 4 KiB pages nearly every such access also misses the processor's table of page
// translations (the TLB), and waits for a walk of the page tables. Debian's kernel gives huge pages only where
// asked (transparent_hugepage "madvise").
//
// `base` is the table's memory, `capacity` its bytes, the first `used` of them written.
// Only whole 2 MiB pages inside the table are advised (the memory around it belongs to
// others). MADV_HUGEPAGE makes the pages not yet touched come as huge pages; MADV_COLLAPSE
// (Linux 6.1 and later; an error, ignored, before) turns the written ones into huge pages
// now, copying them, rather than when the kernel's background scan gets there (minutes).
// MADV_COLLAPSE copies what it turns and may compact memory to find huge pages: once per
// doubling of a table. Nothing else happens: no value changes, and an error (an older
// kernel, no huge page free) leaves the pages as they were. MADV_COLLAPSE would give
// huge pages even where the administrator set "never": the caller asks only where the
// setting is not "never". Elsewhere than Linux, nothing to do.
static inline void probity_advise_huge_pages(void *base, size_t used, size_t capacity) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)base + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)base + capacity) & ~(huge - 1);
  if (end <= start) return;
  (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
  uintptr_t written = ((uintptr_t)base + used) & ~(huge - 1);
  if (written <= start) return;
  (void)madvise((void *)start, written - start, MADV_COLLAPSE);
#else
  (void)base;
  (void)used;
  (void)capacity;
#endif
}
#endif
