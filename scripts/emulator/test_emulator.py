"""The emulator's Private CA and S3 rules, over real HTTP with boto3, checked against openssl.

Run: .venv/bin/pytest scripts/emulator
"""

import contextlib
import datetime
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = HERE.parent
UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
ROOT_SUBJECT = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "Example Root CA G1")])


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    port_file = tmp_path_factory.mktemp("emulator") / "port"
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--port", "0", "--port-file", str(port_file), "--idle-exit", "900"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not port_file.exists():
        assert proc.poll() is None, "emulator exited at start"
        assert time.monotonic() < deadline, "emulator did not listen within 20 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port_file.read_text().strip()}"
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def pca(endpoint):
    return boto3.client("acm-pca", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# --- helpers ---------------------------------------------------------------------------------

def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def ski(private_key) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(private_key.public_key())


def sign(builder, key, pss=False):
    if isinstance(key, rsa.RSAPrivateKey) and pss:
        return builder.sign(key, hashes.SHA256(), rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH))
    return builder.sign(key, hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) else hashes.SHA256())


def make_root(kind="ec", path_len=None, pss=False, subject=ROOT_SUBJECT):
    key = ec.generate_private_key(ec.SECP384R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(ski(key), critical=False))
    return key, sign(builder, key, pss)


def sign_sub(csr_pem, root_key, root_cert, *, bc_critical=True, path_len=0, constraints=None,
             public_key=None, extra=None, pss=False, days=1825, key_id=None):
    csr = x509.load_pem_x509_csr(csr_pem.encode() if isinstance(csr_pem, str) else csr_pem)
    key = public_key or csr.public_key()
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(root_cert.subject)
               .public_key(key).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(hours=1)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=bc_critical)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(key_id or x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False))
    if constraints is not None:
        builder = builder.add_extension(constraints, critical=True)
    for ext, critical in extra or []:
        builder = builder.add_extension(ext, critical)
    return sign(builder, root_key, pss)


def new_ca(pca, key_algorithm="EC_secp384r1", signing="SHA384WITHECDSA", ca_type="SUBORDINATE", subject=None):
    subject = subject or {"Country": "US", "Organization": "Example Corp", "CommonName": "Example Issuing CA"}
    arn = pca.create_certificate_authority(
        CertificateAuthorityType=ca_type,
        CertificateAuthorityConfiguration={"KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing, "Subject": subject},
    )["CertificateAuthorityArn"]
    return arn, pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]


def import_cert(pca, arn, cert, chain):
    kwargs = {"CertificateAuthorityArn": arn, "Certificate": pem(cert) if isinstance(cert, x509.Certificate) else cert}
    if chain is not None:
        kwargs["CertificateChain"] = chain
    return pca.import_certificate_authority_certificate(**kwargs)


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def leaf_csr(cn="www.dev.example.com", sans=None):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def issue(pca, arn, csr, days=30, signing="SHA384WITHECDSA"):
    cert_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm=signing,
                                     Validity={"Type": "DAYS", "Value": days})["CertificateArn"]
    return pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)


