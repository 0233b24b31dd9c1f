/* err.c - names and messages for acdd's error codes. */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* X(name): the errno values acdd reports by name; messages come from strerror(). */
#define ACD__ERRNO_NAMES(X)                                                               \
    X(EPERM) X(ENOENT) X(EINTR) X(EIO) X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES) X(EEXIST)    \
    X(EINVAL) X(ENOSPC) X(ERANGE) X(ENOSYS) X(EMSGSIZE) X(EPROTO) X(ENOTSUP)               \
    X(EADDRINUSE) X(EADDRNOTAVAIL) X(ECONNRESET) X(ECONNREFUSED) X(ETIMEDOUT)              \
    X(EALREADY) X(ECANCELED) X(EBUSY) X(ENOBUFS) X(EPIPE) X(ENOTCONN) X(E2BIG)

const char *acd_strerror(int err)
{
    if (err == 0)
        return "success";
    switch (err) {
#define ACD__ERR_MSG(name, value, msg)                                                    \
    case name:                                                                            \
        return msg;
        ACD_ERRORS(ACD__ERR_MSG)
#undef ACD__ERR_MSG
    default:
        break;
    }
    if (err < 0 && err > -ACD__EBASE)
        return strerror(-err);
    return "unknown error";
}

const char *acd_errname(int err)
{
    if (err == 0)
        return "OK";
    switch (err) {
#define ACD__ERR_NAME(name, value, msg)                                                   \
    case name:                                                                            \
        return #name;
        ACD_ERRORS(ACD__ERR_NAME)
#undef ACD__ERR_NAME
#define ACD__ERRNO_NAME(name)                                                             \
    case -name:                                                                           \
        return #name;
        ACD__ERRNO_NAMES(ACD__ERRNO_NAME)
#undef ACD__ERRNO_NAME
    default:
        return "EUNKNOWN";
    }
}

int acd_err_invalid(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}
