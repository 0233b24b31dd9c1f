/* fdio.c - append-only report files: opening them, writing whole buffers to them. */
#include "util/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int acd_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int acd_open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, ACD_REPORT_FILE_MODE);
    return fd < 0 ? -errno : fd;
}