def openssl_verify(tmp_path, root, sub, leaf):
    for name, data in (("root.pem", root), ("sub.pem", sub), ("leaf.pem", leaf)):
        (tmp_path / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    return subprocess.run(["openssl", "verify", "-x509_strict", "-check_ss_sig", "-CAfile", "root.pem",
                           "-untrusted", "sub.pem", "leaf.pem"], cwd=tmp_path, capture_output=True, text=True)


@pytest.fixture(scope="module")
def root():
    return make_root()


# --- CreateCertificateAuthority / GetCertificateAuthorityCsr ------------------------------------

@pytest.mark.parametrize("algorithm,signing,key_type,size", [
    ("RSA_2048", "SHA256WITHRSA", rsa.RSAPublicKey, 2048),
    ("RSA_4096", "SHA512WITHRSA", rsa.RSAPublicKey, 4096),
    ("EC_prime256v1", "SHA256WITHECDSA", ec.EllipticCurvePublicKey, 256),
    ("EC_secp384r1", "SHA384WITHECDSA", ec.EllipticCurvePublicKey, 384),
])
def test_csr_has_requested_subject_and_key(pca, algorithm, signing, key_type, size):
    subject = {"Country": "US", "State": "WA", "Locality": "Seattle", "Organization": "Example Corp",
               "OrganizationalUnit": "PKI", "CommonName": "Example Issuing CA"}
    arn, csr_pem = new_ca(pca, algorithm, signing, subject=subject)
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert csr.is_signature_valid
    assert isinstance(csr.public_key(), key_type) and csr.public_key().key_size == size
    assert {a.oid: a.value for a in csr.subject} == {
        NameOID.COUNTRY_NAME: "US", NameOID.STATE_OR_PROVINCE_NAME: "WA", NameOID.LOCALITY_NAME: "Seattle",
        NameOID.ORGANIZATION_NAME: "Example Corp", NameOID.ORGANIZATIONAL_UNIT_NAME: "PKI",
        NameOID.COMMON_NAME: "Example Issuing CA"}
    assert pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"] == csr_pem  # made once
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "PENDING_CERTIFICATE"


def test_signing_algorithm_must_fit_the_key(pca):
    with pytest.raises(ClientError) as e:
        new_ca(pca, "EC_secp384r1", "SHA256WITHRSA")
    assert error_code(e) == "InvalidArgsException"


# --- ImportCertificateAuthorityCertificate ---------------------------------------------------

def test_good_import_activates_with_the_certificates_dates(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    sub = sign_sub(csr, root_key, root_cert)
    import_cert(pca, arn, sub, pem(root_cert))
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "ACTIVE"
    assert ca["NotBefore"] == sub.not_valid_before_utc
    assert ca["NotAfter"] == sub.not_valid_after_utc
    got = pca.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    assert got["Certificate"] == pem(sub).decode()
    assert got["CertificateChain"] == pem(root_cert).decode()


@pytest.mark.parametrize("root_kind,pss,key_algorithm,signing", [
    ("ec", False, "EC_secp384r1", "SHA384WITHECDSA"),
    ("rsa", False, "RSA_2048", "SHA256WITHRSA"),
    ("rsa", True, "EC_prime256v1", "SHA256WITHECDSA"),
])
def test_leaf_issued_after_import_verifies_under_openssl(pca, tmp_path, root_kind, pss, key_algorithm, signing):
    root_key, root_cert = make_root(root_kind, pss=pss)
    arn, csr = new_ca(pca, key_algorithm, signing)
    sub = sign_sub(csr, root_key, root_cert, pss=pss)
    import_cert(pca, arn, sub, pem(root_cert))
    got = issue(pca, arn, leaf_csr(sans=["www.dev.example.com"]), signing=signing)
    assert got["CertificateChain"].strip() == pem(sub).decode().strip() + "\n" + pem(root_cert).decode().strip()
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    assert leaf.issuer == sub.subject
    result = openssl_verify(tmp_path, pem(root_cert), pem(sub), got["Certificate"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_leaf_names_the_ca_certificates_own_key_identifier(pca, root, tmp_path):
    # A root ceremony may derive key identifiers another way than SHA-1 of the key (RFC 7093);
    # a leaf whose AKI were recomputed would then not chain in OpenSSL.
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    sub = sign_sub(csr, root_key, root_cert, key_id=x509.SubjectKeyIdentifier(bytes(range(20))))
    import_cert(pca, arn, sub, pem(root_cert))
    got = issue(pca, arn, leaf_csr())
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == bytes(range(20))
    result = openssl_verify(tmp_path, pem(root_cert), pem(sub), got["Certificate"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_certificate_of_another_key_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert, public_key=other), pem(root_cert))
    assert error_code(e) == "CertificateMismatchException"
    assert pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"] == "PENDING_CERTIFICATE"


def test_chain_that_does_not_sign_the_certificate_is_refused(pca, root):
    root_key, root_cert = root
    _, other_root = make_root()
    arn, csr = new_ca(pca)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert), pem(other_root))
    assert error_code(e) == "MalformedCertificateException"


def test_self_signed_certificate_is_refused_as_subordinate(pca):
    arn, _ = new_ca(pca)
    _, self_signed = make_root()
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, self_signed, pem(self_signed))
    assert error_code(e) == "MalformedCertificateException"


def test_chain_containing_the_certificate_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    sub = sign_sub(csr, root_key, root_cert)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sub, pem(sub) + pem(root_cert))
    assert error_code(e) == "MalformedCertificateException"


def test_non_critical_basic_constraints_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert, bc_critical=False), pem(root_cert))
    assert error_code(e) == "MalformedCertificateException"


def test_critical_crl_distribution_points_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    cdp = x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://crl.example.com/root.crl")], None, None, None)])
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert, extra=[(cdp, True)]), pem(root_cert))
    assert error_code(e) == "MalformedCertificateException"


def test_oversize_certificate_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    padding_ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x82\x64\x00" + b"x" * 0x6400)
    big = sign_sub(csr, root_key, root_cert, extra=[(padding_ext, False)])
    assert len(pem(big)) > 32 * 1024
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, big, pem(root_cert))
    assert error_code(e) == "MalformedCertificateException"


