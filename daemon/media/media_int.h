/* media_int.h - the media engine's private state, shared by media.c, play.c and rx.c. */
#ifndef ACD_MEDIA_MEDIA_INT_H
#define ACD_MEDIA_MEDIA_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "media/dtmf.h"
#include "media/media.h"
#include "media/prompt.h"
#include "media/record.h"
#include "media/rtp.h"
#include "util/list.h"

struct acd_media {
    uv_loop_t *loop;
    uv_timer_t tick;
    struct sockaddr_storage bind_addr; /* cfg->addr, port 0 */
    acd_rtp_ports_t ports;
    acd_prompt_set_t prompts;
    acd_list_t streams;   /* every open stream, by node */
    acd_list_t playing;   /* streams sending, by play_node */
    acd_list_t recording; /* streams recording, by rec_node */
    acd_list_t ended;     /* streams whose ended callback is due this tick, by end_node */
    uint64_t next_ns;     /* uv_hrtime() at which the next frame is due */
    unsigned handles;     /* libuv handles not closed yet (the tick and the streams) */
    bool ticking;
    bool closing;
    void (*close_cb)(void *ud);
    void *close_ud;
    uint64_t frames_dropped; /* backlog beyond the catch-up limit, all streams together */
    acd_media_stats_t stats; /* streams_open and streams_playing are kept as gauges */
    char rxbuf[2048];        /* every receive lands here and is parsed in place */
};

struct acd_media_stream {
    acd_list_t node;
    acd_list_t play_node;
    acd_list_t end_node; /* in m->ended while the ended callback is due */
    acd_media_t *m;
    uv_udp_t udp;
    int fd;
    uint16_t port;
    bool closing;
    bool playing;
    bool in_loop;     /* cur is the loop prompt */
    bool marker;      /* next packet starts a prompt */
    bool send_failed; /* a send error was logged for this stream */
    struct sockaddr_storage remote;
    socklen_t remote_len;
    acd_codec_t codec;
    /* The playlist: list[0..n_list) once each, then loop (if any) over and over. */
    const acd_prompt_t *list[ACD_MEDIA_LIST_MAX];
    size_t n_list;
    size_t idx; /* cur is list[idx] while !in_loop */
    const acd_prompt_t *loop;
    const acd_prompt_t *cur;  /* NULL when the playlist has ended */
    size_t pos;               /* next frame of cur */
    acd_media_ended_cb ended; /* NULL once called or cancelled */
    void *ended_ud;
    acd_prompt_t *file;       /* a file being played (acd_media_stream_play_file), owned */
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint64_t rx;
    /* Receive side: DTMF (te_pt < 0: off). */
    int te_pt;
    acd_media_dtmf_cb dtmf_cb;
    void *dtmf_ud;
    acd__dtmf_rx_t dtmf_rx;
    /* Receive side: the recording (rec NULL: none). */
    acd__record_t *rec;
    acd_list_t rec_node;
    uint64_t rec_deadline_ns; /* uv_hrtime() after which the tick ends it */
    acd_media_record_cb rec_done;
    void *rec_ud;
};

/* Starts receiving on s (play.c and media.c never read packets themselves). */
int acd__media_rx_start(acd_media_stream_t *s);

/* Takes s off the playing list and cancels a due ended callback (stop, close). */
void acd__media_unplay(acd_media_stream_t *s);

/* Starts the tick if it is idle (play.c); it runs while a stream plays or records. */
void acd__media_tick_start(acd_media_t *m);

/*
 * Ends the recording of s (rx.c): keeps the file when rc is 0, removes it otherwise,
 * then calls done with rc (or the close/rename error). Returns that rc; -ENOENT when
 * s is not recording. done may re-enter anything.
 */
int acd__media_record_end(acd_media_stream_t *s, int rc);

/* Ends the recordings whose clock deadline has passed (rx.c, from the tick). */
void acd__media_record_sweep(acd_media_t *m, uint64_t now_ns);

#endif
