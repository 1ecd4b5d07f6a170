"""AWS Private CA behaviour that moto lacks, patched into moto's acmpca module at startup.

moto 5.2.5 gives every CA an RSA-2048 key whatever KeyAlgorithm says, accepts any PEM on
ImportCertificateAuthorityCertificate and turns the CA ACTIVE, issues from CAs that have no
certificate, ignores Validity and SigningAlgorithm, and names the issuer after the
CreateCertificateAuthority subject instead of the imported certificate. A ceremony rehearsed
against that would pass steps that AWS refuses, or produce leaves that do not verify, so this
module makes those operations follow the AWS API reference. `install()` applies it.
"""

import base64
import calendar
import datetime
import json
import re

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from moto.acmpca import models, responses
from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time

import name_constraints


class PcaError(JsonRESTError):
    """An error answered with the AWS error code that is the class's name."""

    code = 400

    def __init__(self, message: str):
        super().__init__(type(self).__name__, message)


class CertificateMismatchException(PcaError): pass
class InvalidArgsException(PcaError): pass
class InvalidArnException(PcaError): pass
class InvalidRequestException(PcaError): pass
class InvalidStateException(PcaError): pass
class MalformedCertificateException(PcaError): pass
class MalformedCSRException(PcaError): pass
class ResourceNotFoundException(PcaError): pass
class ValidationException(PcaError): pass


KEY_ALGORITHMS = {
    "RSA_2048": lambda: rsa.generate_private_key(65537, 2048),
    "RSA_3072": lambda: rsa.generate_private_key(65537, 3072),
    "RSA_4096": lambda: rsa.generate_private_key(65537, 4096),
    "EC_prime256v1": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EC_secp384r1": lambda: ec.generate_private_key(ec.SECP384R1()),
    "EC_secp521r1": lambda: ec.generate_private_key(ec.SECP521R1()),
}

# SigningAlgorithm -> (key family it needs, hash, RSA-PSS?)
SIGNING_ALGORITHMS = {
    f"SHA{bits}WITH{family}{suffix}": (key_type, hash_type, suffix == "_PSS")
    for bits, hash_type in ((256, hashes.SHA256), (384, hashes.SHA384), (512, hashes.SHA512))
    for family, key_type, suffix in (
        ("RSA", rsa.RSAPrivateKey, ""),
        ("RSA", rsa.RSAPrivateKey, "_PSS"),
        ("ECDSA", ec.EllipticCurvePrivateKey, ""),
    )
}

SUBJECT_FIELDS = (
    ("Country", NameOID.COUNTRY_NAME),
    ("State", NameOID.STATE_OR_PROVINCE_NAME),
    ("Locality", NameOID.LOCALITY_NAME),
    ("Organization", NameOID.ORGANIZATION_NAME),
    ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("DistinguishedNameQualifier", NameOID.DN_QUALIFIER),
    ("SerialNumber", NameOID.SERIAL_NUMBER),
    ("Title", NameOID.TITLE),
    ("Surname", NameOID.SURNAME),
    ("GivenName", NameOID.GIVEN_NAME),
    ("Initials", NameOID.INITIALS),
    ("Pseudonym", NameOID.PSEUDONYM),
    ("GenerationQualifier", NameOID.GENERATION_QUALIFIER),
    ("CommonName", NameOID.COMMON_NAME),
)

# The API reference lists which extensions an imported CA certificate or chain may mark critical.
ALLOWED_CRITICAL = {
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.INHIBIT_ANY_POLICY,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    ExtensionOID.KEY_USAGE,
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.SUBJECT_INFORMATION_ACCESS,
}

MAX_CERTIFICATE = 32 * 1024
MAX_CHAIN = 2 * 1024 * 1024
ROOT_TEMPLATE = re.compile(r"^arn:[\w-]+:acm-pca:::template/RootCACertificate(_APIPassthrough|_APICSRPassthrough)?/V1$")
ARN = re.compile(r"^arn:[\w-]+:acm-pca:[\w-]+:\d{12}:certificate-authority/[\w-]+$")
# AWS backdates NotBefore by an hour unless ValidityNotBefore is given (IssueCertificate docs).
BACKDATE = datetime.timedelta(minutes=60)


