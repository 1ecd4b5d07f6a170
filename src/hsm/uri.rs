//! PKCS#11 URIs (RFC 7512): reading the one that names a token in a
//! ceremony file, and writing the one that names a key in the transcript.
//!
//! Small enough to write here: the crates on offer (pk11-uri-parser,
//! pkcs11-uri) are young, and rootca needs only the token, the module path
//! and the PIN source, and a refusal of everything else it would ignore.

use std::fmt::Write as _;

/// What a `pkcs11:` URI in `[hsm] uri` may say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUri {
    pub token: String,
    pub module_path: String,
    /// `pin-source`: a file (RFC 7512 section 2.4), `file:` stripped.
    pub pin_file: Option<String>,
}

/// Reads `text`; each problem is a sentence naming the attribute.
pub fn parse_token_uri(text: &str) -> Result<TokenUri, Vec<String>> {
    let mut problems = Vec::new();
    let Some(rest) = text.strip_prefix("pkcs11:") else {
        return Err(vec![format!(
            "\"{}\" is not a PKCS#11 URI: it must start with \"pkcs11:\" (RFC 7512)",
            text.escape_debug()
        )]);
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut token = None;
    let mut module_path = None;
    let mut pin_file = None;
    let mut seen = Vec::new();
    let pairs = path
        .split(';')
        .map(|a| (a, true))
        .chain(query.split('&').map(|a| (a, false)))
        .filter(|(a, _)| !a.is_empty());
    for (attribute, in_path) in pairs {
        let Some((name, raw)) = attribute.split_once('=') else {
            problems.push(format!(
                "\"{}\" is not name=value",
                attribute.escape_debug()
            ));
            continue;
        };
        if seen.contains(&name) {
            problems.push(format!("{name} is given twice"));
            continue;
        }
        seen.push(name);
        // Refused before decoding, so no message can ever repeat it.
        if name == "pin-value" {
            problems.push(
                "pin-value is refused: a PIN never goes into a ceremony file; use pin-source=file:PATH, or the pin key (prompt, file, env, split)".into(),
            );
            continue;
        }
        let value = match percent_decode(raw) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        match (name, in_path) {
            ("token", true) => token = Some(value),
            ("module-path", false) => module_path = Some(value),
            ("pin-source", false) => match value.strip_prefix("file:").unwrap_or(&value) {
                v if v.is_empty() || v.starts_with('|') || v.contains("://") => {
                    problems.push(format!(
                        "pin-source \"{}\" is not a file; rootca reads a PIN only from a file (pin-source=file:PATH)",
                        value.escape_debug()
                    ));
                }
                v => pin_file = Some(v.to_string()),
            },
            ("object", true) => problems.push(
                "object is not read from [hsm] uri: each ceremony names its keys ([key] label, [issuer] key_label), and the transcript records every key's own URI".into(),
            ),
            (other, true) => problems.push(format!(
                "{other} is not used: rootca finds the token by its label alone (token=...)"
            )),
            (other, false) => problems.push(format!(
                "{other} is not used: rootca reads module-path and pin-source"
            )),
        }
    }
    if token.as_deref().is_none_or(|t| t.trim().is_empty()) {
        problems.push(
            "token=LABEL is required (the token's label; slot numbers are never used)".into(),
        );
    }
    if module_path.as_deref().is_none_or(str::is_empty) {
        problems.push("module-path=PATH is required (the PKCS#11 library, e.g. /opt/cloudhsm/lib/libcloudhsm_pkcs11.so)".into());
    }
    match (token, module_path) {
        (Some(token), Some(module_path)) if problems.is_empty() => Ok(TokenUri {
            token,
            module_path,
            pin_file,
        }),
        _ => Err(problems),
    }
}

/// The URI of a private key, as the transcript and `check` print it.
pub fn key_uri(token: &str, label: &str, id: &[u8]) -> String {
    let mut uri = format!(
        "pkcs11:token={};object={}",
        percent_encode(token.as_bytes()),
        percent_encode(label.as_bytes())
    );
    if !id.is_empty() {
        uri.push_str(";id=");
        for b in id {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri.push_str(";type=private");
    uri
}

/// RFC 7512's pchar set for path attribute values, the rest %-encoded.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~:[]@!$'()*+,=&".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn percent_decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "\"{}\" has a % not followed by two hex digits",
                        raw.escape_debug()
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| format!("\"{}\" is not UTF-8 once decoded", raw.escape_debug()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_token_module_and_pin_file() {
        let uri = parse_token_uri(
            "pkcs11:token=root%20ca?module-path=/opt/cloudhsm/lib/libcloudhsm_pkcs11.so&pin-source=file:pin.txt",
        )
        .unwrap();
        assert_eq!(uri.token, "root ca");
        assert_eq!(uri.module_path, "/opt/cloudhsm/lib/libcloudhsm_pkcs11.so");
        assert_eq!(uri.pin_file.as_deref(), Some("pin.txt"));
    }

    #[test]
    fn refuses_a_pin_value_and_what_it_would_ignore() {
        let problems = parse_token_uri(
            "pkcs11:token=t;slot-id=3;object=k?module-path=/m.so&pin-value=%zz1234&pin-source=|cat",
        )
        .unwrap_err();
        let all = problems.join("\n");
        for says in [
            "pin-value is refused",
            "slot-id is not used",
            "object is not read",
            "pin-source \"|cat\" is not a file",
        ] {
            assert!(all.contains(says), "{all}");
        }
        assert!(!all.contains("1234"), "the PIN is never repeated: {all}");
    }

    #[test]
    fn requires_token_and_module_and_a_pkcs11_scheme() {
        let all = parse_token_uri("pkcs11:").unwrap_err().join("\n");
        assert!(all.contains("token=LABEL is required"), "{all}");
        assert!(all.contains("module-path=PATH is required"), "{all}");
        assert!(parse_token_uri("file:/x").unwrap_err()[0].contains("must start with \"pkcs11:\""));
        let bad = parse_token_uri("pkcs11:token=%zz?module-path=/m.so").unwrap_err();
        assert!(bad[0].contains("two hex digits"), "{bad:?}");
    }

    #[test]
    fn key_uris_encode_what_is_not_a_path_character() {
        assert_eq!(
            key_uri("root-ca", "Example Root G1", &[0x0a, 0xff]),
            "pkcs11:token=root-ca;object=Example%20Root%20G1;id=%0A%FF;type=private"
        );
        assert_eq!(
            key_uri("t;x", "a/b", &[]),
            "pkcs11:token=t%3Bx;object=a%2Fb;type=private"
        );
    }
}
