#!/usr/bin/python3
"""sign-dkimpy.py KEYFILE DOMAIN SELECTOR IN OUT -- sign message IN with
dkimpy (relaxed/relaxed) and write it to OUT with the new DKIM-Signature
on top; line ends become CRLF.  KEYFILE is a PKCS#8 PEM private key as te_keygen writes it: RSA
gives rsa-sha256, Ed25519 gives ed25519-sha256.  Used by t/verifiers.t to
have signatures made by an implementation other than ours and OpenDKIM.
Returns 0, 1 on errors, 2 on usage errors.
"""
import base64
import re
import sys

import dkim

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def load_key(path):
    """(algorithm, key as dkimpy wants it) for a PEM file."""
    with open(path, "rb") as f:
        pem = f.read()
    body = b"".join(l for l in pem.splitlines() if not l.startswith(b"-----"))
    der = base64.b64decode(body)
    # PKCS#8 Ed25519: 48 bytes, OID 1.3.101.112, the seed in the last 32.
    if len(der) == 48 and b"\x06\x03\x2b\x65\x70" in der:
        return b"ed25519-sha256", base64.b64encode(der[-32:])
    return b"rsa-sha256", pem


def main():
    if len(sys.argv) != 6:
        sys.stderr.write("usage: sign-dkimpy.py KEYFILE DOMAIN SELECTOR IN OUT\n")
        return 2
    keyfile, domain, sel, src, dst = sys.argv[1:]
    try:
        alg, key = load_key(keyfile)
        with open(src, "rb") as f:
            msg = re.sub(rb"\r?\n", b"\r\n", f.read())
        sig = dkim.sign(msg, sel.encode(), domain.encode(), key,
                        canonicalize=(b"relaxed", b"relaxed"),
                        include_headers=HEADERS, signature_algorithm=alg)
        with open(dst, "wb") as f:
            f.write(sig + msg)
    except (OSError, ValueError, dkim.DKIMException) as e:
        sys.stderr.write("sign-dkimpy.py: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
