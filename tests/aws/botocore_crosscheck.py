#!/usr/bin/python3
"""Cross-checks mink's SigV4 signer against botocore (an independent implementation) on many
random requests. Usage: botocore_crosscheck.py <path to sigv4_cli> [count]

Exit codes: 0 all equal; 1 a mismatch, zero cases, or botocore missing where it is required
(CI=true or MINK_REQUIRE_POSTGRES=1, as scripts/test.sh sets); 77 botocore missing on a
developer machine (ctest reports a skip). Run it with /usr/bin/python3: Debian's botocore lives
in dist-packages, which a pyenv python3 on PATH cannot see. MINK_CROSSCHECK_SEED pins the
random seed (printed on every run)."""
import datetime
import json
import os
import random
import subprocess
import sys
from unittest import mock
from urllib.parse import quote

REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("MINK_REQUIRE_POSTGRES") == "1"
try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:  # pragma: no cover
    print(f"botocore is not importable by {sys.executable}: {e}", file=sys.stderr)
    print("install it with: apt-get install python3-botocore", file=sys.stderr)
    sys.exit(1 if REQUIRED else 77)

SEGMENT_CHARS = "abcXYZ019-_.~é€ !$&'()*+,;=@:%"
QUERY_CHARS = "abcXYZ019-_.~é€ !$&'()*+,;=@:/?%"
SUB_DELIMS = "!$&'()*+,;=@:"
HEADER_VALUE_CHARS = "abcXYZ019-_.~ !$&'()*+,;=@:/?\"<>[]{}|^`\\#%"


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def random_request(rng, port):
    segments = []
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.08:
            segments.append(rng.choice([".", ".."]))
        elif r < 0.14:
            segments.append("")  # gives "//"
        else:
            raw = rand_text(rng, SEGMENT_CHARS, 1, 8)
            segments.append(quote(raw, safe=rng.choice(["", SUB_DELIMS])))
    path = "/" + "/".join(segments)
    if segments and rng.random() < 0.3:
        path += "/"
    params = {}
    for _ in range(rng.randint(0, 4)):
        params[rand_text(rng, QUERY_CHARS, 1, 6)] = rand_text(rng, QUERY_CHARS, 0, 6)
    query = "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in params.items())
    headers = {"Host": f"127.0.0.1:{port}"}
    for i in range(rng.randint(0, 5)):
        name = f"X-Mink-{rand_text(rng, 'abcdefXYZ019-', 1, 6)}-{i}"
        value = rand_text(rng, HEADER_VALUE_CHARS, 0, 12)
        pad = lambda: rng.choice(["", " ", "  ", "\t", " \t "])
        headers[name] = pad() + value.replace(" ", rng.choice([" ", "  ", " \t "])) + pad()
    if rng.random() < 0.5:
        headers["Content-Type"] = rng.choice(["application/x-amz-json-1.1",
                                              "application/x-www-form-urlencoded; charset=utf-8"])
    body = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 1, 17, 300])))
    when = datetime.datetime(2015, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 11 * 365 * 86400))
    region = rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1"])
    service = rng.choice(["kms", "sns", "service", "sqs"])
    token = rng.choice([None, "FwoGZXIvYXdzE" + rand_text(rng, "abcdefXYZ0189+/=", 20, 60)])
    return {
        "method": rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH"]),
        "path": path, "query": query, "params": params,
        "headers": list(headers.items()), "body_hex": body.hex(),
        "amz_date": when.strftime("%Y%m%dT%H%M%SZ"), "when": when,
        "region": region, "service": service,
        "access_key": "AKID" + rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16),
        "secret_key": rand_text(rng, "abcdefXYZ0189+/", 40, 40),
        "token": token,
    }


def botocore_sign(r):
    import botocore.auth
    req = AWSRequest(method=r["method"], url="http://" + dict(r["headers"])["Host"] + r["path"],
                     headers=dict(r["headers"]), data=bytes.fromhex(r["body_hex"]),
                     params=r["params"])
    # Pin botocore's clock the way its own unit tests do: botocore >= 1.33 asks
    # get_current_datetime(), older releases (Debian 12's 1.29) datetime.datetime.utcnow().
    if hasattr(botocore.auth, "get_current_datetime"):
        pin = mock.patch("botocore.auth.get_current_datetime", return_value=r["when"])
    else:
        pin = mock.patch("botocore.auth.datetime")
    with pin as patched:
        if not hasattr(botocore.auth, "get_current_datetime"):
            patched.datetime.utcnow.return_value = r["when"]
        SigV4Auth(Credentials(r["access_key"], r["secret_key"], r["token"]),
                  r["service"], r["region"]).add_auth(req)
    auth = req.headers["Authorization"]
    if f"/{r['amz_date'][:8]}/" not in auth:
        raise SystemExit(f"could not pin botocore {botocore.__version__}'s clock: {auth}")
    return auth


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed = int(os.environ.get("MINK_CROSSCHECK_SEED", random.SystemRandom().randrange(1 << 32)))
    import botocore
    print(f"botocore {botocore.__version__} from {botocore.__file__}")
    print(f"seed {seed} (MINK_CROSSCHECK_SEED={seed} reproduces this run)")
    rng = random.Random(seed)
    requests = [random_request(rng, rng.randint(1024, 65535)) for _ in range(count)]
    lines = "".join(json.dumps({**{k: v for k, v in r.items() if k not in ("params", "when")},
                                "token": r["token"] or ""}) + "\n"
                    for r in requests)
    out = subprocess.run([sys.argv[1]], input=lines.encode(), stdout=subprocess.PIPE, check=True,
                         timeout=120).stdout.decode().splitlines()
    if len(out) != count:
        print(f"sigv4_cli answered {len(out)} of {count} requests", file=sys.stderr)
        return 1
    mismatches = 0
    for r, line in zip(requests, out):
        ours = json.loads(line)
        theirs = botocore_sign(r)
        if ours["authorization"] != theirs:
            mismatches += 1
            if mismatches <= 5:
                print("MISMATCH", json.dumps({k: v for k, v in r.items() if k != "when"}, default=str))
                print("  mink:    ", ours["authorization"])
                print("  botocore:", theirs)
                print("  mink canonical request:\n" + ours["canonical_request"])
    print(f"botocore cross-check: {count} random requests, {count - mismatches} equal, "
          f"{mismatches} different")
    if count == 0:
        print("zero cases ran", file=sys.stderr)
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
