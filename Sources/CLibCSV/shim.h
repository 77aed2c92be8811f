#ifndef PROBITY_CLIBCSV_SHIM_H
#define PROBITY_CLIBCSV_SHIM_H
// Probity's window onto libcsv (Debian: libcsv-dev).
#include <csv.h>

// libcsv's parser state lives in `pstate`; 0 means "no row begun". The values are
// private to libcsv.c, so this helper names the one fact the reader needs: whether
// bytes fed so far have started a row that has not ended yet. The reader uses it to
// know on which physical line each record starts.
static inline int probity_csv_row_in_progress(const struct csv_parser *p) {
  return p->pstate != 0 || p->entry_pos != 0;
}
#endif
