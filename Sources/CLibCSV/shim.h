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

// The bytes of the field being read so far.
static inline size_t probity_csv_field_bytes(const struct csv_parser *p) {
  return p->entry_pos;
}

// Drops the bytes of the field being read and keeps the parser's state, so a field over
// the reader's size limit (its record is rejected anyway) is never held whole. Only while
// the field is plainly in progress (libcsv's FIELD_BEGUN, 2): just after a closing quote
// (FIELD_MIGHT_HAVE_ENDED, 3) libcsv still holds that quote and takes it back later.
// `spaces` counts trailing blanks within the bytes held, so it goes too. Returns the
// number of bytes dropped.
static inline size_t probity_csv_drop_field(struct csv_parser *p) {
  if (p->pstate != 2) return 0;
  size_t dropped = p->entry_pos;
  p->entry_pos = 0;
  p->spaces = 0;
  return dropped;
}
#endif
