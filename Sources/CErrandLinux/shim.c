// The C target needs one source file; everything it offers is in include/CErrandLinux.h.
#include "CErrandLinux.h"
