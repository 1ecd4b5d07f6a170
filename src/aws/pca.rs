//! AWS Private CA for ceremonies, as a blocking API: describe a certificate
//! authority, fetch its CSR and installed certificate, import a signed
//! certificate with its chain, and create a subordinate CA.
//!
//! The ceremony runner is synchronous, so [`PrivateCa`] owns a tokio
//! current-thread runtime and blocks on each SDK call. This module only moves
//! bytes and states between rootca and AWS: it builds no certificate and
//! applies no X.509 policy (the preflight of an import lives with the
//! ceremony). Failures come back as [`AwsError`], classified in
//! [`crate::aws`].

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_config::ConfigLoader;
use aws_sdk_acmpca::Client;
use aws_sdk_acmpca::primitives::{Blob, DateTime};
use aws_sdk_acmpca::types::{
    Asn1Subject, CertificateAuthorityConfiguration, CertificateAuthorityType, CrlConfiguration,
    CustomAttribute, KeyAlgorithm, RevocationConfiguration, SigningAlgorithm, Tag,
};
use serde::Deserialize;

use super::{
    AwsError, AwsSettings, AwsTimeouts, Call, ConfiguredTimeouts, Context, DEFAULT_ACTIVE_TIMEOUT,
    active_timeout_from_lookup, check_ca_arn, load_client, map_sdk_error, new_runtime,
    reject_async_caller,
};
use crate::progress::{Poll, WaitError, wait_for};

/// The state of a certificate authority, as DescribeCertificateAuthority reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CaStatus {
    Creating,
    PendingCertificate,
    Active,
    Disabled,
    Expired,
    Failed,
    Deleted,
    /// A state this version of rootca does not know.
    Other(String),
}

impl CaStatus {
    /// The state as AWS spells it, e.g. `PENDING_CERTIFICATE`.
    pub fn as_str(&self) -> &str {
        match self {
            CaStatus::Creating => "CREATING",
            CaStatus::PendingCertificate => "PENDING_CERTIFICATE",
            CaStatus::Active => "ACTIVE",
            CaStatus::Disabled => "DISABLED",
            CaStatus::Expired => "EXPIRED",
            CaStatus::Failed => "FAILED",
            CaStatus::Deleted => "DELETED",
            CaStatus::Other(other) => other,
        }
    }

    /// Reads AWS's spelling; anything unknown is kept as [`CaStatus::Other`].
    pub fn from_aws(text: &str) -> CaStatus {
        match text {
            "CREATING" => CaStatus::Creating,
            "PENDING_CERTIFICATE" => CaStatus::PendingCertificate,
            "ACTIVE" => CaStatus::Active,
            "DISABLED" => CaStatus::Disabled,
            "EXPIRED" => CaStatus::Expired,
            "FAILED" => CaStatus::Failed,
            "DELETED" => CaStatus::Deleted,
            other => CaStatus::Other(other.to_string()),
        }
    }
}

impl fmt::Display for CaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What DescribeCertificateAuthority says about a certificate authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaDescription {
    pub arn: String,
    pub status: CaStatus,
    /// `ROOT` or `SUBORDINATE`.
    pub ca_type: String,
    /// The installed certificate's notBefore; `None` before a certificate is installed.
    pub not_before: Option<SystemTime>,
    /// The installed certificate's notAfter; `None` before a certificate is installed.
    pub not_after: Option<SystemTime>,
    /// The configured subject, RFC 4514 style (`CN=...,O=...,C=...`), most
    /// specific attribute first. For display: the CSR holds the encoded name.
    pub subject: String,
    /// E.g. `EC_secp384r1`.
    pub key_algorithm: String,
    /// E.g. `SHA384WITHECDSA`.
    pub signing_algorithm: String,
}

/// The certificate installed in a certificate authority, exactly as AWS returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledCertificate {
    pub certificate_pem: String,
    /// The chain above it (PEM, root last); `None` for a root CA.
    pub chain_pem: Option<String>,
}

/// Key algorithms a subordinate CA can be created with.
pub const KEY_ALGORITHMS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
];

/// Signing algorithms for an RSA key.
pub const RSA_SIGNING_ALGORITHMS: &[&str] = &["SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA"];

