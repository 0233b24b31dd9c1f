/* anycast.c - the anycast address over rtnetlink: requests, acks, notifications, health rule. */
#include "anycast/anycast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <json-c/json.h>

#include "util/err.h"
#include "util/log.h"

#define ANYCAST_ACK_MS 2000 /* the kernel answers at once; this only guards against a lost answer  \
                             */
#define ANYCAST_RETRY_MS 1000 /* after a refused request */
#define ANYCAST_BUSY_MS 100   /* after a send that found the socket's buffer full */
#define ANYCAST_RCVBUF 8192

/* One RTM_NEWADDR / RTM_DELADDR request: the header, the address message, two attributes. */
typedef struct anycast_req {
    struct nlmsghdr nh;
    struct ifaddrmsg ifa;
    char attrs[2 * RTA_SPACE(sizeof(struct in_addr))];
} anycast_req_t;

struct acd_anycast {
    uv_loop_t *loop;
    char address[INET_ADDRSTRLEN];
    struct in_addr addr;
    char ifname[IFNAMSIZ];
    int prefix_len;

    int fd;
    uint32_t portid; /* our netlink port id: notifications of our own requests carry it */
    uv_poll_t poll;
    uv_timer_t ack_timer;   /* running while a request waits for its answer */
    uv_timer_t retry_timer; /* running after a failure, until the next attempt */
    int open_handles;

    bool want;         /* the address should be on the interface */
    char want_why[96]; /* why, as the process said it */
    bool known;        /* present is confirmed by the kernel */
    bool present;      /* the address is on the interface */
    unsigned ifindex;  /* of the last request (to match notifications) */
    uint32_t seq;
    bool inflight, inflight_add;
    uint32_t inflight_seq;
    bool resync;  /* a change by someone else arrived while a request was in flight */
    int last_err; /* of the last refused request; 0 after a success */

    bool closing, finished;
    void (*close_cb)(void *ud);
    void *close_ud;
};

_Static_assert(sizeof(((acd_anycast_state_t *)0)->address) >= INET_ADDRSTRLEN &&
                   sizeof(((acd_anycast_state_t *)0)->interface) >= IFNAMSIZ,
               "acd_anycast_state_t holds any address and interface name");

static void anycast_kick(acd_anycast_t *a);
static void anycast_finish(acd_anycast_t *a);

/* ---- the health rule ---- */

bool acd_anycast_healthy(const acd_anycast_health_t *h, const char **why)
{
    const char *w = "healthy";
    bool ok = false;
    if (!h || h->stopping)
        w = "stopping";
    else if (h->draining)
        w = "draining";
    else if (h->cluster && (h->island || !h->lease_held) && h->adrift)
        ok = true, w = "adrift";
    else if (h->cluster && (h->island || !h->lease_held) && h->lease_lost_ms > 0 &&
             h->lease_lost_ms < ACD_ANYCAST_GRACE_MS)
        ok = true, w = "grace";
    else if (h->cluster && h->island)
        w = "island";
    else if (h->cluster && !h->lease_held)
        w = "no-lease";
    else
        ok = true;
    if (why)
        *why = w;
    return ok;
}

/* ---- requests ---- */

/*
 * The one place the kernel's answer becomes ours: for an add, EEXIST means the address
 * is already there; for a delete, EADDRNOTAVAIL means it already is not (and ENODEV
 * that the interface is gone, with its addresses). Everything else is a failure.
 */
static int anycast_nl_err(bool add, int err)
{
    if (add && err == -EEXIST)
        return 0;
    if (!add && (err == -EADDRNOTAVAIL || err == -ENODEV))
        return 0;
    return err;
}

static void anycast_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
    struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(rta), data, len);
    nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Builds the request for the address on ifindex into r. */
static void anycast_build(const acd_anycast_t *a, bool add, unsigned ifindex, uint32_t seq,
                          anycast_req_t *r)
{
    memset(r, 0, sizeof(*r));
    r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r->nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
    r->nh.nlmsg_seq = seq;
    r->ifa.ifa_family = AF_INET;
    r->ifa.ifa_prefixlen = (unsigned char)a->prefix_len;
    r->ifa.ifa_scope = RT_SCOPE_UNIVERSE; /* a host-scope address is not announced by BIRD */
    r->ifa.ifa_index = ifindex;
    anycast_attr(&r->nh, IFA_LOCAL, &a->addr, sizeof(a->addr));
    anycast_attr(&r->nh, IFA_ADDRESS, &a->addr, sizeof(a->addr));
}

static void anycast_retry_later(acd_anycast_t *a, uint64_t ms);
static void anycast_ack_timeout_cb(uv_timer_t *h);

