/* metrics: GET /metrics in the Prometheus text format (version 0.0.4).
 * Every name starts with sipwarden_; counters end in _total. */
#include "api.h"
#include "version.h"

#include <stdio.h>

static void head(struct http_reply *o, const char *name, const char *type, const char *help)
{
	http_reply_printf(o, "# HELP sipwarden_%s %s\n# TYPE sipwarden_%s %s\n", name, help, name, type);
}

static void one(struct http_reply *o, const char *name, const char *type, const char *help, uint64_t v)
{
	head(o, name, type, help);
	http_reply_printf(o, "sipwarden_%s %llu\n", name, (unsigned long long)v);
}

static void traffic(struct http_reply *o, const struct eng_stats *st, uint64_t recv, uint64_t drop)
{
	one(o, "packets_total", "counter", "Packets captured and decoded.", st->frames);
	one(o, "kernel_received_total", "counter", "Packets the kernel handed to the capture.", recv);
	one(o, "kernel_drops_total", "counter", "Packets the kernel dropped because the capture fell behind.", drop);
	head(o, "sip_messages_total", "counter", "SIP messages seen: requests by method, and responses.");
	for (int m = SIP_M_OTHER; m < SIP_M__COUNT; m++)
		http_reply_printf(o, "sipwarden_sip_messages_total{kind=\"request\",method=\"%s\"} %llu\n",
		                  sip_method_name((enum sip_method)m), (unsigned long long)st->by_method[m]);
	http_reply_printf(o, "sipwarden_sip_messages_total{kind=\"response\",method=\"\"} %llu\n",
	                  (unsigned long long)st->responses);
	head(o, "anomalies_total", "counter", "Malformed SIP messages by reason (a message may have several).");
	for (int a = 0; a < SIP_A__COUNT; a++)
		http_reply_printf(o, "sipwarden_anomalies_total{reason=\"%s\"} %llu\n",
		                  sip_anomaly_name((enum sip_anomaly)a), (unsigned long long)st->anomaly_reasons[a]);
	one(o, "not_sip_total", "counter", "Payloads on SIP ports that were not SIP.", st->not_sip);
	one(o, "tcp_verified_total", "counter", "TCP connections whose handshake was seen and verified.", st->dec.tcp_verified);
	one(o, "tcp_ignored_total", "counter", "TCP segments outside what the receiver accepts, ignored.", st->dec.tcp_ignored);
	one(o, "tcp_desync_total", "counter", "TCP flows that could not be followed (their sender is charged an anomaly).",
	    st->dec.anomalies[DEC_A_TCP_DESYNC]);
	one(o, "spoofed_own_total", "counter",
	    "Packets from the host's own address that arrived from outside (forged on the link), ignored.",
	    st->spoofed_own);
	one(o, "tftp_messages_total", "counter", "TFTP messages inspected.", st->tftp);
	one(o, "dns_messages_total", "counter", "DNS messages inspected.", st->dns);
}

static void verdicts(struct http_reply *o, const struct eng_stats *st)
{
	static const char *const types[EVT__COUNT] = { "block", "unblock", "anomaly", "alert" };
	head(o, "events_total", "counter", "Events emitted, by type.");
	for (int t = 0; t < EVT__COUNT; t++)
		http_reply_printf(o, "sipwarden_events_total{event=\"%s\"} %llu\n", types[t],
		                  (unsigned long long)st->events[t]);
	head(o, "detections_total", "counter", "Times a detector fired, by detector.");
	for (int d = 0; d < DET__COUNT; d++)
		http_reply_printf(o, "sipwarden_detections_total{detector=\"%s\"} %llu\n", det_name((enum detector)d),
		                  (unsigned long long)st->det.fired[d]);
	head(o, "blocks_total", "counter", "Block events, by detector.");
	for (int d = 0; d < DET__COUNT; d++)
		http_reply_printf(o, "sipwarden_blocks_total{detector=\"%s\"} %llu\n", det_name((enum detector)d),
		                  (unsigned long long)st->vrd.by_det[d]);
	one(o, "active_blocks", "gauge", "Addresses and prefixes blocked now.", st->vrd.active);
	one(o, "inside_prefix_total", "counter", "Blocks not made: the address was inside a blocked prefix.",
	    st->vrd.inside_prefix);
	one(o, "tracked_addresses", "gauge", "Addresses with detection state.", st->det.tracked);
	one(o, "evicted_addresses_total", "counter", "Address states evicted to stay within max_tracked.", st->det.evicted);
}

/* The control socket: clients now, and those dropped or refused, by reason. */
static void control(struct http_reply *o, struct daemon *d)
{
	struct ctlsrv_stats cs;
	ctlsrv_stats(d->ctl, &cs);
	one(o, "ctl_clients", "gauge", "Control socket clients connected now.", cs.clients);
	one(o, "ctl_served_total", "counter", "Control requests answered.", cs.served);
	head(o, "ctl_dropped_total", "counter", "Control clients dropped or refused, by reason.");
	const struct { const char *why; uint64_t n; } v[] = {
		{ "request_timeout", cs.request_timeouts }, { "reply_timeout", cs.reply_timeouts },
		{ "too_many_clients", cs.refused }, { "too_long", cs.too_long }, { "busy", cs.busy },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		http_reply_printf(o, "sipwarden_ctl_dropped_total{reason=\"%s\"} %llu\n", v[i].why,
		                  (unsigned long long)v[i].n);
}

int api_metrics(struct daemon *d, struct http_reply *o)
{
	struct eng_stats st;
	struct notify_stats ns;
	uint64_t recv = 0, drop = 0;
	eng_stats_get(d->eng, &st);
	cap_live_stats(d->cap, &recv, &drop);
	ntf_stats(d->ntf, &ns);
	snprintf(o->content_type, sizeof o->content_type, "text/plain; version=0.0.4; charset=utf-8");
	head(o, "build_info", "gauge", "The running version.");
	http_reply_printf(o, "sipwarden_build_info{version=\"%s\"} 1\n", SW_VERSION_STR);
	one(o, "uptime_seconds", "gauge", "Seconds since the daemon started.", (daemon_now() - d->started_us) / 1000000);
	traffic(o, &st, recv, drop);
	verdicts(o, &st);
	one(o, "firewall_operations_total", "counter", "Firewall changes applied.", d->fw_ops);
	one(o, "firewall_errors_total", "counter", "Firewall changes that failed.", d->fw_errors);
	one(o, "store_errors_total", "counter", "Database writes that failed.", d->store_errors);
	one(o, "notify_outbox", "gauge", "Mails and webhook posts waiting for delivery.", (uint64_t)(ns.outbox > 0 ? ns.outbox : 0));
	one(o, "notify_digest_pending", "gauge", "Attacks held for the next digest mail.", (uint64_t)(ns.digest > 0 ? ns.digest : 0));
	one(o, "mails_sent_total", "counter", "Mails the SMTP server accepted.", ns.mails_sent);
	one(o, "webhooks_sent_total", "counter", "Webhook posts answered 2xx.", ns.webhooks_sent);
	one(o, "notify_given_up_total", "counter", "Messages not accepted within 24 hours.", ns.given_up);
	one(o, "notify_dropped_total", "counter", "Events the notification queue could not take.", ns.dropped);
	control(o, d);
	return o->failed ? -1 : 0;
}
