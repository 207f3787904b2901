// The prefetch hints are inline functions in include/klappt_prefetch.h; a C target needs a source.
#include "klappt_prefetch.h"