/*
 * The answer to the request in flight: err is 0 or a negative errno from the kernel
 * (or from before the request could be sent). Records the confirmed state, logs the
 * change, and goes on towards the wish.
 */
static void anycast_done(acd_anycast_t *a, bool add, int err)
{
    a->inflight = false;
    uv_timer_stop(&a->ack_timer);
    err = anycast_nl_err(add, err);
    if (err == 0) {
        bool was = a->known && a->present;
        a->known = true;
        a->present = add;
        a->last_err = 0;
        if (add && !was)
            acd_log_notice("ACD-ANYCAST-ANNOUNCED", "address=%s/%d dev=%s why=%s", a->address,
                           a->prefix_len, a->ifname, a->want_why);
        else if (!add)
            acd_log_notice("ACD-ANYCAST-WITHDRAWN", "address=%s/%d dev=%s why=%s", a->address,
                           a->prefix_len, a->ifname, a->want_why);
    } else {
        /* Repeated identical failures are not news: log them once, then at debug. */
        acd_log_level_t lvl = err == a->last_err ? ACD_LOG_DEBUG : ACD_LOG_ERR;
        acd_log(lvl, add ? "ACD-ANYCAST-ADD-FAILED" : "ACD-ANYCAST-DEL-FAILED",
                "address=%s/%d dev=%s err=%s: %s; retrying every %d ms", a->address, a->prefix_len,
                a->ifname, acd_errname(err), acd_strerror(err), ANYCAST_RETRY_MS);
        a->last_err = err;
        a->known = false;
        if (a->closing)
            anycast_finish(a); /* going away: the unit's ExecStopPost is the backstop */
        else
            anycast_retry_later(a, ANYCAST_RETRY_MS);
        return;
    }
    if (a->resync) {
        a->resync = false;
        a->known = false;
    }
    anycast_kick(a);
}

/* Sends the request that moves the interface towards the wish. */
static void anycast_send(acd_anycast_t *a, bool add)
{
    unsigned ifindex = if_nametoindex(a->ifname);
    if (ifindex == 0) {
        int err = -errno;
        if (err == 0 || err == -ENXIO)
            err = -ENODEV;
        a->inflight_add = add;
        if (add && a->last_err != err)
            acd_log_err("ACD-ANYCAST-NO-INTERFACE", "dev=%s: %s; retrying every %d ms", a->ifname,
                        acd_strerror(err), ANYCAST_RETRY_MS);
        if (add)
            a->last_err = err; /* said above: ACD-ANYCAST-ADD-FAILED goes to debug */
        anycast_done(a, add, err);
        return;
    }
    anycast_req_t r;
    a->ifindex = ifindex;
    a->seq = a->seq + 1 ? a->seq + 1 : 1;
    anycast_build(a, add, ifindex, a->seq, &r);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t n =
        sendto(a->fd, &r, r.nh.nlmsg_len, MSG_DONTWAIT, (struct sockaddr *)&kernel, sizeof(kernel));
    if (n < 0) {
        int err = -errno;
        bool busy = err == -EAGAIN || err == -ENOBUFS || err == -EINTR;
        acd_log(busy ? ACD_LOG_DEBUG : ACD_LOG_ERR, "ACD-ANYCAST-SEND-FAILED",
                "address=%s/%d dev=%s op=%s err=%s", a->address, a->prefix_len, a->ifname,
                add ? "add" : "del", acd_errname(err));
        a->known = false;
        if (a->closing && !busy)
            anycast_finish(a);
        else
            anycast_retry_later(a, busy ? ANYCAST_BUSY_MS : ANYCAST_RETRY_MS);
        return;
    }
    a->inflight = true;
    a->inflight_add = add;
    a->inflight_seq = a->seq;
    uv_timer_start(&a->ack_timer, anycast_ack_timeout_cb, ANYCAST_ACK_MS, 0);
}

/* Sends what the wish needs, unless a request is in flight or a retry is pending. */
static void anycast_kick(acd_anycast_t *a)
{
    if (a->finished || a->fd < 0)
        return;
    if (a->inflight || uv_is_active((uv_handle_t *)&a->retry_timer))
        return;
    if (a->known && a->present == a->want) {
        if (a->closing)
            anycast_finish(a);
        return;
    }
    anycast_send(a, a->want);
}

static void anycast_retry_cb(uv_timer_t *h)
{
    anycast_kick(h->data);
}

static void anycast_retry_later(acd_anycast_t *a, uint64_t ms)
{
    uv_timer_start(&a->retry_timer, anycast_retry_cb, ms, 0);
}

/* ---- answers and notifications ---- */