def test_subordinate_needs_a_chain(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert), None)
    assert error_code(e) == "InvalidRequestException"


def test_path_length_of_the_signer_is_enforced(pca):
    root_key, root_cert = make_root(path_len=0)
    arn, csr = new_ca(pca)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert), pem(root_cert))
    assert error_code(e) == "CertificateMismatchException"


def test_two_level_chain_in_order_is_accepted(pca, tmp_path):
    root_key, root_cert = make_root(path_len=2)
    inter_key = ec.generate_private_key(ec.SECP384R1())
    inter_csr = (x509.CertificateSigningRequestBuilder()
                 .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Intermediate")]))
                 .sign(inter_key, hashes.SHA384()).public_bytes(serialization.Encoding.PEM))
    inter = sign_sub(inter_csr, root_key, root_cert, path_len=1)
    arn, csr = new_ca(pca)
    sub = sign_sub(csr, inter_key, inter)
    with pytest.raises(ClientError) as e:  # root first: not each signed by the next
        import_cert(pca, arn, sub, pem(root_cert) + pem(inter))
    assert error_code(e) == "MalformedCertificateException"
    import_cert(pca, arn, sub, pem(inter) + pem(root_cert))
    got = issue(pca, arn, leaf_csr())
    result = openssl_verify(tmp_path, pem(root_cert), pem(sub) + pem(inter), got["Certificate"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_on_a_deleted_ca_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    pca.delete_certificate_authority(CertificateAuthorityArn=arn)
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert), pem(root_cert))
    assert error_code(e) == "InvalidStateException"


def test_unknown_ca_is_not_found(pca, root):
    _, root_cert = root
    arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, root_cert, None)
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        pca.list_tags(CertificateAuthorityArn=arn)
    assert error_code(e) == "ResourceNotFoundException"


def test_root_ca_takes_only_a_self_signed_certificate(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca, ca_type="ROOT")
    with pytest.raises(ClientError) as e:
        import_cert(pca, arn, sign_sub(csr, root_key, root_cert), None)
    assert error_code(e) == "MalformedCertificateException"
    # The AWS way to a root: the CA signs its own CSR with the RootCACertificate template.
    cert_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm="SHA384WITHECDSA",
                                     TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
                                     Validity={"Type": "YEARS", "Value": 10})["CertificateArn"]
    own = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)["Certificate"]
    import_cert(pca, arn, own.encode(), None)
    assert pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"] == "ACTIVE"


# --- IssueCertificate ---------------------------------------------------------------------

def test_issue_before_import_is_refused(pca):
    arn, _ = new_ca(pca)
    with pytest.raises(ClientError) as e:
        issue(pca, arn, leaf_csr())
    assert error_code(e) == "InvalidStateException"


def test_validity_beyond_the_ca_is_refused(pca, root):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    import_cert(pca, arn, sign_sub(csr, root_key, root_cert, days=30), pem(root_cert))
    with pytest.raises(ClientError) as e:
        issue(pca, arn, leaf_csr(), days=60)
    assert error_code(e) == "ValidationException"
    issue(pca, arn, leaf_csr(), days=20)


def test_name_constraints_bind_issuance_and_reimport_replaces_the_certificate(pca, root, tmp_path):
    root_key, root_cert = root
    arn, csr = new_ca(pca)
    import_cert(pca, arn, sign_sub(csr, root_key, root_cert), pem(root_cert))
    issue(pca, arn, leaf_csr("www.prod.example.com"))  # no constraints yet

    constraints = x509.NameConstraints(permitted_subtrees=[x509.DNSName("dev.example.com")],
                                       excluded_subtrees=[x509.DNSName("secret.dev.example.com")])
    constrained = sign_sub(csr, root_key, root_cert, constraints=constraints, days=1000)
    import_cert(pca, arn, constrained, pem(root_cert))  # same CA, same CSR: replaces the certificate
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "ACTIVE" and ca["NotAfter"] == constrained.not_valid_after_utc

    for cn, sans in (("www.prod.example.com", None), ("www.dev.example.com", ["db.secret.dev.example.com"])):
        with pytest.raises(ClientError) as e:
            issue(pca, arn, leaf_csr(cn, sans))
        assert error_code(e) == "ValidationException"
        assert "PCA_NAME_CONSTRAINTS_VALIDATION" in e.value.response["Error"]["Message"]
    got = issue(pca, arn, leaf_csr("api.dev.example.com", ["api.dev.example.com"]))
    result = openssl_verify(tmp_path, pem(root_cert), pem(constrained), got["Certificate"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_tags_round_trip(pca):
    arn, _ = new_ca(pca)
    pca.tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": "ceremony", "Value": "g1"}])
    assert pca.list_tags(CertificateAuthorityArn=arn)["Tags"] == [{"Key": "ceremony", "Value": "g1"}]


# --- S3 (scripts/emulator/s3.py) ----------------------------------------------------------

def s3_client(endpoint, key="testing", secret="testing"):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(s3={"addressing_style": "path"}))


def test_s3_is_served_on_the_same_port_with_public_access_blocks(endpoint):
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket="emulator-crl")
    with pytest.raises(ClientError) as e:
        s3.get_public_access_block(Bucket="emulator-crl")
    assert e.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
    block = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket="emulator-crl", PublicAccessBlockConfiguration=block)
    assert s3.get_public_access_block(Bucket="emulator-crl")["PublicAccessBlockConfiguration"] == block
    s3.put_object(Bucket="emulator-crl", Key="root.crl", Body=b"\x30\x00", ContentType="application/pkix-crl")
    got = s3.get_object(Bucket="emulator-crl", Key="root.crl")
    assert got["Body"].read() == b"\x30\x00" and got["ContentType"] == "application/pkix-crl"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="emulator-no-such-bucket", Key="root.crl", Body=b"")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"


