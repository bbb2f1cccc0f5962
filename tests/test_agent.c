/* Tests for agent: blocked User-Agents by whole tokens, display names whole. */
#include "agent.h"
#include "t.h"

#include <stdlib.h>

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

int main(void)
{
	test_defaults();
	test_syntax();
	test_check();
	return T_DONE();
}
