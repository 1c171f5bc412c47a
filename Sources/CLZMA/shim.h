// liblzma from Debian's liblzma-dev: the .xz stream decoder the shop's CSV import reads with.
#include <lzma.h>

// LZMA_CONCATENATED is a UINT32_C() macro, which Swift does not import.
static const uint32_t CLZMA_CONCATENATED = LZMA_CONCATENATED;