/* The IPv4 address (IFA_LOCAL, else IFA_ADDRESS) of an RTM_NEWADDR/DELADDR, or false. */
static bool anycast_msg_addr(const struct nlmsghdr *nh, struct in_addr *out)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
    if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || ifa->ifa_family != AF_INET)
        return false;
    bool local = false, any = false;
    int len = (int)IFA_PAYLOAD(nh);
    for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (RTA_PAYLOAD(rta) != sizeof(*out))
            continue;
        if (rta->rta_type == IFA_LOCAL) {
            memcpy(out, RTA_DATA(rta), sizeof(*out));
            local = true;
        } else if (rta->rta_type == IFA_ADDRESS && !local) {
            memcpy(out, RTA_DATA(rta), sizeof(*out));
            any = true;
        }
    }
    return local || any;
}

/*
 * An address appeared or went away. Ours (carrying our port id) was already answered
 * by its ack; anyone else's change to our address on our interface is undone towards
 * the wish: the address belongs to acdd while acdd runs.
 */
static void anycast_on_notification(acd_anycast_t *a, const struct nlmsghdr *nh)
{
    const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
    struct in_addr addr = {0};
    if (nh->nlmsg_pid == a->portid || !anycast_msg_addr(nh, &addr) ||
        addr.s_addr != a->addr.s_addr || ifa->ifa_prefixlen != a->prefix_len ||
        (a->ifindex && ifa->ifa_index != a->ifindex))
        return;
    bool present = nh->nlmsg_type == RTM_NEWADDR;
    if (a->known && a->present == present)
        return;
    acd_log_warn("ACD-ANYCAST-CHANGED-OUTSIDE",
                 "address=%s/%d dev=%s %s by another process;"
                 " %s it",
                 a->address, a->prefix_len, a->ifname, present ? "added" : "removed",
                 present == a->want ? "keeping" : "undoing");
    if (a->inflight) {
        a->resync = true;
        return;
    }
    a->known = true;
    a->present = present;
    anycast_kick(a);
}

static void anycast_on_message(acd_anycast_t *a, const struct nlmsghdr *nh)
{
    if (nh->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(nh);
        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || !a->inflight ||
            nh->nlmsg_seq != a->inflight_seq)
            return; /* a late answer to a request given up on */
        anycast_done(a, a->inflight_add, e->error);
    } else if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR) {
        anycast_on_notification(a, nh);
    }
}

static void anycast_on_readable(uv_poll_t *h, int status, int events)
{
    acd_anycast_t *a = h->data;
    (void)events;
    if (status < 0) {
        acd_log_err("ACD-ANYCAST-POLL-FAILED", "err=%s", uv_err_name(status));
        return;
    }
    /* Aligned for the netlink headers inside it. */
    uint32_t buf[ANYCAST_RCVBUF / sizeof(uint32_t)];
    for (;;) {
        ssize_t n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == ENOBUFS) {
                /* Notifications were lost: what the kernel holds is unknown again. */
                acd_log_warn("ACD-ANYCAST-OVERRUN", "notifications lost: re-asserting %s",
                             a->want ? "the address" : "its absence");
                a->known = false;
                anycast_kick(a);
                continue;
            }
            acd_log_err("ACD-ANYCAST-RECV-FAILED", "err=%s", acd_errname(-errno));
            return;
        }
        int len = (int)n;
        for (const struct nlmsghdr *nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, len);
             nh = NLMSG_NEXT(nh, len)) {
            anycast_on_message(a, nh);
            if (a->finished)
                return;
        }
    }
}

static void anycast_ack_timeout_cb(uv_timer_t *h)
{
    acd_anycast_t *a = h->data;
    acd_log_warn("ACD-ANYCAST-NO-ACK",
                 "address=%s/%d dev=%s op=%s: no answer from the kernel in"
                 " %d ms",
                 a->address, a->prefix_len, a->ifname, a->inflight_add ? "add" : "del",
                 ANYCAST_ACK_MS);
    a->inflight = false;
    a->known = false;
    if (a->closing)
        anycast_finish(a);
    else
        anycast_kick(a);
}

/* ---- lifecycle ---- */

static int anycast_socket(acd_anycast_t *a)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR};
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    a->fd = fd;
    a->portid = sa.nl_pid;
    return 0;
}

