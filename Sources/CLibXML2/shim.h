// libxml2's headers pull in the system ICU when libxml2 was built with it; that clashes with the
// ICU copy inside swift-corelibs-foundation. klappt uses no encoding-handler internals, so the
// ICU parts of the headers are switched off (they only add fields to xmlCharEncodingHandler).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
