//! The ceremony kinds, one module each, and the registry that is the only
//! place that lists them: adding a kind is a module and a line here.

pub mod crl;
pub mod cross_certificate;
pub mod cross_csr;
pub mod deactivate;
pub mod document_signer;
pub mod drill;
pub mod export_key;
pub mod import_key;
pub mod key;
pub mod reactivate;
pub mod root;
pub mod session;
pub mod subordinate;

use super::CeremonyError;
use super::Kind;
use super::file::{Problems, Source};

/// A kind as the file reader sees it: the `ceremony = "..."` value and
/// the function that reads and validates the rest of the file. The loader
/// adds every problem it finds to `Problems`, and returns the kind only if
/// it could build it.
pub struct Entry {
    pub name: &'static str,
    pub(super) load: Loader,
}

/// Reads a kind's sections; `None` when problems were found.
pub(super) type Loader =
    fn(&Source<'_>, &mut Problems<'_>) -> Result<Option<Box<dyn Kind>>, CeremonyError>;

pub const REGISTRY: &[Entry] = &[
    root::ENTRY,
    key::ENTRY,
    subordinate::ENTRY,
    cross_certificate::ENTRY,
    cross_csr::ENTRY,
    crl::ENTRY,
    document_signer::ENTRY,
    deactivate::ENTRY,
    reactivate::ENTRY,
    session::ENTRY,
    drill::ENTRY,
    export_key::ENTRY,
    import_key::ENTRY,
];

/// The kinds this version runs, for messages.
pub fn names() -> String {
    REGISTRY
        .iter()
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
}
