//! The `java.util.Properties` text format, as `server.properties` and `meta.properties` use it.
//!
//! Kafka reads both files with `Properties.load` (Kafka: `Utils.loadProps`,
//! `PropertiesUtils.readPropertiesFile`), so we follow its grammar exactly:
//! - a *natural line* ends at `\n`, `\r` or `\r\n`; leading spaces, tabs and form feeds are
//!   skipped;
//! - a natural line whose first non-blank character is `#` or `!` is a comment;
//! - a line ending in an odd number of backslashes continues on the next natural line, whose
//!   leading whitespace is skipped (a comment line never continues);
//! - the key ends at the first unescaped `=`, `:` or whitespace; whitespace, then at most one
//!   `=` or `:`, then whitespace separate it from the value;
//! - escapes: `\t \n \r \f`, `\uXXXX`, and `\x` means `x` for any other character.
//!
//! Properties files are ISO-8859-1 in Java when read from a byte stream; Kafka 3.9 reads
//! `server.properties` through `Files.newInputStream` → Latin-1. We read UTF-8 text (a superset
//! for the ASCII keys Kafka uses) and keep `\uXXXX` escapes working for everything else.

use std::collections::BTreeMap;

/// Why a properties text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PropertiesError {
    /// Java throws `IllegalArgumentException("Malformed \\uxxxx encoding.")`.
    #[error("line {line}: malformed \\uxxxx escape")]
    MalformedUnicodeEscape { line: usize },
}

/// One parsed entry, with the 1-based line where its logical line started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyEntry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Parses properties text into entries in file order (later duplicates are kept; use
/// [`to_map`] for Java's "last one wins" map).
pub fn parse(text: &str) -> Result<Vec<PropertyEntry>, PropertiesError> {
    let mut entries = Vec::new();
    for (line_no, logical) in logical_lines(text) {
        let (key, value) = split_key_value(&logical, line_no)?;
        entries.push(PropertyEntry {
            key,
            value,
            line: line_no,
        });
    }
    Ok(entries)
}