/// Signing algorithms for an EC key.
pub const EC_SIGNING_ALGORITHMS: &[&str] =
    &["SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"];

/// A subordinate CA to create with CreateCertificateAuthority; read from TOML:
///
/// ```toml
/// key_algorithm = "EC_secp384r1"
/// signing_algorithm = "SHA384WITHECDSA"
/// idempotency_token = "issuing-ca-g1"   # optional
///
/// [subject]
/// common_name = "Example Corp Issuing CA G1"
/// organization = "Example Corp"          # optional, as are the other fields
/// country = "US"
///
/// [[subject.custom_attributes]]          # optional: attributes by OID, after the named ones
/// oid = "1.3.6.1.4.1.37244.2.1"          # e.g. a Matter Vendor ID
/// value = "FFF1"
///
/// [crl]                                  # optional
/// enabled = true
/// expiration_in_days = 7
/// s3_bucket_name = "example-crl"
/// custom_cname = "crl.example.com"
///
/// [tags]                                 # optional
/// team = "pki"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubordinateSpec {
    /// One of [`KEY_ALGORITHMS`].
    pub key_algorithm: String,
    /// One of [`RSA_SIGNING_ALGORITHMS`] or [`EC_SIGNING_ALGORITHMS`], fitting the key.
    pub signing_algorithm: String,
    pub subject: SubjectSpec,
    #[serde(default)]
    pub crl: Option<CrlSpec>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Makes a repeated CreateCertificateAuthority return the same CA (AWS keeps it 5 minutes).
    #[serde(default)]
    pub idempotency_token: Option<String>,
}

/// The subordinate CA's subject; AWS puts it into the CA's CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectSpec {
    pub common_name: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub organizational_unit: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
    /// Attributes named by OID (a Matter Vendor ID, for one). AWS takes
    /// CustomAttributes only instead of the named fields, so when these are
    /// given the named fields are sent as CustomAttributes too, in the
    /// order a CSR lists them (C, ST, L, O, OU, CN), these after them.
    #[serde(default)]
    pub custom_attributes: Vec<CustomAttributeSpec>,
}

/// One subject attribute by OID (AWS's CustomAttribute).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAttributeSpec {
    /// Dotted decimal, at most 64 characters.
    pub oid: String,
    /// 1 to 256 characters.
    pub value: String,
}

impl SubjectSpec {
    /// The named fields with their OIDs, in the order a CSR lists them.
    fn named(&self) -> Vec<(&'static str, &str)> {
        [
            ("2.5.4.6", self.country.as_deref()),
            ("2.5.4.8", self.state.as_deref()),
            ("2.5.4.7", self.locality.as_deref()),
            ("2.5.4.10", self.organization.as_deref()),
            ("2.5.4.11", self.organizational_unit.as_deref()),
            ("2.5.4.3", Some(self.common_name.as_str())),
        ]
        .into_iter()
        .filter_map(|(oid, value)| value.map(|v| (oid, v)))
        .collect()
    }
}

/// The CRL the subordinate CA publishes for the certificates it issues.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrlSpec {
    pub enabled: bool,
    #[serde(default)]
    pub expiration_in_days: Option<i32>,
    #[serde(default)]
    pub custom_cname: Option<String>,
    #[serde(default)]
    pub s3_bucket_name: Option<String>,
}

