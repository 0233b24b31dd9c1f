/* fdio.h - writing whole buffers to file descriptors. */
#ifndef ACD_UTIL_FDIO_H
#define ACD_UTIL_FDIO_H

#include <stddef.h>

/*
 * Writes all len bytes of buf to fd, resuming after short writes and EINTR. On an
 * O_APPEND descriptor one call for one line is one append (a short write, on a full disk,
 * can still split it). Returns 0 or the negative errno of the failed write(2).
 */
int acd_write_all(int fd, const void *buf, size_t len);

#endif
