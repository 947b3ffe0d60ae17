/*
 * outpostctl verify -- what it prints for one message (ctl.h, "msgverify").
 *
 * Text, every line starting with the file name ("stdin" for -):
 *   FILE: DKIM d=DOMAIN s=SELECTOR a=ALG b=FIRST8: RESULT (WHY[; NOTES])
 *         one per DKIM-Signature field, in message order; NOTES: "key
 *         from --key KEYFILE", "key in testing mode (t=y)", and for a
 *         pass "aligned with From DOMAIN" / "not aligned with From
 *         DOMAIN (adkim=s)" / "alignment unknown (DNS error)"
 *   FILE: DKIM: none (no DKIM-Signature field)
 *   FILE: DMARC header.from=DOMAIN: RESULT (REASON; POLICY; no SPF data:
 *         the result rests on DKIM alone)
 *         POLICY: "p=reject at _dmarc.example.com, adkim=r" (sp=, np= when
 *         they applied; ", t=y" under testing), or "no DMARC record
 *         governs DOMAIN"; a DNS error: "temperror (DNS: ...)"
 *   FILE: DMARC: permerror (WHY no From domain can be judged)
 *   FILE: verdict: pass (d=DOMAIN passes, aligned with From DOMAIN under
 *         relaxed|strict alignment)  or  verdict: fail (WHY)
 * JSON: one member of "files" per message, see mfile_json.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "json.h"

static const char *const tags[] = { "p", "sp", "np" };

static const char *
key_file(struct mkeys *ks, const struct dkimv_result *res)
{
	struct mkey	*k;

	if (res->selector[0] == '\0' || res->domain[0] == '\0')
		return NULL;
	k = mkeys_find(ks, res->selector, res->domain);
	return k != NULL ? k->file : NULL;
}

static const char *
align_word(const struct mfile *f)
{
	return f->strict ? "strict" : "relaxed";
}

/* The alignment note of a passing signature i, "" for the others. */
static void
align_note(const struct mfile *f, size_t i, char *buf, size_t len)
{
	switch (f->aligned[i]) {
	case 1:
		snprintf(buf, len, "; aligned with From %s", f->from_domain);
		break;
	case 0:
		snprintf(buf, len, "; not aligned with From %s (%s alignment)",
		    f->from_domain, align_word(f));
		break;
	case -1:
		snprintf(buf, len, "; alignment with From %s unknown (DNS "
		    "error)", f->from_domain);
		break;
	default:
		buf[0] = '\0';
	}
}

static void
print_sig(const struct mfile *f, size_t i, struct mkeys *ks)
{
	const struct dkimv_result *res = dkimv_result(f->v, i);
	const char	*kf = key_file(ks, res);
	char		 note[512], bits[32] = "";

	align_note(f, i, note, sizeof(note));
	if (res->key_bits > 0)
		snprintf(bits, sizeof(bits), "; %u-bit key", res->key_bits);
	printf("%s: DKIM d=%s s=%s a=%s b=%s: %s (%s%s%s%s%s%s)\n", f->name,
	    res->domain[0] ? res->domain : "-",
	    res->selector[0] ? res->selector : "-",
	    res->alg[0] ? res->alg : "-", res->b8[0] ? res->b8 : "-",
	    dkimv_status_name(res->status), res->why, bits,
	    kf ? "; key from --key " : "", kf ? kf : "",
	    res->testing ? "; key in testing mode (t=y)" : "", note);
}

/* "p=reject at _dmarc.example.com, adkim=r" or "no DMARC record ...". */
static void
policy_text(const struct mfile *f, char *buf, size_t len)
{
	const struct dmarc_lookup *p = &f->pol;

	if (!p->found) {
		snprintf(buf, len, "no DMARC record governs %s",
		    f->from_domain);
		return;
	}
	snprintf(buf, len, "%s=%s at _dmarc.%s, adkim=%c%s",
	    tags[p->which], dmarc_policy_name(p->policy), p->record_domain,
	    p->rec.adkim_strict ? 's' : 'r', p->rec.testing ? ", t=y" : "");
}

static void
print_dmarc(const struct mfile *f)
{
	char	 pol[512];

	if (!f->from_ok) {
		printf("%s: DMARC: permerror (%s)\n", f->name, f->from_why);
		return;
	}
	if (f->pol_rc != 0 || f->ev_rc != 0) {
		printf("%s: DMARC header.from=%s: temperror (DNS: %s)\n",
		    f->name, f->from_domain, f->pol_rc != 0 ? f->pol_err :
		    f->ev_err);
		return;
	}
	policy_text(f, pol, sizeof(pol));
	printf("%s: DMARC header.from=%s: %s (%s; %s; no SPF data: the "
	    "result rests on DKIM alone)\n", f->name, f->from_domain,
	    dmarc_result_name(f->ev.result), f->ev.reason, pol);
}