int acd_anycast_alloc(acd_anycast_t **ap, uv_loop_t *loop, const acd_anycast_cfg_t *cfg)
{
    acd_anycast_t *a = NULL;
    int rc = 0;
    if (!ap || !loop || !cfg || !cfg->address || !cfg->interface || cfg->prefix_len < 1 ||
        cfg->prefix_len > 32 || strlen(cfg->interface) == 0 || strlen(cfg->interface) >= IFNAMSIZ) {
        rc = -EINVAL;
        goto out;
    }
    if (!(a = calloc(1, sizeof(*a)))) {
        rc = -ENOMEM;
        goto out;
    }
    if (inet_pton(AF_INET, cfg->address, &a->addr) != 1) {
        free(a);
        rc = -EINVAL;
        goto out;
    }
    snprintf(a->address, sizeof(a->address), "%s", cfg->address);
    snprintf(a->ifname, sizeof(a->ifname), "%s", cfg->interface);
    snprintf(a->want_why, sizeof(a->want_why), "starting");
    a->prefix_len = cfg->prefix_len;
    a->loop = loop;
    a->fd = -1;
    if ((rc = anycast_socket(a)) < 0) {
        acd_log_err("ACD-ANYCAST-SOCKET", "cannot open a NETLINK_ROUTE socket: %s",
                    acd_strerror(rc));
        free(a);
        goto out;
    }
    if ((rc = uv_poll_init(loop, &a->poll, a->fd)) < 0) {
        close(a->fd);
        free(a);
        goto out;
    }
    a->poll.data = a;
    uv_timer_init(loop, &a->ack_timer);
    uv_timer_init(loop, &a->retry_timer);
    a->ack_timer.data = a->retry_timer.data = a;
    a->open_handles = 3;
    uv_poll_start(&a->poll, UV_READABLE, anycast_on_readable);
    acd_log_info("ACD-ANYCAST-START", "address=%s/%d dev=%s", a->address, a->prefix_len, a->ifname);
    *ap = a;
out:
    return rc;
}

void acd_anycast_want(acd_anycast_t *a, bool announce, const char *why)
{
    if (!a || a->closing)
        return;
    bool changed = announce != a->want || !why || strcmp(why, a->want_why) != 0;
    snprintf(a->want_why, sizeof(a->want_why), "%s", why ? why : "");
    if (announce != a->want) {
        a->want = announce;
        /* A retry of the opposite request is moot now. */
        uv_timer_stop(&a->retry_timer);
        a->last_err = 0;
    }
    if (changed)
        acd_log_info("ACD-ANYCAST-WANT", "announce=%d why=%s", announce, a->want_why);
    anycast_kick(a);
}

bool acd_anycast_announced(const acd_anycast_t *a)
{
    return a && a->known && a->present;
}

void acd_anycast_read(const acd_anycast_t *a, acd_anycast_state_t *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->address, sizeof(out->address), "%s", a->address);
    snprintf(out->interface, sizeof(out->interface), "%s", a->ifname);
    out->prefix_len = a->prefix_len;
    out->announced = acd_anycast_announced(a);
    if (a->last_err && out->announced != a->want)
        snprintf(out->why, sizeof(out->why), "error: %s",
                 a->last_err == -ENODEV ? "no such interface" : acd_strerror(a->last_err));
    else if (a->inflight)
        snprintf(out->why, sizeof(out->why), "%s", a->inflight_add ? "adding" : "removing");
    else
        snprintf(out->why, sizeof(out->why), "%s", a->want_why);
}

void acd_anycast_status(const acd_anycast_t *a, struct json_object *doc)
{
    if (!a || !doc)
        return;
    acd_anycast_state_t st;
    acd_anycast_read(a, &st);
    json_object *o = json_object_new_object();
    if (!o)
        return;
    json_object_object_add(o, "address", json_object_new_string(st.address));
    json_object_object_add(o, "prefix_len", json_object_new_int(st.prefix_len));
    json_object_object_add(o, "interface", json_object_new_string(st.interface));
    json_object_object_add(o, "announced", json_object_new_boolean(st.announced));
    json_object_object_add(o, "why", json_object_new_string(st.why));
    json_object_object_add(doc, "anycast", o);
}

static void anycast_on_closed(uv_handle_t *h)
{
    acd_anycast_t *a = h->data;
    if (--a->open_handles > 0)
        return;
    close(a->fd);
    void (*cb)(void *) = a->close_cb;
    void *ud = a->close_ud;
    free(a);
    if (cb)
        cb(ud);
}

/* The withdrawal is answered (or given up on): release everything. */
static void anycast_finish(acd_anycast_t *a)
{
    if (a->finished)
        return;
    a->finished = true;
    uv_close((uv_handle_t *)&a->poll, anycast_on_closed);
    uv_close((uv_handle_t *)&a->ack_timer, anycast_on_closed);
    uv_close((uv_handle_t *)&a->retry_timer, anycast_on_closed);
}

void acd_anycast_close(acd_anycast_t *a, void (*cb)(void *ud), void *ud)
{
    if (!a || a->closing)
        return;
    acd_anycast_want(a, false, "stopping");
    a->closing = true;
    a->close_cb = cb;
    a->close_ud = ud;
    /* A pending retry would wait a second for nothing: try now, once more. */
    uv_timer_stop(&a->retry_timer);
    anycast_kick(a);
    if (!a->inflight && !a->finished)
        anycast_finish(a);
}
