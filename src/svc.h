/* svc: detectors for the services around a PBX: TFTP brute force against
 * phone provisioning (tftp_bruteforce) and DNS abuse (dns_abuse).  Like
 * detect, it keeps bounded per-address windows and reports observations;
 * malformed TFTP/DNS messages go to detect's anomaly rule. */
#ifndef SW_SVC_H
#define SW_SVC_H

#include "decode.h"
#include "detect.h"

struct svc;

/* cfg must outlive svc (swap with svc_set_config); det gets the anomalies
 * and answers whether an address is sheltered (det_sheltered). */
struct svc *svc_new(const struct config *cfg, struct detect *det, det_observe_fn fn, void *ctx);
void svc_free(struct svc *s);
void svc_set_config(struct svc *s, const struct config *cfg);

/* A TFTP request (to a TFTP port) from p->src, for instance inst. */
void svc_tftp_request(struct svc *s, const struct packet *p, uint32_t inst);
/* A UDP payload that may answer a TFTP request (DATA, ERROR, OACK sent from
 * the server's transfer port to a client's port).  Returns true when it
 * did answer one. */
bool svc_tftp_answer(struct svc *s, const struct packet *p);
/* One DNS message (UDP payload, or one framed TCP message) between client
 * and server; to_server tells the direction. */
void svc_dns(struct svc *s, const struct packet *p, const uint8_t *msg, size_t len, bool to_server,
             uint32_t inst);

#endif
