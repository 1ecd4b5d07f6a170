"""RFC 5280 name-constraint checking for certificates the emulated Private CA issues.

AWS Private CA refuses to issue a certificate whose names fall outside the name constraints
of its CA certificate (ValidationException, PCA_NAME_CONSTRAINTS_VALIDATION), so a practice
run finds a wrong constraint before a relying party does.
"""

import re
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

_HOSTNAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$", re.I)


def _dns_match(name: str, base: str) -> bool:
    # "example.com" covers itself and every subdomain; ".example.com" only subdomains
    # (the OpenSSL reading, which is what relying parties will apply).
    name, base = name.lower().rstrip("."), base.lower().rstrip(".")
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _email_match(addr: str, base: str) -> bool:
    local, _, host = addr.rpartition("@")
    if "@" in base:
        b_local, _, b_host = base.rpartition("@")
        return local == b_local and host.lower() == b_host.lower()
    if base.startswith("."):
        return host.lower().endswith(base.lower())
    return host.lower() == base.lower()


def _uri_match(uri: str, base: str) -> bool:
    host = (urlsplit(uri).hostname or "").lower()
    if base.startswith("."):
        return host.endswith(base.lower())
    return host == base.lower()


def _ip_match(addr, net) -> bool:
    return addr.version == net.version and addr in net


def _dn_match(name: x509.Name, base: x509.Name) -> bool:
    # A directoryName subtree is a prefix of RDNs, compared case-insensitively.
    have, want = list(name.rdns), list(base.rdns)
    if len(want) > len(have):
        return False
    norm = lambda rdn: sorted((a.oid.dotted_string, str(a.value).strip().lower()) for a in rdn)
    return all(norm(h) == norm(w) for h, w in zip(have, want))


_MATCHERS = {
    x509.DNSName: _dns_match,
    x509.RFC822Name: _email_match,
    x509.UniformResourceIdentifier: _uri_match,
    x509.IPAddress: _ip_match,
    x509.DirectoryName: _dn_match,
}


def names_of(subject: x509.Name, sans: list[x509.GeneralName]) -> list[x509.GeneralName]:
    """The names a certificate with this subject and these subjectAltNames asserts."""
    names: list[x509.GeneralName] = list(sans)
    if len(subject):
        names.append(x509.DirectoryName(subject))
    # A CN that looks like a host name is checked as one, as AWS and OpenSSL do.
    for attr in subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        if isinstance(attr.value, str) and "." in attr.value and _HOSTNAME.match(attr.value):
            names.append(x509.DNSName(attr.value))
    for attr in subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
        names.append(x509.RFC822Name(str(attr.value)))
    return names


def violations(constraints: x509.NameConstraints, names: list[x509.GeneralName]) -> list[str]:
    """Each name that the constraints forbid, with the reason; empty when all are allowed."""
    found = []
    permitted = constraints.permitted_subtrees or []
    excluded = constraints.excluded_subtrees or []
    for name in names:
        match = _MATCHERS.get(type(name))
        if match is None:
            continue
        value = name.value
        label = value.rfc4514_string() if isinstance(value, x509.Name) else str(value)
        same_type = [p for p in permitted if type(p) is type(name)]
        if same_type and not any(match(value, p.value) for p in same_type):
            found.append(f"{label} is not within the permitted subtrees")
        for e in excluded:
            if type(e) is type(name) and match(value, e.value):
                found.append(f"{label} is within the excluded subtree {e.value}")
    return found

