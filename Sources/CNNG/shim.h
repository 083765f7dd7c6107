// NNG 1.5.2 as Debian ships it (libnng-dev). No pkg-config file exists, so headers come from the default path.
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
