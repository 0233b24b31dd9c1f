/* ivr.h - a tenant's auto-attendant: nested DTMF menus as a pure state machine. */
#ifndef ACD_ACD_IVR_H
#define ACD_ACD_IVR_H

#include <stddef.h>

/* Where a menu choice leads. */
typedef enum acd_ivr_go {
    ACD_IVR_GO_NONE,      /* nothing (as on_timeout: the operator) */
    ACD_IVR_GO_QUEUE,     /* a queue (target) */
    ACD_IVR_GO_MENU,      /* another menu (target), e.g. back to "main" */
    ACD_IVR_GO_VOICEMAIL, /* leave a message */
    ACD_IVR_GO_HOURS,     /* hear the business hours */
    ACD_IVR_GO_OPERATOR,  /* a person, whatever the queue */
    ACD_IVR_GO_CALLBACK,  /* ask to be called back instead of holding */
    ACD_IVR_GO_ESCALATE,  /* urgent: the on-call person */
    ACD_IVR_GO_REPEAT,    /* play this menu again */
    ACD_IVR_GO_HANGUP,
} acd_ivr_go_t;

/* "none", "queue", "menu", "voicemail", "hours", "operator", "callback", "escalate",
 * "repeat", "hangup"; "?" for a value outside the enum. */
const char *acd_ivr_go_name(acd_ivr_go_t go);

#define ACD_IVR_NAME_MAX 64
#define ACD_IVR_PRIORITY_MAX 100
#define ACD_IVR_PRIORITY_URGENT ACD_IVR_PRIORITY_MAX /* queue:NAME!urgent */

typedef struct acd_ivr_target {
    acd_ivr_go_t go;
    char target[ACD_IVR_NAME_MAX]; /* QUEUE and MENU: the queue or menu name; else "" */
    int priority;                  /* QUEUE: 0 = the queue's default, up to ACD_IVR_PRIORITY_MAX */
} acd_ivr_target_t;

/*
 * Parses a target in the syntax of the configuration (config.h): "queue:<name>",
 * "queue:<name>!<priority>" (0..100), "queue:<name>!urgent" (ACD_IVR_PRIORITY_URGENT),
 * "menu:<name>", or one of "voicemail", "hours", "operator", "callback", "escalate",
 * "repeat", "hangup". Names are 1..63 printable characters without space, ':' or '!'.
 * Returns 0 or -EINVAL; *out is written only on success.
 */
int acd_ivr_target_parse(const char *text, acd_ivr_target_t *out);

/* Writes t in the syntax acd_ivr_target_parse() reads (priority only when non-zero).
 * Returns the length snprintf() would have written. */
int acd_ivr_target_format(const acd_ivr_target_t *t, char *buf, size_t len);

/* One menu choice. */
typedef struct acd_ivr_option {
    char key; /* '0'..'9', '*', '#' */
    acd_ivr_target_t target;
} acd_ivr_option_t;

#define ACD_IVR_DEFAULT_TIMEOUT_MS 5000

/* One menu as configured. Strings and options are copied by acd_ivr_alloc(). */
typedef struct acd_ivr_menu {
    const char *name;           /* unique within the IVR */
    const char *prompt;         /* prompt name played on entry and on every retry */
    int timeout_ms;             /* wait for a digit after the prompts; 0 = default */
    int retries;                /* replays allowed after invalid keys or timeouts, >= 0 */
    const char *invalid_prompt; /* played before the menu prompt after an invalid key; NULL: none */
    const char *timeout_prompt; /* played before the menu prompt after a timeout; NULL: none */
    acd_ivr_target_t on_timeout; /* where to go when retries are exhausted; NONE = operator */
    const acd_ivr_option_t *options;
    size_t n_options;
} acd_ivr_menu_t;

/* A compiled IVR (opaque, immutable once built, may be shared by any number of calls). */
typedef struct acd_ivr acd_ivr_t;

/*
 * Compiles n menus with entry menu entry into *ip. Everything is copied: the arguments
 * may go away afterwards. Checks: names valid and unique; a prompt per menu; timeout_ms
 * >= 0 and retries >= 0; option keys in 0-9 * # and unique within a menu; every target
 * valid (a queue name, an existing menu); on_timeout not "repeat" and not a chain of
 * menus whose timeouts lead back to themselves (a silent caller would loop forever;
 * options may form cycles, since a caller may go back). On failure a reason naming the
 * menu is written into err (when errlen > 0).
 * Returns 0, -EINVAL or -ENOMEM; *ip is written only on success.
 */
int acd_ivr_alloc(acd_ivr_t **ip, const acd_ivr_menu_t *menus, size_t n, const char *entry,
                  char *err, size_t errlen);
/* Frees ivr and every step prompt pointing into it. NULL is harmless. */
void acd_ivr_free(acd_ivr_t *ivr);

/* One caller's position in an IVR: a plain value the call keeps and may copy. */
typedef struct acd_ivr_session {
    char menu[ACD_IVR_NAME_MAX]; /* the current menu */
    int tries;                   /* invalid or timed-out attempts in this menu */
    int hops;                    /* menus entered so far, the entry menu included */
    int digits;                  /* digits received so far */
} acd_ivr_session_t;

typedef enum acd_ivr_step_kind {
    ACD_IVR_PLAY,  /* play prompts[], then wait timeout_ms for a digit */
    ACD_IVR_ROUTE, /* leave the IVR to route */
} acd_ivr_step_kind_t;

/*
 * What the caller of the state machine must do next. Prompt and menu strings point into
 * the IVR and stay valid until acd_ivr_free().
 */
typedef struct acd_ivr_step {
    acd_ivr_step_kind_t kind;
    const char *menu;       /* the session's menu after this step */
    const char *prompts[3]; /* PLAY: in this order */
    size_t n_prompts;
    int timeout_ms;         /* PLAY: the digit timer, started when the last prompt ends */
    acd_ivr_target_t route; /* ROUTE: where to go (never MENU, REPEAT or NONE) */
} acd_ivr_step_t;

/*
 * Driving the machine. The caller (call control) owns media and timers: it plays a
 * PLAY step's prompts, starts a timer of timeout_ms when they end, and calls
 * acd_ivr_timeout() when it fires. Digits barge in: a digit received while a prompt is
 * still playing should stop the playback and be passed to acd_ivr_digit() at once; the
 * machine does not know what is playing. After a ROUTE the session is finished, except
 * that after GO_HOURS (or any route the caller chooses to return from) acd_ivr_resume()
 * plays the current menu again. None of these functions fails or allocates.
 */

/* Starts s at the entry menu: PLAY its prompt. */
void acd_ivr_start(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out);

/*
 * Handles one digit. A known key routes (ROUTE), enters a submenu (PLAY its prompt, tries
 * reset) or repeats (PLAY the prompt again, tries unchanged). Any other character is
 * an invalid key: tries + 1, then PLAY invalid_prompt and the menu prompt, or once
 * tries > retries the menu's on_timeout (the operator when NONE; entering a menu plays
 * it). A session whose menu is no longer in ivr (a reload removed it) starts over at
 * the entry menu: PLAY its prompt, the digit is dropped (the same for the two below).
 */
void acd_ivr_digit(const acd_ivr_t *ivr, acd_ivr_session_t *s, char digit, acd_ivr_step_t *out);

/* Handles the digit timer firing: like an invalid key, with timeout_prompt. */
void acd_ivr_timeout(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out);

/* PLAYs the current menu again (tries unchanged), e.g. after the hours were told. */
void acd_ivr_resume(const acd_ivr_t *ivr, acd_ivr_session_t *s, acd_ivr_step_t *out);

#endif
