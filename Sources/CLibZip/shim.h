// libzip (Debian: libzip-dev): reads the zip container of Office Open XML workbooks, one part at a
// time and in pieces (zip_fread), so that a worksheet is inflated as the parser needs it.
#include <zip.h>
