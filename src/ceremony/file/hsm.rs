//! `[hsm]`: the PKCS#11 module, the token and how the PIN is given
//! (named directly or by a PKCS#11 URI), never the PIN itself.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Problems, plain_text, resolve};
use crate::ceremony::HsmSpec;
use crate::hsm::PinSource;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::ceremony) struct HsmSection {
    module: Option<PathBuf>,
    token: Option<String>,
    pin: Option<toml::Value>,
    /// RFC 7512: `pkcs11:token=...?module-path=...[&pin-source=file:...]`,
    /// instead of `module` and `token`.
    uri: Option<String>,
}

pub(in crate::ceremony) fn hsm_spec(
    s: &HsmSection,
    dir: &Path,
    p: &mut Problems,
) -> Option<HsmSpec> {
    let (module, token, uri_pin) = match (&s.uri, &s.module, &s.token) {
        (Some(uri), None, None) => {
            plain_text(uri, "hsm.uri", p);
            match crate::hsm::parse_token_uri(uri) {
                Ok(u) => (
                    Some(PathBuf::from(u.module_path)),
                    Some(u.token),
                    u.pin_file,
                ),
                Err(problems) => {
                    for problem in problems {
                        p.add("hsm.uri", problem);
                    }
                    (None, None, None)
                }
            }
        }
        (Some(_), _, _) => {
            p.add(
                "hsm.uri",
                "give either uri or module and token, not both: the URI names the module (module-path) and the token",
            );
            (None, None, None)
        }
        (None, Some(module), Some(token)) => (Some(module.clone()), Some(token.clone()), None),
        (None, _, _) => {
            p.add(
                "hsm",
                "give module = \"PATH\" and token = \"LABEL\", or uri = \"pkcs11:token=LABEL?module-path=PATH\" (RFC 7512)",
            );
            (None, None, None)
        }
    };
    if let Some(token) = &token {
        if token.trim().is_empty() {
            p.add(
                "hsm.token",
                "must be the token's label (slot numbers are never used)",
            );
        }
        plain_text(token, "hsm.token", p);
    }
    if let Some(module) = &module {
        plain_text(&module.to_string_lossy(), "hsm.module", p);
    }
    if uri_pin.is_some() && s.pin.is_some() {
        p.add(
            "hsm.pin",
            "the uri gives pin-source already: give the PIN one way, not two",
        );
    }
    let pin = match (&s.pin, uri_pin) {
        (None, Some(file)) => Some(PinSource::File(resolve(dir, Path::new(&file)))),
        (pin, _) => pin_source(pin.as_ref(), dir, "hsm.pin", p),
    };
    Some(HsmSpec {
        module: resolve(dir, &module?),
        token: token?,
        pin: pin?,
    })
}

/// `pin = ...` (or another PIN's field): how the PIN is given, never the
/// PIN itself.
pub(in crate::ceremony) fn pin_source(
    pin: Option<&toml::Value>,
    dir: &Path,
    field: &str,
    p: &mut Problems,
) -> Option<PinSource> {
    let pin = match pin {
        None => Some(PinSource::Prompt),
        Some(toml::Value::String(w)) if w == "prompt" => Some(PinSource::Prompt),
        Some(toml::Value::Table(t)) if t.len() == 1 => match t.iter().next() {
            Some((k, toml::Value::String(v))) if k == "file" => {
                Some(PinSource::File(resolve(dir, Path::new(v))))
            }
            Some((k, toml::Value::String(v))) if k == "env" => Some(PinSource::Env(v.clone())),
            Some((k, _)) if k == "split" => split_pin(t, field, p),
            _ => None,
        },
        Some(toml::Value::Table(t)) if t.contains_key("split") => split_pin(t, field, p),
        _ => None,
    };
    if pin.is_none() {
        p.add(field, "accepted: \"prompt\" (the default), { file = \"path\" }, { env = \"NAME\" } or { split = 2 } (2 to 4 parts, each typed by its holder; holders = [\"role\", ...] names them); a PIN itself never goes into a ceremony file");
    }
    pin
}

/// `pin = { split = N, holders = [...] }`: the holders' roles, one a part.
fn split_pin(t: &toml::Table, field: &str, p: &mut Problems) -> Option<PinSource> {
    let range = crate::hsm::SPLIT_PARTS;
    if let Some(k) = t.keys().find(|k| *k != "split" && *k != "holders") {
        p.add(
            field,
            format!("{k} is not a setting of a split PIN: only split and holders"),
        );
        return Some(PinSource::Split(Vec::new()));
    }
    let parts = match t.get("split") {
        Some(toml::Value::Integer(n)) if range.contains(&(*n as usize)) && *n > 0 => *n as usize,
        _ => {
            p.add(
                field,
                format!(
                    "split must be a number of parts from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            return Some(PinSource::Split(Vec::new()));
        }
    };
    let holders: Vec<String> = match t.get("holders") {
        None => (1..=parts).map(|i| format!("PIN holder {i}")).collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        Some(_) => Vec::new(),
    };
    if holders.len() != parts || holders.iter().any(|h| h.trim().is_empty()) {
        p.add(
            field,
            format!("holders must name the {parts} holders' roles, one non-empty string a part, in the order the parts are typed"),
        );
    }
    for (i, h) in holders.iter().enumerate() {
        if holders[..i].contains(h) {
            p.add(
                field,
                format!("holders names \"{h}\" twice: each part has its own holder"),
            );
        }
        plain_text(h, field, p);
    }
    Some(PinSource::Split(holders))
}
