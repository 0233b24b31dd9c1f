/* cidr.c - IPv4 and IPv6 network prefixes: parsing "addr/len" and testing membership. */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

int acd_cidr_parse(const char *text, acd_cidr_t *out)
{
    if (!text || !out)
        return -EINVAL;
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
    if (hlen == 0 || hlen >= sizeof(host))
        return -EINVAL;
    memcpy(host, text, hlen);
    host[hlen] = '\0';

    acd_cidr_t c = {0};
    int max;
    if (inet_pton(AF_INET, host, c.addr) == 1) {
        c.family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, host, c.addr) == 1) {
        c.family = AF_INET6;
        max = 128;
    } else {
        return -EINVAL;
    }

    c.prefix = max;
    if (slash) {
        /* One to three digits, nothing else: "/", "/-1", "/8x" and "/0008" are all refused. */
        const char *p = slash + 1;
        size_t nd = strspn(p, "0123456789");
        if (nd == 0 || nd > 3 || p[nd] != '\0')
            return -EINVAL;
        int len = 0;
        for (size_t i = 0; i < nd; i++)
            len = len * 10 + (p[i] - '0');
        if (len > max)
            return -EINVAL;
        c.prefix = len;
    }

    /* Clear the host bits so that equal networks compare equal byte for byte. */
    int bytes = max / 8;
    for (int i = 0; i < bytes; i++) {
        int keep = c.prefix - i * 8;
        if (keep <= 0)
            c.addr[i] = 0;
        else if (keep < 8)
            c.addr[i] &= (uint8_t)(0xff << (8 - keep));
    }
    *out = c;
    return 0;
}

/* True when the first prefix bits of a and b agree. */
static bool cidr_match(const uint8_t *a, const uint8_t *b, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (full && memcmp(a, b, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

/*
 * An IPv4 network also contains the IPv4-mapped IPv6 form of its addresses
 * (::ffff:a.b.c.d), which is how a dual-stack socket reports IPv4 peers.
 */
bool acd_cidr_contains(const acd_cidr_t *net, const struct sockaddr *addr)
{
    if (!net || !addr)
        return false;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
        return net->family == AF_INET &&
               cidr_match(net->addr, (const uint8_t *)&sin->sin_addr, net->prefix);
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
        const uint8_t *a = sin6->sin6_addr.s6_addr;
        if (net->family == AF_INET6)
            return cidr_match(net->addr, a, net->prefix);
        if (net->family == AF_INET && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
            return cidr_match(net->addr, a + 12, net->prefix);
    }
    return false;
}
