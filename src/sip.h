/* sip: zero-copy, allocation-free SIP message parser (RFC 3261).
 *
 * sip_parse() is a pure function: a buffer in, a struct of slices out.  It
 * never fails hard on hostile input; everything that is wrong with a message
 * is recorded as anomaly bits, and whatever could be parsed is still filled
 * in.  Slices point into the caller's buffer. */
#ifndef SW_SIP_H
#define SW_SIP_H

#include "util.h"

enum sip_method {
	SIP_M_NONE = 0, /* a response, or no request line */
	SIP_M_OTHER,    /* a syntactically valid method we do not know */
	SIP_M_INVITE, SIP_M_ACK, SIP_M_BYE, SIP_M_CANCEL, SIP_M_REGISTER,
	SIP_M_OPTIONS, SIP_M_PRACK, SIP_M_SUBSCRIBE, SIP_M_NOTIFY,
	SIP_M_PUBLISH, SIP_M_INFO, SIP_M_REFER, SIP_M_MESSAGE, SIP_M_UPDATE,
	SIP_M__COUNT
};

/* Anomaly reason codes.  Each is one bit in sip_msg.anomalies. */
enum sip_anomaly {
	SIP_A_BAD_START_LINE = 0, /* request/status line malformed */
	SIP_A_BAD_VERSION,        /* not SIP/2.0 */
	SIP_A_MISSING_VIA,
	SIP_A_MISSING_FROM,
	SIP_A_MISSING_TO,
	SIP_A_MISSING_CALL_ID,
	SIP_A_MISSING_CSEQ,
	SIP_A_MISSING_MAX_FORWARDS, /* requests only */
	SIP_A_CSEQ_METHOD,        /* CSeq method differs from the request method */
	SIP_A_CONTENT_LENGTH_MISSING, /* on a stream transport */
	SIP_A_CONTENT_LENGTH_MISMATCH,/* datagram: body length differs */
	SIP_A_BAD_NUMBER,         /* non-numeric or out of range: CSeq, Max-Forwards, Expires, Content-Length, status */
	SIP_A_BAD_URI,            /* Request-URI, From/To/Contact URI */
	SIP_A_UNBALANCED,         /* quotes or angle brackets */
	SIP_A_CONTROL_CHAR,       /* NUL or other control bytes in the header part */
	SIP_A_OVERSIZE_MESSAGE,
	SIP_A_OVERSIZE_HEADER,
	SIP_A_TOO_MANY_HEADERS,
	SIP_A_TOO_MANY_VIAS,
	SIP_A_BAD_HEADER,         /* a header line without a name or colon */
	SIP_A_BAD_VIA,            /* Via without protocol or sent-by */
	SIP_A_TRUNCATED,          /* ends inside the header part (stream: or inside the body) */
	SIP_A_DUPLICATE_HEADER,   /* a second From, To, Call-ID, CSeq, Max-Forwards or Content-Length */
	SIP_A_WORK_BUDGET,        /* over SIP_MAX_WORK steps: the rest of the header part was not read */
	SIP_A__COUNT
};

/* Limits (a message over them is flagged, not rejected). */
#define SIP_MAX_MESSAGE 65535
#define SIP_MAX_HEADER  8192   /* one header field, folded lines included */
#define SIP_MAX_HEADERS 128
#define SIP_MAX_VIAS    70     /* a hop each, as many as Max-Forwards' usual 70 */
/* Work per message at most, in steps: a header line, a Via value, a
 * parameter (of Via, From/To/Contact, credentials and challenges).  An
 * INVITE takes about 40; 64 KiB of one-byte parameters would take 30,000. */
#define SIP_MAX_WORK    1024

struct sip_nameaddr {
	struct slice display; /* without quotes */
	struct slice uri;     /* the whole URI */
	struct slice user;    /* userinfo user part (before ':' password / ';') */
	struct slice host;    /* host (brackets of IPv6 removed) */
	struct slice tag;     /* tag parameter */
};