def sign_kwargs(key, algorithm: str | None) -> dict:
    """Arguments for cryptography's builder.sign() for an AWS SigningAlgorithm name."""
    if algorithm not in SIGNING_ALGORITHMS:
        raise InvalidArgsException(f"Unsupported signing algorithm {algorithm!r}.")
    key_type, hash_type, pss = SIGNING_ALGORITHMS[algorithm]
    if not isinstance(key, key_type):
        raise InvalidArgsException(
            f"Signing algorithm {algorithm} does not match the algorithm family of the CA's key."
        )
    kwargs = {"algorithm": hash_type()}
    if pss:
        kwargs["rsa_padding"] = padding.PSS(padding.MGF1(hash_type()), padding.PSS.DIGEST_LENGTH)
    return kwargs


def subject_name(subject: dict) -> x509.Name:
    """The X.500 name for an ASN1Subject structure."""
    try:
        custom = subject.get("CustomAttributes")
        if custom:  # AWS takes these instead of the named fields, in the order given
            return x509.Name(
                [x509.NameAttribute(x509.ObjectIdentifier(a["ObjectIdentifier"]), a["Value"]) for a in custom]
            )
        return x509.Name([x509.NameAttribute(oid, subject[k]) for k, oid in SUBJECT_FIELDS if k in subject])
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidArgsException(f"Invalid Subject: {e}") from None


