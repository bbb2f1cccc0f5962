/* Tests for agent: blocked User-Agents by whole tokens, display names whole. */
#include "agent.h"
#include "t.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

static struct agent_set set;
static const struct cfg_rules *rules;

static struct slice S(const char *s) { return (struct slice){ s, strlen(s) }; }

/* The pattern the User-Agent matches, or "-". */
static const char *ua(const char *s)
{
	int k = agent_match_ua(&set, S(s));
	return k < 0 ? "-" : rules->agents[k];
}

static const char *name(const char *s)
{
	int k = agent_match_name(&set, S(s));
	return k < 0 ? "-" : rules->agents[k];
}

#define UA(s, want) CHECK_MSG(!strcmp(ua(s), want), "User-Agent '%s': got %s, want %s", s, ua(s), want)
#define NAME(s, want) CHECK_MSG(!strcmp(name(s), want), "display name '%s': got %s, want %s", s, name(s), want)

/* The default list against real scanners and the clients it used to block. */
static void test_defaults(void)
{
	struct config *c = cfg_defaults();
	rules = &c->inst[0].rules;
	agent_build(&set, rules->agents, rules->n_agents);
	UA("friendly-scanner", "friendly-scanner");
	UA("sipcli/v1.8", "sipcli");
	UA("VaxSIPUserAgent/3.1", "VaxSIPUserAgent");
	UA("pplsip", "^pplsip");
	UA("sipvicious", "sipvicious");
	UA("Elite", "Elite");
	UA("PortSIP VoIP SDK 11.2.3", "PortSIP VoIP SDK");
	UA("smap 0.6.0", "smap");
	UA("iWar", "iWar");
	/* case does not matter, in the header or in the list */
	UA("FRIENDLY-Scanner", "friendly-scanner");
	UA("SipCli/V1.8", "sipcli");
	UA("vaxsipuseragent", "VaxSIPUserAgent");
	UA("PPLSIP", "^pplsip");
	UA("sIpViCiOuS 0.3", "sipvicious");
	UA("IWAR", "iWar");
	/* real clients with a scanner name inside a token */
	UA("MySipClient", "-");
	UA("MySipClient/2.0", "-");
	UA("Asmap Telecom", "-");
	UA("Siwar Haddad", "-");
	UA("Elitegroup SBC", "-");
	UA("friendly-scanners", "-");
	UA("unfriendly-scanner", "-");
	UA("sipclient 1.0", "-");
	UA("Yealink SIP-T46S 66.85.0.5", "-");
	/* the User-Agents as real tools and phones send them, mixed case */
	UA("Friendly-Scanner", "friendly-scanner");
	UA("SIPVicious", "sipvicious");
	UA("VaxSIPUserAgent/3.1", "VaxSIPUserAgent");
	UA("PPLSIP", "^pplsip");
	static const char *const benign[] = { "Zoiper rv2.10.19.6", "Yealink SIP-T46S", "MicroSIP/3.21.3",
	                                      "Linphone/5.2", "Asterisk PBX 20.5.0", "FPBX-16.0.33(18.20.0)",
	                                      "Grandstream GXP2170 1.0.11.23", "Cisco-SIPGateway/IOS-15.x",
	                                      "snom D785/10.1.101.11", "Bria iOS release 6.2.1" };
	for (size_t i = 0; i < ARRAY_LEN(benign); i++)
		UA(benign[i], "-");
	UA("", "-");
	UA("sip", "-");
	/* ^pplsip: the header starts with it */
	UA("pplsip/2.1", "^pplsip");
	UA("my pplsip", "-");
	/* a scanner name after 1,000 bytes of padding is found */
	static char padded[1200];
	size_t n = (size_t)snprintf(padded, sizeof padded, "Mozilla/5.0 ");
	while (n < 1000)
		padded[n++] = 'x';
	snprintf(padded + n, sizeof padded - n, " SIPCLI/v1.8");
	UA(padded, "sipcli");
	padded[n] = 'x'; /* joined to the padding: inside a token */
	UA(padded, "-");
	/* display names: only the whole name */
	NAME("Elite", "Elite");
	NAME("ELITE", "Elite");
	NAME("sipvicious", "sipvicious");
	NAME("SIPVicious", "sipvicious");
	NAME("pplsip", "^pplsip");
	NAME("Elite Dental", "-");
	NAME("Siwar Haddad", "-");
	NAME("Asmap Telecom", "-");
	NAME("sipvicious 2", "-");
	NAME("", "-");
	cfg_free(c);
}

