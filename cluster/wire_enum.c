/* wire_enum.c - the core's enums and the wire's, mapped both ways in one table each. */
#include "cluster/wire.h"

#include <errno.h>

#define WIRE__COUNT(e, s) +1
enum {
    WIRE_N_AGENT_STATES = 0 ACD_AGENT_STATES(WIRE__COUNT),
    WIRE_N_DISPOSITIONS = 0 ACD_DISPOSITIONS(WIRE__COUNT),
};
#undef WIRE__COUNT

static const Acd__V1__AgentState wire_agent_states[] = {
    [ACD_AGENT_LOGGED_OUT] = ACD__V1__AGENT_STATE__AGENT_STATE_LOGGED_OUT,
    [ACD_AGENT_AVAILABLE] = ACD__V1__AGENT_STATE__AGENT_STATE_AVAILABLE,
    [ACD_AGENT_RINGING] = ACD__V1__AGENT_STATE__AGENT_STATE_RINGING,
    [ACD_AGENT_ON_CALL] = ACD__V1__AGENT_STATE__AGENT_STATE_ON_CALL,
    [ACD_AGENT_WRAPUP] = ACD__V1__AGENT_STATE__AGENT_STATE_WRAPUP,
    [ACD_AGENT_PAUSED] = ACD__V1__AGENT_STATE__AGENT_STATE_PAUSED,
};
_Static_assert(sizeof(wire_agent_states) / sizeof(wire_agent_states[0]) == WIRE_N_AGENT_STATES,
               "every core agent state needs a wire value");

static const Acd__V1__Disposition wire_dispositions[] = {
    [ACD_DISP_NONE] = ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED,
    [ACD_DISP_ANSWERED] = ACD__V1__DISPOSITION__DISPOSITION_ANSWERED,
    [ACD_DISP_ABANDONED] = ACD__V1__DISPOSITION__DISPOSITION_ABANDONED,
    [ACD_DISP_FAILED] = ACD__V1__DISPOSITION__DISPOSITION_FAILED,
    [ACD_DISP_VOICEMAIL] = ACD__V1__DISPOSITION__DISPOSITION_VOICEMAIL,
    [ACD_DISP_IVR] = ACD__V1__DISPOSITION__DISPOSITION_IVR,
    [ACD_DISP_OVERFLOW] = ACD__V1__DISPOSITION__DISPOSITION_OVERFLOW,
};
_Static_assert(sizeof(wire_dispositions) / sizeof(wire_dispositions[0]) == WIRE_N_DISPOSITIONS,
               "every core disposition needs a wire value");

Acd__V1__AgentState acd_wire_agent_state(acd_agent_state_t s)
{
    if ((unsigned)s >= WIRE_N_AGENT_STATES)
        return ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED;
    return wire_agent_states[s];
}

Acd__V1__Disposition acd_wire_disposition(acd_disposition_t d)
{
    if ((unsigned)d >= WIRE_N_DISPOSITIONS)
        return ACD__V1__DISPOSITION__DISPOSITION_UNSPECIFIED;
    return wire_dispositions[d];
}

int acd_wire_agent_state_to_core(Acd__V1__AgentState s, acd_agent_state_t *out)
{
    for (unsigned i = 0; i < WIRE_N_AGENT_STATES; i++) {
        if (s != ACD__V1__AGENT_STATE__AGENT_STATE_UNSPECIFIED && wire_agent_states[i] == s) {
            *out = (acd_agent_state_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

int acd_wire_disposition_to_core(Acd__V1__Disposition d, acd_disposition_t *out)
{
    for (unsigned i = 0; i < WIRE_N_DISPOSITIONS; i++) {
        if (wire_dispositions[i] == d) {
            *out = (acd_disposition_t)i;
            return 0;
        }
    }
    return -EINVAL;
}

int acd_wire_call_state_to_core(Acd__V1__CallKind k, acd_call_state_t *out)
{
    switch (k) {
    case ACD__V1__CALL_KIND__CALL_KIND_ARRIVE:
    case ACD__V1__CALL_KIND__CALL_KIND_REQUEUED:
        *out = ACD_CALL_QUEUED;
        return 0;
    case ACD__V1__CALL_KIND__CALL_KIND_OFFERED:
        *out = ACD_CALL_OFFERED;
        return 0;
    case ACD__V1__CALL_KIND__CALL_KIND_CONNECTED:
        *out = ACD_CALL_CONNECTED;
        return 0;
    case ACD__V1__CALL_KIND__CALL_KIND_ENDED:
        *out = ACD_CALL_ENDED;
        return 0;
    default:
        return -EINVAL;
    }
}

