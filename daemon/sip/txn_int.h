/* txn_int.h - private structures shared by the transaction layer's files. */
#ifndef ACD_SIP_TXN_INT_H
#define ACD_SIP_TXN_INT_H

#include <stdbool.h>

#include "sip/txn.h"
#include "util/buf.h"
#include "util/hmap.h"

typedef enum txn_kind {
    TXN_IST,  /* INVITE server */
    TXN_NIST, /* non-INVITE server */
    TXN_ICT,  /* INVITE client */
    TXN_NICT, /* non-INVITE client */
} txn_kind_t;

typedef enum txn_state {
    TXN_TRYING,
    TXN_PROCEEDING,
    TXN_COMPLETED,
    TXN_CONFIRMED,
    TXN_ACCEPTED,
    TXN_TERMINATED,
} txn_state_t;

struct acd_sip_txn {
    acd_sip_txl_t *l;
    txn_kind_t kind;
    txn_state_t state;
    acd_hmap_node_t node;     /* in l->txns under key */
    char *key;
    acd_hmap_node_t ack_node; /* IST in Accepted: in l->accepted under ack_key */
    char *ack_key;
    acd_sip_msg_t *req;       /* server: the request; client: our own request, parsed */
    acd_sip_peer_t peer;      /* server: where it came from; client: where it goes */
    acd_buf_t out;            /* server: last response sent; client: request bytes */
    acd_buf_t ack;            /* client INVITE: the ACK to resend on retransmitted finals */
    int final_code;           /* 0 until a final response was sent/received */
    int interval_ms;          /* current retransmission interval */
    bool reliable;            /* TCP: no retransmissions */
    bool cancel_pending;      /* client INVITE: CANCEL asked before any provisional */
    bool cancelled;           /* client INVITE: CANCEL sent */
    bool provisional;         /* client INVITE: a provisional response arrived */
    bool acked;               /* server INVITE: the ACK for our 2xx arrived */
    bool relayed;             /* server: forwarded to relay_to (txn_relay.c), out is the copy */
    acd_sip_peer_t relay_to;
    bool in_callback;         /* a TU callback is running; defer destruction */
    bool doomed;              /* destroy when the callback returns */
    acd_sip_response_cb cb;
    void *ud;
    uv_timer_t retx;          /* A, E, G, 2xx retransmission */
    uv_timer_t end;           /* B, D, F, H, I, J, K, L, M */
    int open_handles;
};

struct acd_sip_txl {
    uv_loop_t *loop;
    acd_sip_transport_t *transport;
    acd_sip_txl_cfg_t cfg;
    char *via_host;
    acd_sip_tu_ops_t ops;
    void *ud;
    acd_hmap_t txns;      /* every live transaction by key */
    acd_hmap_t accepted;  /* INVITE server transactions in Accepted, by Call-ID|CSeq */
    acd_sip_txl_stats_t stats;
    bool closing;
    int pending_frees;
    void (*close_cb)(void *ud);
    void *close_ud;
};

/* txn.c */
int acd__txn_alloc(acd_sip_txl_t *l, txn_kind_t kind, char *key, acd_sip_txn_t **tp);
void acd__txn_destroy(acd_sip_txn_t *t);
void acd__txn_arm(acd_sip_txn_t *t, uv_timer_t *timer, int ms);
void acd__txn_send(acd_sip_txn_t *t, const acd_buf_t *b);
int acd__txn_server_key(const acd_sip_msg_t *m, acd_sip_method_t method, char **keyp);
/*
 * received= and rport= for req's top Via from where it came from (RFC 3261 18.2.1,
 * RFC 3581) into o; received points into ip (size iplen), which the caller keeps.
 */
void acd__txn_via_params(const acd_sip_msg_t *req, const acd_sip_peer_t *from,
                         acd_sip_resp_opts_t *o, char *ip, size_t iplen);

/* txn_server.c */
void acd__txn_server_recv(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from);
void acd__txn_server_timer(acd_sip_txn_t *t, uv_timer_t *which);

/* txn_relay.c */
/*
 * m arrived for server transaction st, which was relayed: a retransmission of its
 * request, or the CANCEL or non-2xx ACK on its branch. Forwards it the same way.
 */
void acd__txn_relay_again(acd_sip_txn_t *st, const acd_sip_msg_t *m, const acd_sip_peer_t *from);
/* A response no client transaction matched: forwarded when its top Via is our relay Via. */
bool acd__txn_relay_response(acd_sip_txl_t *l, const acd_sip_msg_t *m);

/* txn_client.c */
void acd__txn_client_recv(acd_sip_txl_t *l, acd_sip_msg_t *m, const acd_sip_peer_t *from);
void acd__txn_client_timer(acd_sip_txn_t *t, uv_timer_t *which);
void acd__txn_client_report(acd_sip_txn_t *t, const acd_sip_msg_t *resp, int status);

#endif