/* Anchors, short patterns, patterns with separators or punctuation. */
static void test_syntax(void)
{
	static struct cfg_rules r;
	static const char *const list[] = { "ab", "^Evil Bot$", "scan$", "\"quoted\"\\agent", "x-scan", "^", "Q" };
	r.n_agents = ARRAY_LEN(list);
	for (unsigned i = 0; i < r.n_agents; i++)
		snprintf(r.agents[i], sizeof r.agents[i], "%s", list[i]);
	rules = &r;
	agent_build(&set, r.agents, r.n_agents);
	UA("ab", "ab");
	UA("ab/1.0", "ab");
	UA("the AB", "ab");
	UA("lab", "-");
	UA("abc", "-");
	UA("Evil Bot", "^Evil Bot$");
	UA("evil bot", "^Evil Bot$");
	UA("Evil Bot 2", "-");
	UA("an Evil Bot", "-");
	UA("Evil  Bot", "-");        /* the separator is part of the pattern */
	UA("my scan", "scan$");
	UA("scan me", "-");
	UA("myscan", "-");
	UA("v\"quoted\"\\agent/1", "\"quoted\"\\agent"); /* an end that is no letter or digit binds nothing */
	UA("\"quoted\"\\agentX", "-");
	UA("x-scan/1", "x-scan");
	UA("x-scanner", "-");
	UA("q", "Q");
	UA("FAQ", "-");
	UA("^", "-");                /* a bare anchor never matches */
	NAME("evil bot", "^Evil Bot$");
	NAME("scan", "scan$");
	NAME("q", "Q");
	NAME("^", "-");
	/* an empty list matches nothing */
	agent_build(&set, r.agents, 0);
	UA("ab", "-");
	NAME("ab", "-");
}

static void test_check(void)
{
	CHECK(agent_check("sipcli") == NULL && agent_check("^pplsip") == NULL && agent_check("a$") == NULL);
	CHECK(agent_check("^") && agent_check("$") && agent_check("^$") && agent_check(""));
}

/* Whether pattern text pat (anchors included) matches User-Agent u by the
 * rule as the README states it, the slow way: every position. */
static bool ref_match(const char *pat, const char *u)
{
	bool st = pat[0] == '^';
	const char *b = pat + st;
	size_t n = strlen(b), len = strlen(u);
	bool en = n && b[n - 1] == '$';
	n -= en;
	if (!n)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		if ((st && i) || (en && i + n != len) || strncasecmp(u + i, b, n))
			continue;
		if (i && isalnum((unsigned char)u[i - 1]) && isalnum((unsigned char)b[0]))
			continue;
		if (i + n < len && isalnum((unsigned char)u[i + n]) && isalnum((unsigned char)b[n - 1]))
			continue;
		return true;
	}
	return false;
}

/* Random headers over a small alphabet against random patterns: the
 * prefilter never hides a match the rule allows, and never invents one. */
static void test_random(void)
{
	static struct cfg_rules r;
	static const char alpha[] = "abAB-/ 1^$.";
	uint32_t x = 12345;
#define RND(n) ((x = x * 1103515245u + 12345u) >> 16) % (n)
	unsigned found = 0;
	for (int round = 0; round < 2000; round++) {
		r.n_agents = 1 + RND(6);
		for (unsigned k = 0; k < r.n_agents; k++) {
			unsigned n = 1 + RND(6);
			for (unsigned j = 0; j < n; j++)
				r.agents[k][j] = alpha[RND(sizeof alpha - 1)];
			r.agents[k][n] = 0;
		}
		rules = &r;
		agent_build(&set, r.agents, r.n_agents);
		char u[40];
		unsigned n = RND(sizeof u);
		for (unsigned j = 0; j < n; j++)
			u[j] = alpha[RND(sizeof alpha - 3)];
		u[n] = 0;
		int k = agent_match_ua(&set, S(u));
		bool any = false;
		for (unsigned j = 0; j < r.n_agents; j++)
			any |= ref_match(r.agents[j], u);
		found += any;
		CHECK_MSG((k >= 0) == any && (k < 0 || ref_match(r.agents[k], u)), "'%s': got %d", u, k);
	}
	CHECK(found > 200); /* the rounds do exercise matches */
}

int main(void)
{
	test_defaults();
	test_syntax();
	test_check();
	test_random();
	return T_DONE();
}
