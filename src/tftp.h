/* tftp: TFTP packet parser (RFC 1350, options RFC 2347/2348/2349).
 * Pure: buffer in, struct of slices out; no allocation, no I/O.  Hostile
 * input is never fatal: problems are anomaly bits. */
#ifndef SW_TFTP_H
#define SW_TFTP_H

#include "util.h"

enum tftp_op {
	TFTP_NONE = 0, TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4,
	TFTP_ERROR = 5, TFTP_OACK = 6,
};

enum tftp_anomaly {
	TFTP_A_SHORT = 0,       /* shorter than its opcode needs */
	TFTP_A_BAD_OPCODE,      /* not 1-6 */
	TFTP_A_NO_NUL,          /* a filename, mode, option or message without its NUL */
	TFTP_A_BAD_MODE,        /* mode not netascii/octet/mail (any case) */
	TFTP_A_BAD_OPTION,      /* option without value, or a bad blksize/timeout/tsize value */
	TFTP_A_BAD_FILENAME,    /* empty, control bytes, or over TFTP_MAX_NAME */
	TFTP_A_OVERSIZE,        /* DATA payload over 65464 bytes, packet over 65507 */
	TFTP_A_BAD_ERROR_CODE,  /* ERROR code over 8 */
	TFTP_A_WORK_BUDGET,     /* over TFTP_MAX_WORK options: the rest is not read */
	TFTP_A__COUNT
};

#define TFTP_MAX_NAME 512
#define TFTP_MAX_OPTIONS 16
/* Options read per packet at most (a client sends up to five; 64 KiB of
 * empty ones would be 16,000). */
#define TFTP_MAX_WORK 64

struct tftp_msg {
	enum tftp_op op;
	struct slice filename, mode;     /* RRQ/WRQ */
	unsigned n_options;
	struct { struct slice name, value; } options[TFTP_MAX_OPTIONS]; /* RRQ/WRQ/OACK */
	uint16_t block;                  /* DATA/ACK */
	struct slice data;               /* DATA */
	uint16_t error_code;             /* ERROR: 1 = file not found, 2 = access violation, ... */
	struct slice error_msg;          /* ERROR */
	uint32_t work;                   /* options read, at most TFTP_MAX_WORK */
	uint32_t anomalies;              /* bit (1u << enum tftp_anomaly) per problem */
};

/* Parses one UDP payload.  Fills *m completely.  Returns 0 when the opcode
 * is known (anomalies may still be set), -1 when it is not TFTP at all. */
int tftp_parse(const uint8_t *buf, size_t len, struct tftp_msg *m);
const char *tftp_anomaly_name(enum tftp_anomaly a);

#endif