impl SubordinateSpec {
    /// Checks what AWS would refuse for sure, before any call: the algorithm
    /// names, that they fit each other, the common name, the shape of the
    /// country code, the CRL lifetime and the idempotency token.
    pub fn validate(&self) -> Result<(), AwsError> {
        let invalid =
            |field: &'static str, problem: String| AwsError::InvalidSpec { field, problem };
        if !KEY_ALGORITHMS.contains(&self.key_algorithm.as_str()) {
            return Err(invalid(
                "key_algorithm",
                format!(
                    "{:?} is not accepted; use one of {}",
                    self.key_algorithm,
                    KEY_ALGORITHMS.join(", ")
                ),
            ));
        }
        let fitting = if self.key_algorithm.starts_with("RSA_") {
            RSA_SIGNING_ALGORITHMS
        } else {
            EC_SIGNING_ALGORITHMS
        };
        let all_signing: Vec<&str> = RSA_SIGNING_ALGORITHMS
            .iter()
            .chain(EC_SIGNING_ALGORITHMS)
            .copied()
            .collect();
        if !all_signing.contains(&self.signing_algorithm.as_str()) {
            return Err(invalid(
                "signing_algorithm",
                format!(
                    "{:?} is not accepted; use one of {}",
                    self.signing_algorithm,
                    all_signing.join(", ")
                ),
            ));
        }
        if !fitting.contains(&self.signing_algorithm.as_str()) {
            return Err(invalid(
                "signing_algorithm",
                format!(
                    "{} does not fit key_algorithm {}; use one of {}",
                    self.signing_algorithm,
                    self.key_algorithm,
                    fitting.join(", ")
                ),
            ));
        }
        if self.subject.common_name.trim().is_empty() {
            return Err(invalid(
                "subject.common_name",
                "must not be empty".to_string(),
            ));
        }
        if let Some(country) = &self.subject.country
            && (country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(invalid(
                "subject.country",
                format!("{country:?} is not a two-letter ISO 3166 country code"),
            ));
        }
        for (i, a) in self.subject.custom_attributes.iter().enumerate() {
            let field = "subject.custom_attributes";
            let oid_ok = a.oid.len() <= 64
                && const_oid::ObjectIdentifier::new(&a.oid).is_ok()
                && a.oid
                    .split('.')
                    .nth(1)
                    .and_then(|arc| arc.parse::<u32>().ok())
                    .is_some_and(|arc| arc < 40);
            if !oid_ok {
                return Err(invalid(
                    field,
                    format!(
                        "entry {}: oid {:?} is not an OID AWS accepts (dotted decimal, second arc below 40, at most 64 characters)",
                        i + 1,
                        a.oid
                    ),
                ));
            }
            let length = a.value.chars().count();
            if !(1..=256).contains(&length) {
                return Err(invalid(
                    field,
                    format!(
                        "entry {} ({}): the value must be 1 to 256 characters, not {length}",
                        i + 1,
                        a.oid
                    ),
                ));
            }
        }
        if let Some(days) = self.crl.as_ref().and_then(|crl| crl.expiration_in_days)
            && !(1..=5000).contains(&days)
        {
            return Err(invalid(
                "crl.expiration_in_days",
                format!("{days} is outside 1..=5000"),
            ));
        }
        if let Some(token) = &self.idempotency_token
            && (token.is_empty() || token.chars().count() > 36)
        {
            return Err(invalid(
                "idempotency_token",
                "must be 1 to 36 characters".to_string(),
            ));
        }
        Ok(())
    }

    /// How the CA being created is named in messages.
    fn target(&self) -> String {
        format!(
            "a new subordinate CA (CN={})",
            escape_rdn_value(&self.subject.common_name)
        )
    }
}

/// A connection to AWS Private CA in one region, with blocking calls.
///
/// Do not call it from inside an async runtime: it runs its own.
pub struct PrivateCa {
    runtime: tokio::runtime::Runtime,
    client: Client,
    ctx: Context,
    /// How long [`PrivateCa::import`] waits for ACTIVE; `None`: it does not.
    active_timeout: Option<Duration>,
}

impl fmt::Debug for PrivateCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateCa")
            .field("region", &self.ctx.region)
            .field("endpoint", &self.ctx.endpoint)
            .finish_non_exhaustive()
    }
}

const DESCRIBE: &str = "DescribeCertificateAuthority";
const GET_CSR: &str = "GetCertificateAuthorityCsr";
const GET_CERTIFICATE: &str = "GetCertificateAuthorityCertificate";
const IMPORT: &str = "ImportCertificateAuthorityCertificate";
const CREATE: &str = "CreateCertificateAuthority";

/// How often the wait for ACTIVE asks DescribeCertificateAuthority.
const ACTIVE_POLL_INTERVAL: Duration = Duration::from_secs(2);

const CSR_STATES: &str = "PENDING_CERTIFICATE or ACTIVE";
const CERTIFICATE_STATES: &str = "a certificate installed (ACTIVE, DISABLED or EXPIRED)";
const IMPORT_STATES: &str =
    "PENDING_CERTIFICATE (first installation) or ACTIVE (replacing the certificate)";