@contextlib.contextmanager
def iam_enforced(endpoint):
    """moto checks IAM policies only while this lasts; the whole emulator is affected."""
    reset = lambda count: urllib.request.urlopen(urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=count.encode(), headers={"Content-Type": "text/plain"}))
    reset("0")
    try:
        yield
    finally:
        reset("inf")


def iam_user(endpoint, name, actions, bucket):
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": actions,
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    iam.put_user_policy(UserName=name, PolicyName="crl", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_public_access_block_is_authorised_by_its_iam_action(endpoint):
    s3_client(endpoint).create_bucket(Bucket="emulator-iam-pab")
    allowed = iam_user(endpoint, "pab-allowed", ["s3:GetBucketPublicAccessBlock"], "emulator-iam-pab")
    listing = iam_user(endpoint, "pab-listing", ["s3:ListBucket"], "emulator-iam-pab")
    with iam_enforced(endpoint):
        with pytest.raises(ClientError) as e:
            s3_client(endpoint, *allowed).get_public_access_block(Bucket="emulator-iam-pab")
        assert e.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
        with pytest.raises(ClientError) as e:
            s3_client(endpoint, *listing).get_public_access_block(Bucket="emulator-iam-pab")
        assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_head_of_an_absent_key_is_403_without_list_bucket(endpoint):
    s3_client(endpoint).create_bucket(Bucket="emulator-iam-head")
    reader = iam_user(endpoint, "head-reader", ["s3:GetObject"], "emulator-iam-head")
    lister = iam_user(endpoint, "head-lister", ["s3:GetObject", "s3:ListBucket"], "emulator-iam-head")
    with iam_enforced(endpoint):
        for user, status in ((reader, "403"), (lister, "404")):
            with pytest.raises(ClientError) as e:
                s3_client(endpoint, *user).head_object(Bucket="emulator-iam-head", Key="absent.crl")
            assert e.value.response["Error"]["Code"] == status


# --- scripts/practice-env ------------------------------------------------------------------

def test_practice_env_up_then_down_leaves_no_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    practice_env = str(SCRIPTS / "practice-env")
    run = lambda *args: subprocess.run([practice_env, *args], env=env, capture_output=True, text=True, timeout=120)

    up = run("up", str(tmp_path / "practice"))
    assert up.returncode == 0, up.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines())
    assert set(exports) == {"SOFTHSM2_CONF", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                            "AWS_SECRET_ACCESS_KEY", "ROOTCA_PRACTICE_DIR"}
    practice = pathlib.Path(exports["ROOTCA_PRACTICE_DIR"])
    assert f"directories.tokendir = {practice}/tokens" in pathlib.Path(exports["SOFTHSM2_CONF"]).read_text()
    pid = int((practice / "emulator.pid").read_text())
    client = boto3.client("acm-pca", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name=exports["AWS_REGION"],
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    assert client.list_certificate_authorities()["CertificateAuthorities"] == []

    again = run("up", str(practice))  # reuses the running emulator
    assert again.returncode == 0 and again.stdout == up.stdout

    down = run("down", str(practice))
    assert down.returncode == 0, down.stderr
    assert not (practice / "emulator.pid").exists()
    cmdline = pathlib.Path(f"/proc/{pid}/cmdline")
    assert not cmdline.exists() or b"server.py" not in cmdline.read_bytes()
    assert run("down", str(practice)).returncode == 0  # idempotent
