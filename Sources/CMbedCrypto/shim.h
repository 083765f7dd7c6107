// mbedTLS 2.28's crypto library (Debian libmbedtls-dev), already linked by NNG's TLS transport: SHA-256 and HMAC
// without another dependency.
#include <mbedtls/sha256.h>
#include <mbedtls/md.h>
