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

// libxml2 reports some problems (bytes that are not characters of the declared encoding,
// among them) through its "generic" error function, which prints to standard error and
// reaches no structured handler. This keeps the first such message instead, for the
// reader's diagnostic. The function is per thread in libxml2, like the reader using it.
#include <stdarg.h>
#include <stdio.h>
#include <libxml/xmlerror.h>

typedef struct {
  char first[240];
  int count;
} probity_xml_generic_errors;

static void probity_xml_generic_error(void *context, const char *message, ...) {
  probity_xml_generic_errors *errors = (probity_xml_generic_errors *)context;
  if (errors == NULL || message == NULL || errors->count++ > 0) return;
  va_list arguments;
  va_start(arguments, message);
  vsnprintf(errors->first, sizeof errors->first, message, arguments);
  va_end(arguments);
}

static inline void probity_xml_collect_generic_errors(probity_xml_generic_errors *errors) {
  xmlSetGenericErrorFunc(errors, probity_xml_generic_error);
}

// Back to libxml2's own function.
static inline void probity_xml_stop_collecting_generic_errors(void) {
  xmlSetGenericErrorFunc(NULL, NULL);
}
#endif
