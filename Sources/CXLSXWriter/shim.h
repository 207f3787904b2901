// libxlsxwriter (Debian libxlsxwriter-dev): writes Excel workbooks with native charts.
#include <xlsxwriter.h>
