/* config_token.c - admin.token_file: the admin API's bearer token, read from its own file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_int.h"

#define TOKEN_MIN 16
#define TOKEN_MAX 256
#define TOKEN_FILE_MAX 4096

/*
 * RFC 6750's b64token: letters, digits and "-._~+/", then any number of "=". A token of
 * that set can travel in an Authorization header as it is and never needs quoting.
 */
static bool token_ok(const char *t, size_t n)
{
    static const char extra[] = "-._~+/";
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !(c && strchr(extra, c)))
            break;
    }
    while (i < n && t[i] == '=')
        i++;
    return i == n;
}

/*
 * Reads the whole file at path into buf (cap bytes, NUL-terminated) after checking what
 * it is. Returns 0, or -errno with why in *why (a static text) for the message.
 */
static int token_read(const char *path, char *buf, size_t cap, size_t *len, mode_t *mode,
                      const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *why = strerror(errno);
        return -errno;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        *why = strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        *why = "not a regular file";
    } else if (st.st_size >= (off_t)cap) {
        rc = -EFBIG;
        *why = "too large for a token";
    }
    *mode = st.st_mode & 07777;
    size_t got = 0;
    while (rc == 0 && got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            *why = strerror(errno);
        }
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return rc;
}

void acd__cfg_read_token_file(acd__cfg_ctx_t *ctx, const acd__cfg_field_t *f, yaml_node_t *v,
                              void *base)
{
    acd_config_t *cfg = base;
    int line = acd__cfg_node_line(v);
    const char *path = acd__cfg_scalar(ctx, f, v, "a file name");
    char buf[TOKEN_FILE_MAX];
    size_t len = 0;
    mode_t mode = 0;
    const char *why = NULL;

    if (!path)
        return;
    if (!*path) {
        acd__cfg_error(ctx, line, "'%s' must not be empty", f->key);
        return;
    }
    if (token_read(path, buf, sizeof(buf), &len, &mode, &why) < 0) {
        acd__cfg_error(ctx, line, "%s '%.200s': %s", f->key, path, why);
        goto out;
    }
    /* Like ssh with its keys: a secret every local user can read is no secret. */
    if (mode & (S_IROTH | S_IWOTH)) {
        acd__cfg_error(ctx, line,
                       "%s '%.200s' can be read or written by every user (mode %04o): "
                       "chmod o-rw it",
                       f->key, path, (unsigned)mode);
        goto out;
    }
    if (len && buf[len - 1] == '\n')
        len--;
    if (len && buf[len - 1] == '\r')
        len--;
    if (len < TOKEN_MIN || len > TOKEN_MAX || !token_ok(buf, len)) {
        acd__cfg_error(ctx, line,
                       "%s '%.200s' must hold one token of %d..%d characters (letters, digits, "
                       "-._~+/ and trailing =), optionally followed by a newline",
                       f->key, path, TOKEN_MIN, TOKEN_MAX);
        goto out;
    }
    char *p = strdup(path), *t = strndup(buf, len);
    if (!p || !t) {
        free(p);
        free(t);
        acd__cfg_error(ctx, line, "out of memory");
        goto out;
    }
    char **dst = (char **)((char *)base + f->offset);
    free(*dst);
    *dst = p;
    if (cfg->admin_token) {
        explicit_bzero(cfg->admin_token, strlen(cfg->admin_token));
        free(cfg->admin_token);
    }
    cfg->admin_token = t;
    acd__cfg_line_note(ctx, dst, line);
out:
    explicit_bzero(buf, sizeof(buf));
}
