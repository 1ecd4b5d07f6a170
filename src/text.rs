//! Text that comes from outside (a ceremony file, a CSR, a certificate, the
//! HSM) and is shown to officers and witnesses: what it may not contain,
//! and how it is shown so that it cannot forge a line or rewrite the screen.

/// Characters that change how text looks rather than what it says: C0 and
/// C1 controls (newline, ESC for terminal sequences, NUL), the
/// bidirectional overrides, embeddings and isolates, and zero-width
/// characters that hide a difference between two names.
pub fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn code_point_name(c: char) -> &'static str {
    match c {
        '\0' => "NUL",
        '\t' => "TAB",
        '\n' => "LINE FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{1B}' => "ESCAPE",
        '\u{7F}' => "DELETE",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        _ if c.is_control() => "control character",
        _ => "invisible formatting character",
    }
}

/// The first deceptive character of `s`, described for the officer:
/// "U+202E RIGHT-TO-LEFT OVERRIDE at character 5".
pub fn deceptive_char(s: &str) -> Option<String> {
    s.chars()
        .enumerate()
        .find(|(_, c)| is_deceptive(*c))
        .map(|(i, c)| {
            format!(
                "U+{:04X} {} at character {}",
                u32::from(c),
                code_point_name(c),
                i + 1
            )
        })
}

/// `s` as it may be shown: every deceptive character written as `\u{..}`.
pub fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_deceptive(c) {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A message of several lines as it may be shown: its own line breaks
/// kept, everything else escaped.
pub fn shown_lines(s: &str) -> String {
    s.split('\n').map(shown).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_cannot_forge_a_line() {
        assert_eq!(
            shown("CA\n\n  PIN: never asked"),
            "CA\\u{000a}\\u{000a}  PIN: never asked"
        );
    }

    #[test]
    fn terminal_escapes_are_shown_not_obeyed() {
        assert_eq!(shown("a\u{1b}[2K\u{1b}[1Ab"), "a\\u{001b}[2K\\u{001b}[1Ab");
    }

    #[test]
    fn a_right_to_left_override_is_named_with_its_code_point() {
        assert_eq!(
            deceptive_char("bank\u{202E}moc.evil").as_deref(),
            Some("U+202E RIGHT-TO-LEFT OVERRIDE at character 5")
        );
    }

    #[test]
    fn an_embedded_nul_is_named() {
        assert_eq!(
            deceptive_char("bank.example.com\0.evil.example").as_deref(),
            Some("U+0000 NUL at character 17")
        );
    }

    #[test]
    fn ordinary_international_text_passes() {
        assert_eq!(deceptive_char("Zürich Ökonomie 東京 مرحبا"), None);
    }

    #[test]
    fn shown_lines_keeps_the_messages_own_lines() {
        assert_eq!(shown_lines("a\nb\u{1b}"), "a\nb\\u{001b}");
    }
}
