/* dialog.c - RFC 3261 dialog state and in-dialog request construction. */
#include "sip/dialog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

static int dialog_copy(char *dst, size_t len, acd_str_t s)
{
    if (s.n >= len)
        return ACD_EPARSE;
    acd_str_copy(dst, len, s);
    return 0;
}

void acd_sip_peer_for_uri(const acd_sip_uri_t *target, const acd_sip_peer_t *fallback,
                          acd_sip_peer_t *out)
{
    *out = *fallback;
    char host[64];
    if (target->host.n == 0 || target->host.n >= sizeof(host))
        return;
    acd_str_copy(host, sizeof(host), target->host);
    acd_sip_peer_t p = *fallback;
    uint16_t port = target->port ? target->port : 5060;
    if (acd_sockaddr_parse(host, port, &p.addr) < 0)
        return; /* not an IP literal: keep the address the peer used */
    if (acd_str_ieqc(target->transport, "tcp"))
        p.proto = ACD_SIP_TCP;
    else if (acd_str_ieqc(target->transport, "udp"))
        p.proto = ACD_SIP_UDP;
    if (p.proto != fallback->proto ||
        memcmp(&p.addr, &fallback->addr, sizeof(p.addr)) != 0)
        p.conn_id = 0; /* a different destination: not the connection it came in on */
    *out = p;
}

/* The first hop of the dialog: the first Route when there is a route set, else the target. */
static void dialog_resolve_peer(acd_sip_dialog_t *d, const acd_sip_peer_t *fallback)
{
    acd_str_t hop = acd_str_from(d->route_count ? d->routes[0] : d->remote_target);
    const char *lt = memchr(hop.p, '<', hop.n);
    if (lt) {
        const char *gt = memchr(lt, '>', hop.n - (size_t)(lt - hop.p));
        hop = (acd_str_t){lt + 1, gt ? (size_t)(gt - lt - 1) : hop.n - (size_t)(lt - hop.p) - 1};
    }
    acd_sip_uri_t uri;
    d->peer = *fallback;
    if (acd_sip_uri_parse(hop, &uri) == 0)
        acd_sip_peer_for_uri(&uri, fallback, &d->peer);
}

int acd_sip_dialog_init_uas(acd_sip_dialog_t *d, const acd_sip_msg_t *req, const acd_sip_peer_t *from,
                            const char *local_tag, const char *local_contact)
{
    memset(d, 0, sizeof(*d));
    if (!acd_str_present(req->contact.uri.raw))
        return ACD_EPARSE;
    int rc = dialog_copy(d->call_id, sizeof(d->call_id), req->call_id);
    rc = rc ? rc : dialog_copy(d->remote_tag, sizeof(d->remote_tag), req->from.tag);
    rc = rc ? rc : dialog_copy(d->remote_uri, sizeof(d->remote_uri), req->from.uri.raw);
    rc = rc ? rc : dialog_copy(d->local_uri, sizeof(d->local_uri), req->to.uri.raw);
    rc = rc ? rc : dialog_copy(d->remote_target, sizeof(d->remote_target), req->contact.uri.raw);
    rc = rc ? rc : dialog_copy(d->local_tag, sizeof(d->local_tag), acd_str_from(local_tag));
    rc = rc ? rc : dialog_copy(d->local_contact, sizeof(d->local_contact), acd_str_from(local_contact));
    for (int i = 0; rc == 0 && i < req->record_route_count; i++)
        rc = dialog_copy(d->routes[i], sizeof(d->routes[i]), req->record_route[i]);
    if (rc)
        return rc;
    d->route_count = req->record_route_count;
    d->remote_cseq = req->cseq;
    d->local_cseq = 1;
    dialog_resolve_peer(d, from);
    return 0;
}

int acd_sip_dialog_init_uac(acd_sip_dialog_t *d, const acd_sip_msg_t *our_req,
                            const acd_sip_msg_t *resp, const acd_sip_peer_t *sent_to,
                            const char *local_contact)
{
    memset(d, 0, sizeof(*d));
    acd_str_t target = acd_str_present(resp->contact.uri.raw) ? resp->contact.uri.raw : our_req->ruri.raw;
    int rc = dialog_copy(d->call_id, sizeof(d->call_id), our_req->call_id);
    rc = rc ? rc : dialog_copy(d->local_tag, sizeof(d->local_tag), our_req->from.tag);
    rc = rc ? rc : dialog_copy(d->remote_tag, sizeof(d->remote_tag), resp->to.tag);
    rc = rc ? rc : dialog_copy(d->local_uri, sizeof(d->local_uri), our_req->from.uri.raw);
    rc = rc ? rc : dialog_copy(d->remote_uri, sizeof(d->remote_uri), our_req->to.uri.raw);
    rc = rc ? rc : dialog_copy(d->remote_target, sizeof(d->remote_target), target);
    rc = rc ? rc : dialog_copy(d->local_contact, sizeof(d->local_contact), acd_str_from(local_contact));
    int n = resp->record_route_count;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = dialog_copy(d->routes[i], sizeof(d->routes[i]), resp->record_route[n - 1 - i]);
    if (rc)
        return rc;
    d->route_count = n;
    d->local_cseq = our_req->cseq;
    dialog_resolve_peer(d, sent_to);
    return 0;
}

void acd_sip_dialog_request(acd_sip_dialog_t *d, acd_sip_method_t method, uint32_t cseq_for_ack,
                            acd_sip_req_spec_t *s)
{
    memset(s, 0, sizeof(*s));
    s->method = method;
    s->ruri = acd_str_from(d->remote_target);
    s->from = acd_str_from(d->local_uri);
    s->from_tag = acd_str_from(d->local_tag);
    s->to = acd_str_from(d->remote_uri);
    s->to_tag = acd_str_from(d->remote_tag);
    s->call_id = acd_str_from(d->call_id);
    if (method == ACD_SIP_ACK || method == ACD_SIP_CANCEL)
        s->cseq = cseq_for_ack;
    else
        s->cseq = ++d->local_cseq;
    s->cseq_method = method;
    if (method != ACD_SIP_ACK && method != ACD_SIP_CANCEL && method != ACD_SIP_BYE)
        s->contact = acd_str_from(d->local_contact);
    for (int i = 0; i < d->route_count; i++)
        s->routes[i] = acd_str_from(d->routes[i]);
    s->route_count = d->route_count;
}

int acd_sip_dialog_remote_cseq(acd_sip_dialog_t *d, uint32_t cseq)
{
    if (cseq <= d->remote_cseq)
        return ACD_ESTATE;
    d->remote_cseq = cseq;
    return 0;
}
