//! rootca: key ceremonies for an offline root CA whose key lives in a
//! PKCS#11 HSM.
//!
//! - `ceremony`: ceremony files, the plan made from them, the runner;
//! - `hsm`: the PKCS#11 token, keys, signing;
//! - `profile`: certificate profiles and the checks around signing;
//! - `output`: artifacts written atomically, and the transcript;
//! - `inspect`: readable summaries of certificates, CSRs and CRLs;
//! - `crl_publish`: the checks and the report of `rootca crl publish`;
//! - `manpage`: the command line's man page, as one page;
//! - `progress`: waiting for an outside state, and showing the wait;
//! - `text`: what outside text may contain, and how it is shown.

pub mod aws;
pub mod ceremony;
pub mod crash;
pub mod crl_publish;
pub mod hsm;
pub mod input;
pub mod inspect;
pub mod interrupt;
pub mod manpage;
pub mod output;
pub mod profile;
pub mod progress;
pub mod text;
