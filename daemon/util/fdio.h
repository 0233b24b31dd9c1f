/* fdio.h - append-only report files: opening them, writing whole buffers to them. */
#ifndef ACD_UTIL_FDIO_H
#define ACD_UTIL_FDIO_H

#include <stddef.h>

/*
 * Writes all len bytes of buf to fd, resuming after short writes and EINTR. On an
 * O_APPEND descriptor one call for one line is one append (a short write, on a full disk,
 * can still split it). Returns 0 or the negative errno of the failed write(2).
 */
int acd_write_all(int fd, const void *buf, size_t len);

/* The mode of a report file acdd creates (CDRs, queue_log): its owner and group read it. */
#define ACD_REPORT_FILE_MODE 0640

/*
 * Opens path for appending (write-only, O_APPEND, close-on-exec), creating it with
 * ACD_REPORT_FILE_MODE. Returns the descriptor or the negative errno of open(2).
 */
int acd_open_append(const char *path);

#endif
