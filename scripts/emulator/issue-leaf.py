"""Issues a leaf certificate from a CA in the emulated Private CA, the way a
workload would in AWS (IssueCertificate, then GetCertificate), and writes it
as PEM. Used by scripts/practice-ceremony to show the chain works.

    issue-leaf.py CA_ARN LEAF_CSR OUT_PEM
"""

import sys
from pathlib import Path

import boto3

arn, csr_path, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
pca = boto3.client("acm-pca")
cert_arn = pca.issue_certificate(
    CertificateAuthorityArn=arn,
    Csr=csr_path.read_bytes(),
    SigningAlgorithm="SHA256WITHECDSA",
    Validity={"Value": 30, "Type": "DAYS"},
)["CertificateArn"]
cert = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
if out.exists():
    sys.exit(f"{out} exists; not overwriting it")
out.write_text(cert["Certificate"] + "\n")
print(f"issued {cert_arn}\nwrote {out}")