def spki(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Issuer name matches and the signature verifies (RSA PKCS#1 v1.5, RSA-PSS, ECDSA)."""
    try:
        child.verify_directly_issued_by(parent)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer and signed_by(cert, cert)


def load_certs(pem: bytes, what: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise MalformedCertificateException(f"The {what} is not PEM-encoded X.509.") from None


def check_ca_extensions(cert: x509.Certificate, what: str) -> None:
    for ext in cert.extensions:
        if ext.critical and ext.oid not in ALLOWED_CRITICAL:
            raise MalformedCertificateException(f"The {what} marks extension {ext.oid.dotted_string} critical.")
    try:
        bc = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    except x509.ExtensionNotFound:
        raise MalformedCertificateException(f"The {what} has no basicConstraints extension.") from None
    if not bc.critical:
        raise MalformedCertificateException(f"The {what}'s basicConstraints extension must be critical.")
    if not bc.value.ca:
        raise MalformedCertificateException(f"The {what} is not a CA certificate (basicConstraints CA:FALSE).")


def add_months(when: datetime.datetime, months: int) -> datetime.datetime:
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


def validity_time(validity, now: datetime.datetime, what: str, relative: bool = True) -> datetime.datetime:
    """A point in time from an AWS Validity structure (API reference, type Validity)."""
    if not isinstance(validity, dict) or not isinstance(validity.get("Value"), int) or validity["Value"] < 1:
        raise ValidationException(f"{what} must be a Validity with a positive Value.")
    kind, value = validity.get("Type"), validity["Value"]
    utc = datetime.timezone.utc
    try:
        if kind == "ABSOLUTE":
            return datetime.datetime.fromtimestamp(value, utc)
        if kind == "END_DATE":
            digits = str(value)
            if len(digits) == 12:  # UTCTime YYMMDDHHMMSS, 50..99 meaning 19xx
                year, digits = int(digits[:2]), digits[2:]
                year += 1900 if year >= 50 else 2000
            elif len(digits) == 14:
                year, digits = int(digits[:4]), digits[4:]
            else:
                raise ValueError("END_DATE must be YYMMDDHHMMSS or YYYYMMDDHHMMSS")
            parts = [int(digits[i : i + 2]) for i in range(0, 10, 2)]
            return datetime.datetime(year, *parts, tzinfo=utc)
        if relative and kind == "DAYS":
            return now + datetime.timedelta(days=value)
        if relative and kind == "MONTHS":
            return add_months(now, value)
        if relative and kind == "YEARS":
            return add_months(now, 12 * value)
    except (ValueError, OverflowError) as e:
        raise ValidationException(f"{what}: {e}") from None
    raise ValidationException(f"{what} has an unsupported Type {kind!r}.")


class CertificateAuthority(models.CertificateAuthority):
    # moto's model metaclass files every model under the service named by its module.
    __module__ = models.__name__

    def __init__(
        self,
        region: str,
        account_id: str,
        certificate_authority_configuration: dict,
        certificate_authority_type: str,
        revocation_configuration: dict,
        security_standard: str | None,
    ):
        config = certificate_authority_configuration or {}
        if certificate_authority_type not in ("ROOT", "SUBORDINATE"):
            raise InvalidArgsException("CertificateAuthorityType must be ROOT or SUBORDINATE.")
        make_key = KEY_ALGORITHMS.get(config.get("KeyAlgorithm"))
        if make_key is None:
            raise InvalidArgsException(f"KeyAlgorithm {config.get('KeyAlgorithm')!r} is not supported by the emulator.")
        subject = subject_name(config.get("Subject") or {})
        super().__init__(
            region, account_id, certificate_authority_configuration,
            certificate_authority_type, revocation_configuration, security_standard,
        )
        self._key = make_key()
        self._subject = subject
        # AWS makes the CSR once, at creation: every GetCertificateAuthorityCsr returns it.
        self._csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, **sign_kwargs(self._key, config.get("SigningAlgorithm")))
            .public_bytes(serialization.Encoding.PEM)
        )

    @property
    def key(self):
        return self._key

    @property
    def csr(self) -> bytes:
        return self._csr

    @property
    def issuer(self) -> x509.Name:
        # Leaves must name the CA certificate's subject exactly, or chain building fails.
        cert = self.certificate
        return cert.subject if cert is not None else self._subject

    def chain_certificates(self) -> list[x509.Certificate]:
        return load_certs(self.certificate_chain, "chain") if self.certificate_chain else []

    def import_certificate_authority_certificate(self, certificate: bytes, certificate_chain: bytes | None) -> None:
        if self.status not in ("PENDING_CERTIFICATE", "ACTIVE"):
            raise InvalidStateException(f"The certificate authority {self.arn} is in state {self.status}.")
        if len(certificate) > MAX_CERTIFICATE:
            raise MalformedCertificateException("The certificate is larger than 32 KB.")
        if certificate_chain is not None and len(certificate_chain) > MAX_CHAIN:
            raise MalformedCertificateException("The certificate chain is larger than 2 MB.")
        certs = load_certs(certificate, "certificate")
        if len(certs) != 1:
            raise MalformedCertificateException("Certificate must hold exactly one certificate.")
        cert = certs[0]
        chain = load_certs(certificate_chain, "certificate chain") if certificate_chain else []
        check_ca_extensions(cert, "certificate")
        for i, c in enumerate(chain):
            check_ca_extensions(c, f"chain certificate {i + 1}")

        if self.certificate_authority_type == "ROOT":
            if chain:
                raise InvalidRequestException("A root CA certificate is imported without a certificate chain.")
            if not self_signed(cert):
                raise MalformedCertificateException("Only a self-signed certificate can be imported as a root CA.")
        else:
            if self_signed(cert):
                raise MalformedCertificateException("A self-signed certificate cannot be imported as a subordinate CA.")
            if not chain:
                raise InvalidRequestException("CertificateChain is required to import a subordinate CA certificate.")
            if any(der(c) == der(cert) for c in chain):
                raise MalformedCertificateException("The certificate chain must not contain the certificate being imported.")

        if spki(cert.public_key()) != spki(self._key.public_key()):
            raise CertificateMismatchException(
                "The certificate's public key is not the one in this CA's certificate signing request."
            )

        path = [cert, *chain]
        for i, (child, parent) in enumerate(zip(path, path[1:])):
            if not signed_by(child, parent):
                what = "The certificate" if i == 0 else f"Chain certificate {i}"
                raise MalformedCertificateException(f"{what} is not signed by chain certificate {i + 1}.")
        if chain and not self_signed(chain[-1]):
            raise MalformedCertificateException("The last certificate of the chain must be a self-signed root.")
        for depth, issuer in enumerate(path[1:], start=1):
            limit = issuer.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.path_length
            if limit is not None and depth > limit:
                raise CertificateMismatchException(
                    f"Chain certificate {depth} allows a path length of {limit}, "
                    f"and {depth} CA certificate(s) below it."
                )

        self.certificate_bytes = certificate
        self.certificate_chain = certificate_chain
        self.status = "ACTIVE"
        self.updated_at = unix_time()

    def issue(self, csr_pem: bytes, signing_algorithm, validity, validity_not_before, template_arn) -> str:
        root_template = bool(template_arn and ROOT_TEMPLATE.match(template_arn))
        # A ROOT CA signs its own certificate while it waits for one; nothing else issues
        # from a CA that is not ACTIVE.
        pending_root = (
            root_template and self.certificate_authority_type == "ROOT" and self.status == "PENDING_CERTIFICATE"
        )
        if self.status != "ACTIVE" and not pending_root:
            raise InvalidStateException(f"The certificate authority {self.arn} is in state {self.status}.")
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            raise MalformedCSRException("The CSR is not a PEM-encoded PKCS #10 request.") from None
        if not csr.is_signature_valid:
            raise MalformedCSRException("The CSR's signature does not verify.")
        sign = sign_kwargs(self._key, signing_algorithm)

        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        not_after = validity_time(validity, now, "Validity")
        not_before = (
            validity_time(validity_not_before, now, "ValidityNotBefore", relative=False)
            if validity_not_before is not None
            else now - BACKDATE
        )
        if not_after <= not_before:
            raise ValidationException("The validity period ends before it starts.")

        ca_cert = self.certificate
        if ca_cert is not None:
            if not_after > ca_cert.not_valid_after_utc:
                raise ValidationException("The certificate validity specified exceeds the certificate authority validity.")
            self._check_name_constraints(csr)

        extensions = self._x509_extensions(csr, template_arn)
        if ca_cert is not None:  # key identifiers must chain to the CA certificate's own SKI
            try:
                ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
                aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
                extensions = [(aki, c) if isinstance(e, x509.AuthorityKeyIdentifier) else (e, c) for e, c in extensions]
            except x509.ExtensionNotFound:
                pass

        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.issuer)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        for ext, critical in extensions:
            builder = builder.add_extension(ext, critical)
        pem = builder.sign(self._key, **sign).public_bytes(serialization.Encoding.PEM)

        cert_id = models.mock_random.uuid4().hex
        arn = f"{self.arn}/certificate/{cert_id}"
        self.issued_certificates[arn] = pem
        if not root_template:  # GetCertificate's chain: the CA certificate, then its own chain
            chain = self.certificate_bytes.strip() + b"\n"
            if self.certificate_chain:
                chain += self.certificate_chain.strip() + b"\n"
            self.issued_certificates_certificate_chains[arn] = chain
        return arn

    def _check_name_constraints(self, csr: x509.CertificateSigningRequest) -> None:
        try:
            sans = list(csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
        except x509.ExtensionNotFound:
            sans = []
        names = name_constraints.names_of(csr.subject, sans)
        for cert in [self.certificate, *self.chain_certificates()]:
            try:
                nc = cert.extensions.get_extension_for_class(x509.NameConstraints).value
            except x509.ExtensionNotFound:
                continue
            problems = name_constraints.violations(nc, names)
            if problems:
                raise ValidationException("PCA_NAME_CONSTRAINTS_VALIDATION: " + "; ".join(problems))


# --- backend -------------------------------------------------------------------------------

def describe_certificate_authority(self, certificate_authority_arn):
    if not isinstance(certificate_authority_arn, str) or not ARN.match(certificate_authority_arn):
        raise InvalidArnException(f"{certificate_authority_arn!r} is not a certificate authority ARN.")
    if certificate_authority_arn not in self.certificate_authorities:
        raise ResourceNotFoundException(f"Could not find certificate authority {certificate_authority_arn}.")
    return self.certificate_authorities[certificate_authority_arn]


def issue_certificate(self, certificate_authority_arn, csr, signing_algorithm, validity, validity_not_before, template_arn):
    ca = self.describe_certificate_authority(certificate_authority_arn)
    return ca.issue(csr, signing_algorithm, validity, validity_not_before, template_arn)


def get_certificate(self, certificate_authority_arn, certificate_arn):
    ca = self.describe_certificate_authority(certificate_authority_arn)
    if certificate_arn not in ca.issued_certificates:
        raise ResourceNotFoundException(f"Could not find certificate {certificate_arn}.")
    return _moto_get_certificate(self, certificate_authority_arn, certificate_arn)


def _must_exist(method):
    # moto tags, lists and untags ARNs that do not exist; AWS answers ResourceNotFoundException.
    def checked(self, certificate_authority_arn, *args, **kwargs):
        self.describe_certificate_authority(certificate_authority_arn)
        return method(self, certificate_authority_arn, *args, **kwargs)

    return checked


# --- responses (request parsing moto does differently) ------------------------------------

def _blob(value, what: str) -> bytes:
    try:
        return base64.b64decode(value or "", validate=True)
    except (ValueError, TypeError):
        raise ValidationException(f"{what} is not base64.") from None


def import_response(self) -> str:
    params = json.loads(self.body)
    chain = params.get("CertificateChain")
    self.acmpca_backend.import_certificate_authority_certificate(
        certificate_authority_arn=params.get("CertificateAuthorityArn"),
        certificate=_blob(params.get("Certificate"), "Certificate"),
        certificate_chain=_blob(chain, "CertificateChain") if chain else None,
    )
    return "{}"


def get_ca_certificate_response(self) -> str:
    # The certificate and chain exactly as imported (moto re-decodes the chain as base64).
    params = json.loads(self.body)
    cert, chain = self.acmpca_backend.get_certificate_authority_certificate(params.get("CertificateAuthorityArn"))
    out = {"Certificate": cert.decode()}
    if chain:
        out["CertificateChain"] = chain.decode()
    return json.dumps(out)


def issue_response(self) -> str:
    params = json.loads(self.body)
    arn = self.acmpca_backend.issue_certificate(
        certificate_authority_arn=params.get("CertificateAuthorityArn"),
        csr=_blob(params.get("Csr"), "Csr"),
        signing_algorithm=params.get("SigningAlgorithm"),
        validity=params.get("Validity"),
        validity_not_before=params.get("ValidityNotBefore"),
        template_arn=params.get("TemplateArn"),
    )
    return json.dumps({"CertificateArn": arn})


_moto_get_certificate = models.ACMPCABackend.get_certificate


def install() -> None:
    """Patch moto's acmpca module; call before the server handles a request."""
    models.CertificateAuthority = CertificateAuthority  # looked up by create_certificate_authority
    backend = models.ACMPCABackend
    backend.describe_certificate_authority = describe_certificate_authority
    backend.issue_certificate = issue_certificate
    backend.get_certificate = get_certificate
    for name in ("list_tags", "tag_certificate_authority", "untag_certificate_authority"):
        setattr(backend, name, _must_exist(getattr(backend, name)))
    response = responses.ACMPCAResponse
    response.import_certificate_authority_certificate = import_response
    response.get_certificate_authority_certificate = get_ca_certificate_response
    response.issue_certificate = issue_response
