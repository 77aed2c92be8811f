#ifndef PROBITY_CLIBXML2_SHIM_H
#define PROBITY_CLIBXML2_SHIM_H
// Probity's window onto libxml2 (Debian: libxml2-dev).
//
// Debian builds libxml2 with ICU, and its headers then include ICU's headers, whose
// UErrorCode clashes with the copy inside Foundation ("UErrorCode has different
// definitions"), but only on a clean build. Probity never uses libxml2's ICU
// encoding support, so the flag is withdrawn right after xmlversion.h defines it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlmemory.h>

// xmlFree is a global function pointer (a C variable), which Swift cannot call
// safely under strict concurrency; this shim calls it.
static inline void probity_xml_free(void *p) {
  xmlFree(p);
}
#endif