/* Why the file fails, one line. */
static void
fail_text(const struct mfile *f, char *buf, size_t len)
{
	size_t	 i, n = dkimv_count(f->v), npass = 0, dnserr = 0, temp = 0;

	for (i = 0; i < n; i++) {
		npass += f->aligned[i] >= -1;
		dnserr += f->aligned[i] == -1;
		temp += dkimv_result(f->v, i)->status == DKIMV_TEMPERROR;
	}
	if (!f->from_ok)
		snprintf(buf, len, "no From domain to align with: %s",
		    f->from_why);
	else if (n == 0)
		snprintf(buf, len, "no DKIM signature");
	else if (npass == 0 && temp > 0)
		snprintf(buf, len, "no DKIM signature passes (%zu key "
		    "lookup%s failed: temperror)", temp, temp == 1 ? "" : "s");
	else if (npass == 0)
		snprintf(buf, len, "no DKIM signature passes");
	else
		snprintf(buf, len, "no passing DKIM signature is aligned with "
		    "From %s under %s alignment%s", f->from_domain,
		    align_word(f), dnserr ? " (DNS error while aligning)" :
		    "");
}

void
mfile_print(const struct mfile *f, struct mkeys *ks)
{
	size_t	 i, n = dkimv_count(f->v);
	char	 why[512];

	for (i = 0; i < n; i++)
		print_sig(f, i, ks);
	if (n == 0)
		printf("%s: DKIM: none (no DKIM-Signature field)\n", f->name);
	print_dmarc(f);
	if (f->pass)
		printf("%s: verdict: pass (d=%s passes, aligned with From %s "
		    "under %s alignment)\n", f->name,
		    dkimv_result(f->v, f->pass_i)->domain, f->from_domain,
		    align_word(f));
	else {
		fail_text(f, why, sizeof(why));
		printf("%s: verdict: fail (%s)\n", f->name, why);
	}
}

static void
sig_json(struct json *j, const struct mfile *f, size_t i, struct mkeys *ks)
{
	const struct dkimv_result *res = dkimv_result(f->v, i);
	const char	*kf = key_file(ks, res);

	json_obj_begin(j);
	json_kv_str(j, "domain", res->domain);
	json_kv_str(j, "selector", res->selector);
	json_kv_str(j, "algorithm", res->alg);
	json_kv_str(j, "b", res->b8);
	json_kv_str(j, "auid", res->auid[0] ? res->auid : NULL);
	json_kv_str(j, "result", dkimv_status_name(res->status));
	json_kv_str(j, "why", res->why);
	json_kv_bool(j, "checked", res->verified);
	json_kv_uint(j, "key_bits", res->key_bits);
	json_kv_bool(j, "testing", res->testing);
	json_kv_str(j, "key_source", kf ? kf : "dns");
	json_key(j, "aligned");
	if (f->aligned[i] >= 0)
		json_bool(j, f->aligned[i]);
	else
		json_null(j);
	json_obj_end(j);
}

static void
dmarc_json(struct json *j, const struct mfile *f)
{
	const struct dmarc_lookup *p = &f->pol;
	int	 ok = f->from_ok && f->pol_rc == 0 && f->ev_rc == 0;

	json_key(j, "dmarc");
	json_obj_begin(j);
	json_kv_str(j, "result", !f->from_ok ? "permerror" : !ok ?
	    "temperror" : dmarc_result_name(f->ev.result));
	json_kv_str(j, "reason", !f->from_ok ? f->from_why : f->pol_rc != 0 ?
	    f->pol_err : f->ev_rc != 0 ? f->ev_err : f->ev.reason);
	json_kv_bool(j, "record", ok && p->found);
	json_kv_str(j, "record_domain", ok && p->found ? p->record_domain :
	    NULL);
	json_kv_str(j, "org_domain", ok ? p->org_domain : NULL);
	json_kv_str(j, "policy", ok && p->found ?
	    dmarc_policy_name(p->policy) : NULL);
	json_kv_str(j, "policy_tag", ok && p->found ? tags[p->which] : NULL);
	json_kv_str(j, "adkim", f->strict ? "s" : "r");
	json_kv_bool(j, "testing", ok && p->found && p->rec.testing);
	json_kv_str(j, "spf", "none");
	json_kv_str(j, "note", "no SPF data: the result rests on DKIM alone");
	json_obj_end(j);
}

void
mfile_json(struct json *j, const struct mfile *f, struct mkeys *ks)
{
	size_t	 i, n;
	char	 why[512];

	json_obj_begin(j);
	json_kv_str(j, "file", f->name);
	json_kv_str(j, "error", f->error[0] ? f->error : NULL);
	if (f->error[0] != '\0') {
		json_kv_bool(j, "pass", 0);
		json_obj_end(j);
		return;
	}
	json_kv_str(j, "from_domain", f->from_ok ? f->from_domain : NULL);
	json_key(j, "signatures");
	json_arr_begin(j);
	for (i = 0, n = dkimv_count(f->v); i < n; i++)
		sig_json(j, f, i, ks);
	json_arr_end(j);
	dmarc_json(j, f);
	json_kv_str(j, "alignment", align_word(f));
	json_kv_str(j, "aligned_domain", f->pass ?
	    dkimv_result(f->v, f->pass_i)->domain : NULL);
	json_kv_bool(j, "pass", f->pass);
	if (!f->pass)
		fail_text(f, why, sizeof(why));
	json_kv_str(j, "why", f->pass ? NULL : why);
	json_obj_end(j);
}
