#!/usr/bin/python3
"""gen.py -- regenerate the DKIM verification corpus of t/unit/dkimverify.c.

Run once from this folder (needs openssl and python3-dkim, i.e. dkimpy, an
implementation outpost did not write): makes keys, signs messages with
dkimpy, derives the tampered and broken variants, and writes
  NAME.eml   one message (CRLF)
  dns.txt    NAME<TAB>TXT key records ("!SERVFAIL" = the lookup fails)
  cases.txt  NAME<TAB>expected result per signature, top first, comma-
             separated (pass, fail, policy, permerror, temperror, and
             "+testing" for a t=y key)
Every run makes new keys (the *.pem files it leaves are not kept in git:
the test needs only the public keys in dns.txt).
"""
import base64
import re
import subprocess

import dkim

D = b"example.com"
BODY = (b"Hello Bob,\r\n\r\nThe  quarterly\treport is attached.  \r\n"
        b"-- \r\nAlice\r\n\r\n\r\n")
HDRS = (b"From: Alice <alice@example.com>\r\n"
        b"To: Bob <bob@example.org>\r\n"
        b"Subject:  Quarterly\r\n  report\r\n"
        b"Date: Tue, 28 Nov 2023 10:00:00 +0000\r\n"
        b"Message-ID: <q1@example.com>\r\n")
MSG = HDRS + b"\r\n" + BODY
SIGN_H = [b"from", b"to", b"subject", b"date", b"message-id"]


def key(name, kind, bits=2048):
    if kind == "rsa":
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:%d" % bits, "-out", name + ".pem"],
                       check=True, capture_output=True)
    else:
        subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519",
                        "-out", name + ".pem"], check=True,
                       capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", name + ".pem", "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    pem = open(name + ".pem", "rb").read()
    if kind == "ed":
        priv = subprocess.run(["openssl", "pkey", "-in", name + ".pem",
                               "-outform", "DER"], check=True,
                              capture_output=True).stdout
        return base64.b64encode(priv[-32:]), base64.b64encode(der[-32:])
    return pem, base64.b64encode(der)


def sign(msg, sel, k, alg=b"rsa-sha256", canon=(b"relaxed", b"relaxed"),
         h=SIGN_H, length=False):
    return dkim.sign(msg, sel, D, k, canonicalize=canon, include_headers=h,
                     signature_algorithm=alg, length=length) + msg


def main():
    rsa, rsa_pub = key("rsa", "rsa")
    ed, ed_pub = key("ed", "ed")
    weak, weak_pub = key("weak", "rsa", 512)
    pkcs1 = subprocess.run(["openssl", "rsa", "-in", "rsa.pem", "-pubout",
                            "-RSAPublicKey_out", "-outform", "DER"],
                           check=True, capture_output=True).stdout
    dns = [
        (b"r", b"v=DKIM1; k=rsa; p=" + rsa_pub),
        (b"e", b"v=DKIM1; k=ed25519; p=" + ed_pub),
        (b"weak", b"v=DKIM1; p=" + weak_pub),
        (b"pkcs1", b"v=DKIM1; p=" + base64.b64encode(pkcs1)),
        (b"test", b"v=DKIM1; t=y; p=" + rsa_pub),
        (b"folded", b"v=DKIM1; k=rsa;  p=" + rsa_pub[:40] + b" \t " +
         rsa_pub[40:]),
        (b"revoked", b"v=DKIM1; p="),
        (b"kmis", b"v=DKIM1; k=ed25519; p=" + rsa_pub),
        (b"badb64", b"v=DKIM1; p=" + rsa_pub[:30] + b"!*" + rsa_pub[32:]),
        (b"servfail", b"!SERVFAIL"),
    ]
    cases = []

    def out(name, msg, want):
        open(name + ".eml", "wb").write(msg)
        cases.append((name, want))

    rr = sign(MSG, b"r", rsa)
    out("rsa-relaxed", rr, "pass")
    out("rsa-simple", sign(MSG, b"r", rsa, canon=(b"simple", b"simple")),
        "pass")
    out("rsa-relaxed-simple",
        sign(MSG, b"r", rsa, canon=(b"relaxed", b"simple")), "pass")
    out("ed25519", sign(MSG, b"e", ed, alg=b"ed25519-sha256"), "pass")
    two = sign(sign(MSG, b"r", rsa), b"e", ed, alg=b"ed25519-sha256")
    out("two-sigs", two, "pass,pass")
    out("length", sign(MSG, b"r", rsa, length=True) +
        b"appended after signing\r\n", "pass")
    out("h-twice-absent", sign(MSG, b"r", rsa, h=SIGN_H + [
        b"subject", b"reply-to", b"cc"]), "pass")
    out("pkcs1-key", sign(MSG, b"pkcs1", rsa), "pass")
    out("folded-key", sign(MSG, b"folded", rsa), "pass")
    out("testing-key", sign(MSG, b"test", rsa), "pass+testing")
    out("body-tampered", rr.replace(b"quarterly", b"annual"), "fail")
    out("header-tampered", rr.replace(b"Subject:  Quarterly",
                                      b"Subject:  Yearly"), "fail")
    out("unsigned-added", b"X-Added: after signing\r\n" + rr, "pass")
    out("added-signed-header", rr.replace(b"Date:", b"Subject: Injected\r\n"
                                          b"Date:"), "fail")
    out("rsa-sha1", sign(MSG, b"r", rsa, alg=b"rsa-sha1"), "policy")
    out("weak-key", sign(MSG, b"weak", weak), "policy")
    out("revoked", sign(MSG, b"revoked", rsa), "permerror")
    out("k-mismatch", sign(MSG, b"kmis", rsa), "permerror")
    out("bad-base64-key", sign(MSG, b"badb64", rsa), "permerror")
    out("dns-error", sign(MSG, b"servfail", rsa), "temperror")
    out("nxdomain", sign(MSG, b"missing", rsa), "permerror")
    out("garbage-sig", b"DKIM-Signature: x\r\n" + rr, "permerror,pass")
    out("expired", re.sub(rb"t=(\d+);", b"t=1000000000; x=1000000100;", rr,
                          count=1), "fail")
    with open("dns.txt", "wb") as f:
        for sel, txt in dns:
            f.write(sel + b"._domainkey." + D + b"\t" + txt + b"\n")
    with open("cases.txt", "w") as f:
        for name, want in cases:
            f.write("%s\t%s\n" % (name, want))


if __name__ == "__main__":
    main()
