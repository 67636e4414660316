#!/usr/bin/python3
"""Drives the fake KMS (fake_kms_server) with botocore's real KMS client, so the wire format
the provider tests rely on is the one the AWS SDK speaks, in both directions: botocore signs
(the fake verifies), serializes the JSON 1.1 requests, and parses the fake's replies and
errors. Usage: botocore_kms_check.py <path to fake_kms_server>

Exit codes: 0 all checks passed; 1 a failure, or botocore missing where it is required
(CI=true or MINK_REQUIRE_POSTGRES=1); 77 botocore missing on a developer machine (ctest skip).
Run it with /usr/bin/python3 (Debian's botocore is in dist-packages)."""
import datetime
import os
import subprocess
import sys

REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("MINK_REQUIRE_POSTGRES") == "1"
try:
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as e:  # pragma: no cover
    print(f"botocore is not importable by {sys.executable}: {e}", file=sys.stderr)
    sys.exit(1 if REQUIRED else 77)

ACCESS_KEY = "AKIDKMSFAKE"
SECRET = "kms/fake/secret/never/printed/0123456789"

for var, value in {"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                   "AWS_EC2_METADATA_DISABLED": "true"}.items():
    os.environ[var] = value

server = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
passed = failed = 0


def check(name, ok):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name}")


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


try:
    port = int(server.stdout.readline().split()[1])
    session = botocore.session.get_session()

    def client(secret=SECRET):
        return session.create_client(
            "kms", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}))

    kms = client()
    ctx = {"tenant": "a"}
    dk = kms.generate_data_key(KeyId="key-a", KeySpec="AES_256", EncryptionContext=ctx)
    check("GenerateDataKey gives 32 bytes", len(dk["Plaintext"]) == 32)
    check("GenerateDataKey names the key's ARN", dk["KeyId"].endswith(":key/key-a"))
    out = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)
    check("Decrypt without KeyId finds the key from the blob", out["Plaintext"] == dk["Plaintext"])
    out = kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx, KeyId="key-a")
    check("Decrypt with KeyId", out["Plaintext"] == dk["Plaintext"])
    check("a wrong context is InvalidCiphertextException",
          error_code(lambda: kms.decrypt(CiphertextBlob=dk["CiphertextBlob"],
                                         EncryptionContext={"tenant": "b"})) == "InvalidCiphertextException")
    check("another key's ID is IncorrectKeyException",
          error_code(lambda: kms.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx,
                                         KeyId="key-b")) == "IncorrectKeyException")
    binary = bytes(range(256))
    enc = kms.encrypt(KeyId="key-b", Plaintext=binary)
    check("Encrypt/Decrypt round-trips binary data",
          kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])["Plaintext"] == binary)
    check("an unknown key is NotFoundException",
          error_code(lambda: kms.generate_data_key(KeyId="nope", KeySpec="AES_256")) == "NotFoundException")
    check("a wrong secret is InvalidSignatureException",
          error_code(lambda: client("wrong").describe_key(KeyId="key-a")) == "InvalidSignatureException")
    md = kms.describe_key(KeyId="key-a")["KeyMetadata"]
    check("DescribeKey: Enabled", md["KeyState"] == "Enabled" and md["Enabled"] is True)
    check("a window of 6 days is ValidationException",
          error_code(lambda: kms.schedule_key_deletion(KeyId="key-a", PendingWindowInDays=6)) == "ValidationException")
    sched = kms.schedule_key_deletion(KeyId="key-a", PendingWindowInDays=7)
    check("ScheduleKeyDeletion: PendingDeletion", sched["KeyState"] == "PendingDeletion")
    check("DeletionDate parses as a datetime", isinstance(sched["DeletionDate"], datetime.datetime))
    md = kms.describe_key(KeyId="key-a")["KeyMetadata"]
    check("DescribeKey: PendingDeletion, not Enabled, with DeletionDate",
          md["KeyState"] == "PendingDeletion" and md["Enabled"] is False and "DeletionDate" in md)
    check("a key pending deletion is KMSInvalidStateException",
          error_code(lambda: kms.decrypt(CiphertextBlob=dk["CiphertextBlob"],
                                         EncryptionContext=ctx)) == "KMSInvalidStateException")
finally:
    server.stdin.close()
    server.wait(timeout=30)

print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