/// Parses properties text into a map; a repeated key keeps its last value, like `Properties.load`.
pub fn to_map(text: &str) -> Result<BTreeMap<String, String>, PropertiesError> {
    Ok(parse(text)?.into_iter().map(|e| (e.key, e.value)).collect())
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

/// Joins continued natural lines into logical lines (escapes still in place, the joining
/// backslash removed), dropping blank and comment lines. Kafka: `Properties.LineReader.readLine`.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    // Split into natural lines on \n, \r and \r\n.
    let mut naturals: Vec<&str> = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                naturals.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                naturals.push(&text[start..i]);
                if i + 1 < bytes.len() && bytes[i + 1] == b'\n' {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        naturals.push(&text[start..]);
    }

    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (idx, natural) in naturals.iter().enumerate() {
        let trimmed = natural.trim_start_matches(is_blank);
        let continuing = current.is_some();
        if !continuing
            && (trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!'))
        {
            continue;
        }
        let trailing_backslashes = trimmed.chars().rev().take_while(|&c| c == '\\').count();
        let continues = trailing_backslashes % 2 == 1;
        let body = if continues {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        let entry = current.get_or_insert_with(|| (idx + 1, String::new()));
        entry.1.push_str(body);
        if !continues {
            if let Some(done) = current.take() {
                out.push(done);
            }
        }
    }
    // A file ending in a continuation keeps what it has (Java does the same at EOF).
    if let Some(done) = current.take() {
        out.push(done);
    }
    out
}

/// Splits one logical line into an unescaped key and value. Kafka: `Properties.load0`.
fn split_key_value(line: &str, line_no: usize) -> Result<(String, String), PropertiesError> {
    let chars: Vec<char> = line.chars().collect();
    let mut key_end = chars.len();
    let mut value_start = chars.len();
    let mut has_sep = false;
    let mut preceding_backslash = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c == '=' || c == ':') && !preceding_backslash {
            key_end = i;
            value_start = i + 1;
            has_sep = true;
            break;
        } else if is_blank(c) && !preceding_backslash {
            key_end = i;
            value_start = i + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        i += 1;
    }
    let mut v = value_start;
    while v < chars.len() {
        let c = chars[v];
        if !is_blank(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        v += 1;
    }
    let key = unescape(&chars[..key_end.min(chars.len())], line_no)?;
    let value = unescape(&chars[v.min(chars.len())..], line_no)?;
    Ok((key, value))
}

/// Resolves backslash escapes. Kafka: `Properties.loadConvert`.
fn unescape(chars: &[char], line_no: usize) -> Result<String, PropertiesError> {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            // A lone trailing backslash (only possible at EOF) is dropped, as in Java.
            break;
        };
        i += 1;
        match e {
            'u' => {
                if i + 4 > chars.len() {
                    return Err(PropertiesError::MalformedUnicodeEscape { line: line_no });
                }
                let hex: String = chars[i..i + 4].iter().collect();
                let code = u32::from_str_radix(&hex, 16)
                    .map_err(|_| PropertiesError::MalformedUnicodeEscape { line: line_no })?;
                i += 4;
                // Lone surrogates cannot be represented in a Rust string; they become U+FFFD.
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Escapes a key or value for writing, like `Properties.saveConvert` (ASCII output, `\uXXXX`
/// for anything outside printable ASCII, leading spaces of values escaped).
pub fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for (idx, c) in s.chars().enumerate() {
        match c {
            ' ' if idx == 0 || is_key => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04X}", unit));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> BTreeMap<String, String> {
        to_map(text).expect("valid properties text")
    }

    /// `Properties.load` separators: `=`, `:`, whitespace, and whitespace around them.
    /// The expected values were produced by Java 17's `Properties.load` on the same text.
    #[test]
    fn separators_and_whitespace() {
        let m = map("a=1\nb:2\nc 3\n  d = 4  \ne\t:\t5\nsp v w\nempty\nx==y\n");
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "2");
        assert_eq!(m["c"], "3");
        assert_eq!(m["d"], "4  ", "Java keeps trailing whitespace in values");
        assert_eq!(m["e"], "5");
        assert_eq!(m["sp"], "v w");
        assert_eq!(m["empty"], "");
        assert_eq!(m["x"], "=y", "only one separator is consumed");
    }

    /// Comment lines start with `#` or `!` after optional blanks; a comment never continues.
    #[test]
    fn comments() {
        let m = map("# c1\n   ! c2 \\\nk=v\n#k2=v2\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m["k"], "v");
    }

    /// Continuations (odd trailing backslashes) and escapes, checked against Java 17:
    /// `a\<nl>  b = c\:d\u0041 \<nl>x` → key `ab`, value `c:dA x`; `\ lead=1` → key ` lead`;
    /// `key\=x=y` → key `key=x`.
    #[test]
    fn continuations_and_escapes_match_java() {
        let m = map(
            "a\\\n  b = c\\:d\\u0041 \\\nx\n! c\nk:v\n  \\ lead=1\nkey\\=x=y\neven\\\\\nnext=1\n",
        );
        assert_eq!(m["ab"], "c:dA x");
        assert_eq!(m[" lead"], "1");
        assert_eq!(m["key=x"], "y");
        assert_eq!(
            m["even\\"], "",
            "an even number of backslashes does not continue"
        );
        assert_eq!(m["next"], "1");
        assert_eq!(map("t=a\\tb\\nc")["t"], "a\tb\nc");
    }

    /// `\r\n` and lone `\r` end natural lines too.
    #[test]
    fn line_endings() {
        let m = map("a=1\r\nb=2\rc=3");
        assert_eq!(
            (m["a"].as_str(), m["b"].as_str(), m["c"].as_str()),
            ("1", "2", "3")
        );
    }

    /// Java rejects a malformed `\uXXXX` escape with an IllegalArgumentException.
    #[test]
    fn malformed_unicode_escape_is_an_error() {
        assert_eq!(
            to_map("k=\\u12G4"),
            Err(PropertiesError::MalformedUnicodeEscape { line: 1 })
        );
        assert_eq!(
            to_map("a=1\nk=\\u12"),
            Err(PropertiesError::MalformedUnicodeEscape { line: 2 })
        );
    }

    /// Later duplicates win; entries keep their starting line for error messages.
    #[test]
    fn duplicates_and_line_numbers() {
        let e = parse("a=1\n\n# x\nb=2\\\n 3\na=9\n").unwrap();
        assert_eq!(e[1].line, 4);
        assert_eq!(e[1].value, "23");
        assert_eq!(map("a=1\na=9")["a"], "9");
    }

    /// `escape` round-trips through `parse`.
    #[test]
    fn escape_round_trips() {
        for s in [
            "plain",
            " lead",
            "a=b:c#!",
            "tab\there",
            "é ü",
            "back\\slash",
        ] {
            let text = format!("{}={}\n", escape(s, true), escape(s, false));
            assert_eq!(map(&text)[s], s, "round trip of {s:?} via {text:?}");
        }
    }
}