struct sip_msg {
	bool is_request;
	enum sip_method method;   /* request method (or SIP_M_NONE) */
	struct slice method_s;    /* method text */
	struct slice ruri;        /* Request-URI */
	struct slice ruri_user, ruri_host;
	int status;               /* response status code, 0 for requests */
	struct slice reason;

	/* top Via */
	struct slice via_transport, via_sent_by, via_branch, via_received;
	bool via_rport;
	uint16_t via_count;       /* Via values over all Via headers */

	struct sip_nameaddr from, to, contact;
	struct slice call_id;
	uint32_t cseq;
	enum sip_method cseq_method;
	struct slice cseq_method_s;
	int max_forwards;         /* -1 when absent */
	long expires;             /* -1 when absent */
	long content_length;      /* -1 when absent */
	struct slice content_type, user_agent, server;

	/* Authorization or Proxy-Authorization (the first of each parameter) */
	bool has_auth;
	struct slice auth_username, auth_realm, auth_nonce, auth_response;
	struct slice creds;       /* from the first credentials value to the end of the last */
	bool creds_many;          /* more than one credentials field, username or response */
	/* WWW-Authenticate or Proxy-Authenticate */
	bool has_challenge;
	bool challenge_stale;     /* stale=true */
	struct slice challenge_nonce; /* the first challenge's nonce */

	uint16_t header_count;
	struct slice body;
	size_t msg_len;           /* bytes of this message (headers + body) */
	uint32_t work;            /* steps taken, at most SIP_MAX_WORK */
	uint32_t anomalies;       /* bit (1u << enum sip_anomaly) for each problem */
};

/* Parses one SIP message from buf[0..len).  stream is true for TCP/TLS, where
 * Content-Length is mandatory and frames the body; for datagrams the body is
 * the rest of the buffer.  Fills *m completely (zeroes it first).  Returns 0
 * when a start line and header block were found (m->anomalies may still be
 * non-zero), -1 when the buffer is not SIP at all (m->anomalies says why).
 * "Not SIP" means the first line neither starts with "SIP/" nor ends in a
 * "SIP/..." word; leading CR/LF bytes are skipped and counted in msg_len. */
int sip_parse(const char *buf, size_t len, bool stream, struct sip_msg *m);
/* As sip_parse, for messages only matched, not judged (responses from the
 * protected server), reading only what matching needs: the start line, Via
 * (the top value's fields and the count), Call-ID, CSeq, Content-Length
 * (so body and msg_len are as sip_parse's) and the WWW- or
 * Proxy-Authenticate fields (stale=true, the nonce).  Other fields are passed over unread
 * (their fields stay empty, -1 for numbers).  Anomalies are those found on
 * the way, a subset of sip_parse's: control bytes, malformed names of fields
 * passed over, missing From, To or Max-Forwards are not looked for.  This
 * holds for messages within SIP_MAX_WORK: past it each parser stops where
 * its own steps ran out (the light one takes fewer per line, so it may read
 * further). */
int sip_parse_light(const char *buf, size_t len, bool stream, struct sip_msg *m);

/* Stream framing: looks for one complete message at the start of buf.
 * Returns its length (headers + Content-Length body), 0 when more bytes are
 * needed, or -1 when the data cannot be framed (no Content-Length, a bad one,
 * or a header block over SIP_MAX_MESSAGE): the caller should skip the stream.
 * Leading CRLFs (keep-alives) are part of no message: sip_frame_skip_ws()
 * returns how many of them to consume first (if they are left in, sip_frame
 * counts them into the length it returns).  A header part of more than
 * SIP_MAX_WORK lines cannot be framed either. */
long sip_frame(const char *buf, size_t len);
size_t sip_frame_skip_ws(const char *buf, size_t len);

/* Names: "INVITE", ... and reason codes such as "missing_via". */
const char *sip_method_name(enum sip_method m);
enum sip_method sip_method_from(struct slice s);
const char *sip_anomaly_name(enum sip_anomaly a);

#endif
