// zlib (zlib1g-dev): inflate for gzip-compressed JSON-lines corpora such as C4's `.json.gz` shards.
#include <zlib.h>
