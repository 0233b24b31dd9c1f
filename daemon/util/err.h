/* err.h - the one error convention: 0 on success, a negative errno or ACD code on failure. */
#ifndef ACD_UTIL_ERR_H
#define ACD_UTIL_ERR_H

#include <stddef.h>

#include <errno.h>

/*
 * Every fallible function returns int: 0 on success, a negative value on failure.
 * System conditions use negative errno values (-ENOMEM, -EINVAL ...); conditions of
 * acdd's own use the ACD_E* codes below, all under -ACD__EBASE so they never collide
 * with errno. Names and messages of both come from the tables in err.c.
 */
#define ACD__EBASE 10000

/* X(name, value, message): acdd's own error codes. */
#define ACD_ERRORS(X)                                                                     \
    X(ACD_EPARSE, -(ACD__EBASE + 1), "malformed input")                                   \
    X(ACD_ECONFIG, -(ACD__EBASE + 2), "invalid configuration")                            \
    X(ACD_ESIPVERSION, -(ACD__EBASE + 3), "unsupported SIP version")                      \
    X(ACD_ENOMATCH, -(ACD__EBASE + 4), "no matching transaction or dialog")               \
    X(ACD_ESTATE, -(ACD__EBASE + 5), "operation not allowed in the current state")        \
    X(ACD_ENOAGENT, -(ACD__EBASE + 6), "no such agent")                                   \
    X(ACD_ENOQUEUE, -(ACD__EBASE + 7), "no such queue")                                   \
    X(ACD_ENOTENANT, -(ACD__EBASE + 8), "no tenant for this number")                      \
    X(ACD_ECODEC, -(ACD__EBASE + 9), "no common codec")                                   \
    X(ACD_EDRAINING, -(ACD__EBASE + 10), "site is draining")                              \
    X(ACD_EPROTO, -(ACD__EBASE + 11), "protocol error from peer")                         \
    X(ACD_ELIB, -(ACD__EBASE + 12), "library failure")                                    \
    X(ACD_ELEASE_LOST, -(ACD__EBASE + 13), "etcd lease lost")                             \
    X(ACD_ECOMPACTED, -(ACD__EBASE + 14), "etcd revision compacted: re-read everything")

enum acd_err {
#define ACD__ERR_ENUM(name, value, msg) name = value,
    ACD_ERRORS(ACD__ERR_ENUM)
#undef ACD__ERR_ENUM
};

/* Returns a static, human-readable message for err (0, -errno or an ACD code). */
const char *acd_strerror(int err);

/* Returns the static symbolic name of err ("ENOMEM", "ACD_EPARSE", "OK"). */
const char *acd_errname(int err);

/*
 * Writes the printf-style message into err (errlen bytes, NUL-terminated, truncated; err
 * may be NULL or errlen 0: nothing is written) and returns -EINVAL, so a checker can
 * `return acd_err_invalid(err, errlen, "menu '%s' ...", name);`.
 */
int acd_err_invalid(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