impl PrivateCa {
    /// Loads the AWS configuration (standard chain, `settings` applied) and
    /// builds the client, with the timeouts of [`AwsTimeouts::from_env`].
    /// Fails only for a missing region or runtime, or a timeout variable
    /// that cannot be used; credentials are resolved, and reported, at the
    /// first call.
    pub fn connect(settings: &AwsSettings) -> Result<PrivateCa, AwsError> {
        PrivateCa::connect_with(settings, |loader| loader)
    }

    /// Like [`PrivateCa::connect`], with `adjust` applied to aws-config's
    /// loader after the settings and timeouts, e.g. explicit credentials or
    /// other timeouts (a `timeout_config` given there replaces rootca's).
    /// A profile in `settings` still supplies the credentials. The wait for
    /// ACTIVE after an import is [`crate::aws::ACTIVE_TIMEOUT_VAR`]'s.
    pub fn connect_with(
        settings: &AwsSettings,
        adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<PrivateCa, AwsError> {
        let timeouts = AwsTimeouts::from_env()?;
        let active = active_timeout_from_lookup(|name| std::env::var_os(name))?;
        Ok(
            PrivateCa::connect_with_timeouts(settings, &timeouts, adjust)?
                .with_active_timeout(Some(active)),
        )
    }

    /// Like [`PrivateCa::connect_with`], with `timeouts` instead of those of
    /// the environment, and the default wait for ACTIVE after an import
    /// ([`DEFAULT_ACTIVE_TIMEOUT`]).
    pub fn connect_with_timeouts(
        settings: &AwsSettings,
        timeouts: &AwsTimeouts,
        adjust: impl FnOnce(ConfigLoader) -> ConfigLoader,
    ) -> Result<PrivateCa, AwsError> {
        let runtime = new_runtime()?;
        reject_async_caller("PrivateCa")?;
        let (client, ctx) = runtime.block_on(load_client(settings, timeouts, adjust))?;
        Ok(PrivateCa {
            runtime,
            client,
            ctx,
            active_timeout: Some(DEFAULT_ACTIVE_TIMEOUT),
        })
    }

    /// Wraps a client configured elsewhere, e.g. one whose HTTP traffic is
    /// replaced by aws-smithy-mocks in tests. Messages then name the
    /// endpoint only as "the client's endpoint". An import does not wait for
    /// ACTIVE unless [`PrivateCa::with_active_timeout`] asks it to: such a
    /// client may answer only the calls its maker set up.
    pub fn from_client(client: Client) -> Result<PrivateCa, AwsError> {
        let runtime = new_runtime()?;
        let region = client
            .config()
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or(AwsError::NoRegion)?;
        let ctx = Context {
            region,
            endpoint: "the client's endpoint".to_string(),
            credential_sources: "the credentials provider of the given client".to_string(),
            max_attempts: super::max_attempts(&client),
            timeouts: ConfiguredTimeouts::of(&client),
        };
        Ok(PrivateCa {
            runtime,
            client,
            ctx,
            active_timeout: None,
        })
    }

    /// Sets how long [`PrivateCa::import`] waits for the CA to show ACTIVE;
    /// `None`: it does not wait.
    pub fn with_active_timeout(mut self, timeout: Option<Duration>) -> PrivateCa {
        self.active_timeout = timeout;
        self
    }

    /// Polls DescribeCertificateAuthority every two seconds until the CA is
    /// ACTIVE, for at most `timeout`, showing the wait on stderr (see
    /// [`crate::progress`]). PENDING_CERTIFICATE, CREATING and states this
    /// version does not know are waited through; DISABLED, EXPIRED, FAILED
    /// and DELETED end the wait at once, as a failed call does.
    pub fn wait_active(
        &self,
        arn: &str,
        timeout: Duration,
    ) -> Result<CaDescription, Box<WaitError<AwsError>>> {
        let what = format!("certificate authority {arn}");
        wait_for(&what, "ACTIVE", timeout, ACTIVE_POLL_INTERVAL, || {
            let described = self.describe(arn)?;
            Ok(match &described.status {
                CaStatus::Active => Poll::Ready(described),
                CaStatus::PendingCertificate | CaStatus::Creating | CaStatus::Other(_) => {
                    Poll::Pending(described.status.to_string())
                }
                CaStatus::Disabled | CaStatus::Expired | CaStatus::Failed | CaStatus::Deleted => {
                    Poll::Stop(described.status.to_string())
                }
            })
        })
        .map_err(Box::new)
    }

    /// The region the calls go to.
    pub fn region(&self) -> &str {
        &self.ctx.region
    }

    /// The endpoint the calls go to, as far as the configuration tells.
    pub fn endpoint(&self) -> &str {
        &self.ctx.endpoint
    }

    /// DescribeCertificateAuthority (IAM: `acm-pca:DescribeCertificateAuthority`).
    pub fn describe(&self, arn: &str) -> Result<CaDescription, AwsError> {
        let call = Call {
            operation: DESCRIBE,
            target: arn,
            expected_state: "",
        };
        check_ca_arn(DESCRIBE, arn)?;
        let (result, elapsed) = self.block_on(
            self.client
                .describe_certificate_authority()
                .certificate_authority_arn(arn)
                .send(),
        )?;
        let out = result.map_err(|e| map_sdk_error(e, call, elapsed, &self.ctx))?;
        let ca = out
            .certificate_authority()
            .ok_or_else(|| self.unexpected(call, "the answer has no CertificateAuthority"))?;
        let config = ca.certificate_authority_configuration();
        Ok(CaDescription {
            arn: ca.arn().unwrap_or(arn).to_string(),
            status: ca.status().map_or(CaStatus::Other(String::new()), |s| {
                CaStatus::from_aws(s.as_str())
            }),
            ca_type: ca
                .r#type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            not_before: self.time(call, "NotBefore", ca.not_before())?,
            not_after: self.time(call, "NotAfter", ca.not_after())?,
            subject: config
                .and_then(|c| c.subject())
                .map(subject_text)
                .unwrap_or_default(),
            key_algorithm: config
                .map(|c| c.key_algorithm().as_str().to_string())
                .unwrap_or_default(),
            signing_algorithm: config
                .map(|c| c.signing_algorithm().as_str().to_string())
                .unwrap_or_default(),
        })
    }

    /// GetCertificateAuthorityCsr: the CA's CSR in PEM
    /// (IAM: `acm-pca:GetCertificateAuthorityCsr`).
    pub fn csr(&self, arn: &str) -> Result<String, AwsError> {
        let call = Call {
            operation: GET_CSR,
            target: arn,
            expected_state: CSR_STATES,
        };
        check_ca_arn(GET_CSR, arn)?;
        let (result, elapsed) = self.block_on(
            self.client
                .get_certificate_authority_csr()
                .certificate_authority_arn(arn)
                .send(),
        )?;
        let out =
            result.map_err(|e| self.with_state(map_sdk_error(e, call, elapsed, &self.ctx)))?;
        out.csr
            .ok_or_else(|| self.unexpected(call, "the answer has no Csr"))
    }

    /// GetCertificateAuthorityCertificate: the installed certificate and
    /// chain, or `None` for a CA still waiting for its certificate
    /// (PENDING_CERTIFICATE or CREATING). A CA in another state without a
    /// certificate is [`AwsError::WrongState`]. IAM:
    /// `acm-pca:GetCertificateAuthorityCertificate`, plus
    /// `acm-pca:DescribeCertificateAuthority` to tell "no certificate yet"
    /// from a wrong state.
    pub fn certificate(&self, arn: &str) -> Result<Option<InstalledCertificate>, AwsError> {
        let call = Call {
            operation: GET_CERTIFICATE,
            target: arn,
            expected_state: CERTIFICATE_STATES,
        };
        check_ca_arn(GET_CERTIFICATE, arn)?;
        let (result, elapsed) = self.block_on(
            self.client
                .get_certificate_authority_certificate()
                .certificate_authority_arn(arn)
                .send(),
        )?;
        match result {
            Ok(out) => {
                let certificate_pem = out
                    .certificate
                    .ok_or_else(|| self.unexpected(call, "the answer has no Certificate"))?;
                Ok(Some(InstalledCertificate {
                    certificate_pem,
                    chain_pem: out.certificate_chain.filter(|c| !c.is_empty()),
                }))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_state_exception()) =>
            {
                let err = map_sdk_error(e, call, elapsed, &self.ctx);
                let status = self.describe(arn)?.status;
                match status {
                    CaStatus::PendingCertificate | CaStatus::Creating => Ok(None),
                    other => Err(match err {
                        AwsError::WrongState {
                            operation,
                            arn,
                            expected,
                            message,
                            ..
                        } => AwsError::WrongState {
                            operation,
                            arn,
                            state: Some(other),
                            expected,
                            message,
                        },
                        err => err,
                    }),
                }
            }
            Err(e) => Err(map_sdk_error(e, call, elapsed, &self.ctx)),
        }
    }

    /// ImportCertificateAuthorityCertificate: installs `certificate_pem`
    /// with `chain_pem` (PEM, root last; empty for a root CA, then no chain
    /// is sent), byte for byte (IAM:
    /// `acm-pca:ImportCertificateAuthorityCertificate`). Once Private CA
    /// accepted it, waits as [`PrivateCa::wait_active`] does, for the
    /// connection's active timeout, so that a caller reading the CA back
    /// sees where it settled. `Ok` means the import was accepted: whether the
    /// CA became ACTIVE is the caller's to check (the wait's outcome was
    /// shown on stderr), since an error here would read as an import that
    /// did not happen.
    pub fn import(
        &self,
        arn: &str,
        certificate_pem: &[u8],
        chain_pem: &[u8],
    ) -> Result<(), AwsError> {
        let call = Call {
            operation: IMPORT,
            target: arn,
            expected_state: IMPORT_STATES,
        };
        check_ca_arn(IMPORT, arn)?;
        let mut request = self
            .client
            .import_certificate_authority_certificate()
            .certificate_authority_arn(arn)
            .certificate(Blob::new(certificate_pem.to_vec()));
        if !chain_pem.is_empty() {
            request = request.certificate_chain(Blob::new(chain_pem.to_vec()));
        }
        let (result, elapsed) = self.block_on(request.send())?;
        result.map_err(|e| self.with_state(map_sdk_error(e, call, elapsed, &self.ctx)))?;
        if let Some(timeout) = self.active_timeout {
            // Ends at once when the CA is already ACTIVE, as in the emulator.
            let _settled = self.wait_active(arn, timeout);
        }
        Ok(())
    }

    /// CreateCertificateAuthority of type SUBORDINATE; returns its ARN. The
    /// spec is validated first (IAM: `acm-pca:CreateCertificateAuthority`,
    /// plus `acm-pca:TagCertificateAuthority` when tags are given).
    pub fn create_subordinate(&self, spec: &SubordinateSpec) -> Result<String, AwsError> {
        spec.validate()?;
        let target = spec.target();
        let call = Call {
            operation: CREATE,
            target: &target,
            expected_state: "",
        };
        let build_error = |e: aws_sdk_acmpca::error::BuildError| AwsError::Request {
            operation: CREATE,
            target: target.clone(),
            detail: e.to_string(),
        };
        let subject = &spec.subject;
        let asn1 = if subject.custom_attributes.is_empty() {
            Asn1Subject::builder()
                .common_name(&subject.common_name)
                .set_country(subject.country.clone())
                .set_organization(subject.organization.clone())
                .set_organizational_unit(subject.organizational_unit.clone())
                .set_state(subject.state.clone())
                .set_locality(subject.locality.clone())
                .build()
        } else {
            // AWS refuses named fields beside CustomAttributes.
            let mut all = Vec::new();
            let named = subject.named();
            let custom = subject
                .custom_attributes
                .iter()
                .map(|a| (a.oid.as_str(), a.value.as_str()));
            for (oid, value) in named.into_iter().chain(custom) {
                all.push(
                    CustomAttribute::builder()
                        .object_identifier(oid)
                        .value(value)
                        .build()
                        .map_err(build_error)?,
                );
            }
            Asn1Subject::builder()
                .set_custom_attributes(Some(all))
                .build()
        };
        let configuration = CertificateAuthorityConfiguration::builder()
            .key_algorithm(KeyAlgorithm::from(spec.key_algorithm.as_str()))
            .signing_algorithm(SigningAlgorithm::from(spec.signing_algorithm.as_str()))
            .subject(asn1)
            .build()
            .map_err(build_error)?;
        let mut request = self
            .client
            .create_certificate_authority()
            .certificate_authority_type(CertificateAuthorityType::Subordinate)
            .certificate_authority_configuration(configuration)
            .set_idempotency_token(spec.idempotency_token.clone());
        if let Some(crl) = &spec.crl {
            let crl = CrlConfiguration::builder()
                .enabled(crl.enabled)
                .set_expiration_in_days(crl.expiration_in_days)
                .set_custom_cname(crl.custom_cname.clone())
                .set_s3_bucket_name(crl.s3_bucket_name.clone())
                .build()
                .map_err(build_error)?;
            request = request.revocation_configuration(
                RevocationConfiguration::builder()
                    .crl_configuration(crl)
                    .build(),
            );
        }
        for (key, value) in &spec.tags {
            request = request.tags(
                Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(build_error)?,
            );
        }
        let (result, elapsed) = self.block_on(request.send())?;
        let out = result.map_err(|e| {
            match map_sdk_error(e, call, elapsed, &self.ctx) {
                // Tags on creation are authorised separately (tag-on-create).
                AwsError::AccessDenied {
                    operation,
                    target,
                    action,
                    message,
                } if !spec.tags.is_empty() => AwsError::AccessDenied {
                    operation,
                    target,
                    action: format!(
                        "{action}` and `{}",
                        super::iam_action("TagCertificateAuthority")
                    ),
                    message,
                },
                other => other,
            }
        })?;
        out.certificate_authority_arn
            .ok_or_else(|| self.unexpected(call, "the answer has no CertificateAuthorityArn"))
    }

    /// Runs one SDK call to its end, and says how long it took.
    fn block_on<F: Future>(&self, future: F) -> Result<(F::Output, Duration), AwsError> {
        reject_async_caller("PrivateCa")?;
        let started = Instant::now();
        let output = self.runtime.block_on(future);
        Ok((output, started.elapsed()))
    }

    /// Fills in the CA's state of a WrongState error, when it can be read.
    fn with_state(&self, err: AwsError) -> AwsError {
        match err {
            AwsError::WrongState {
                operation,
                arn,
                state: None,
                expected,
                message,
            } => {
                let state = self.describe(&arn).ok().map(|d| d.status);
                AwsError::WrongState {
                    operation,
                    arn,
                    state,
                    expected,
                    message,
                }
            }
            other => other,
        }
    }

    fn unexpected(&self, call: Call<'_>, detail: &str) -> AwsError {
        AwsError::UnexpectedResponse {
            operation: call.operation,
            target: call.target.to_string(),
            endpoint: self.ctx.endpoint.clone(),
            status: None,
            detail: detail.to_string(),
        }
    }

    fn time(
        &self,
        call: Call<'_>,
        field: &str,
        value: Option<&DateTime>,
    ) -> Result<Option<SystemTime>, AwsError> {
        value
            .map(|t| {
                SystemTime::try_from(*t).map_err(|e| {
                    self.unexpected(call, &format!("{field} {t:?} is out of range: {e}"))
                })
            })
            .transpose()
    }
}

/// The subject RFC 4514 style, most specific first.
fn subject_text(subject: &Asn1Subject) -> String {
    let attributes: [(&str, Option<&str>); 14] = [
        ("CN", subject.common_name()),
        ("serialNumber", subject.serial_number()),
        ("title", subject.title()),
        ("SN", subject.surname()),
        ("GN", subject.given_name()),
        ("initials", subject.initials()),
        ("pseudonym", subject.pseudonym()),
        ("generationQualifier", subject.generation_qualifier()),
        ("dnQualifier", subject.distinguished_name_qualifier()),
        ("OU", subject.organizational_unit()),
        ("O", subject.organization()),
        ("L", subject.locality()),
        ("ST", subject.state()),
        ("C", subject.country()),
    ];
    let mut parts: Vec<String> = attributes
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", escape_rdn_value(v))))
        .collect();
    parts.extend(
        subject
            .custom_attributes()
            .iter()
            .map(|a| format!("{}={}", a.object_identifier(), escape_rdn_value(a.value()))),
    );
    parts.join(",")
}

/// Escapes an attribute value as RFC 4514 section 2.4 asks.
fn escape_rdn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
