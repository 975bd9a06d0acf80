//! `ssl.principal.mapping.rules` (KIP-371): how the subject DN of a client certificate becomes
//! the principal name on SSL listeners.
//!
//! Kafka: `org.apache.kafka.common.security.ssl.SslPrincipalMapper`. Rules are
//! `RULE:pattern/replacement/[LU]` or `DEFAULT`, separated by commas; the first rule whose
//! pattern matches the whole DN gives the name (`replaceAll` with the replacement, then lower-
//! or upper-cased); `DEFAULT` gives the DN unchanged; no matching rule is an error (the
//! connection is closed). Kafka's own rule grammar (`RULE_PATTERN`, `RULE_SPLITTER`) is used
//! as is, so rules split and fail exactly as in Kafka. Patterns are Java regular expressions;
//! the `regex` crate reads the common subset (no look-around or back-references), and a
//! pattern it cannot read is refused at startup.

use regex::{Captures, Regex};
use rustls::pki_types::CertificateDer;

use super::principal::KafkaPrincipal;

/// Kafka: `BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG`.
pub const SSL_PRINCIPAL_MAPPING_RULES: &str = "ssl.principal.mapping.rules";

/// Kafka: `SslPrincipalMapper.RULE_PATTERN` (group 1 DEFAULT, 2 pattern, 4 replacement, 6 case;
/// the last alternative matches anything, so that `parseRules` can report what is left).
const RULE_PATTERN: &str = r"(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)";

/// Java's `\s` (the `regex` crate's is Unicode-wide).
const JAVA_SPACE: &str = r"[ \t\n\x0B\f\r]";

/// Why the rules were refused. The messages are Kafka's (`IllegalArgumentException`).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SslPrincipalMapperError {
    #[error("Invalid rule: {0}")]
    Invalid(String),
    #[error("Invalid rule: `{rule}`, unmatched substring: `{rest}`")]
    Unmatched { rule: String, rest: String },
    #[error("Invalid rule: `{rule}`: the pattern is not a supported regular expression: {reason}")]
    Pattern { rule: String, reason: String },
}

/// Why a DN could not be mapped. Kafka: `NoMatchingRule` and `Matcher.appendReplacement`
/// errors; Kafka then fails the connection ("Failed to map name for ...").
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("No rules apply to {dn}, rules {rules}")]
    NoMatchingRule { dn: String, rules: String },
    #[error("Failed to map name for '{dn}' based on SSL principal mapping rules: {reason}")]
    Replacement { dn: String, reason: String },
}

#[derive(Debug, Clone)]
enum Rule {
    Default,
    Replace {
        /// As written, for `toString`.
        source: String,
        /// The pattern, unanchored (`replaceAll`).
        pattern: Regex,
        /// The pattern anchored at both ends (`Matcher.matches`).
        whole: Regex,
        replacement: String,
        to_lower: bool,
        to_upper: bool,
    },
}

/// The parsed rules of one listener.
#[derive(Debug, Clone)]
pub struct SslPrincipalMapper {
    rules: Vec<Rule>,
}

impl SslPrincipalMapper {
    /// Kafka: `SslPrincipalMapper.fromRules` (`splitRules` then `parseRules`). `None` means the
    /// default, `DEFAULT`.
    pub fn from_rules(rules: Option<&str>) -> Result<SslPrincipalMapper, SslPrincipalMapperError> {
        let text = rules.unwrap_or("DEFAULT").trim();
        let splitter = Regex::new(&format!(
            r"{JAVA_SPACE}*({RULE_PATTERN}){JAVA_SPACE}*(,{JAVA_SPACE}*|$)"
        ))
        .map_err(|e| SslPrincipalMapperError::Invalid(e.to_string()))?;
        let parser = Regex::new(&format!("^(?:{RULE_PATTERN})"))
            .map_err(|e| SslPrincipalMapperError::Invalid(e.to_string()))?;
        let mut parsed = Vec::new();
        for split in java_find_all(&splitter, text) {
            let rule = split.get(1).map_or("", |m| m.as_str());
            // Kafka: `RULE_PARSER.matcher(rule).lookingAt()`; the catch-all alternative
            // always matches, so only the "unmatched substring" check can fail.
            let Some(c) = parser.captures(rule) else {
                return Err(SslPrincipalMapperError::Invalid(rule.to_string()));
            };
            let end = c.get(0).map_or(0, |m| m.end());
            if end != rule.len() {
                return Err(SslPrincipalMapperError::Unmatched {
                    rule: rule.to_string(),
                    rest: rule[end..].to_string(),
                });
            }
            if c.get(1).is_some() {
                parsed.push(Rule::Default);
            } else if let Some(source) = c.get(2) {
                let source = source.as_str().to_string();
                let compile = |p: &str| {
                    Regex::new(p).map_err(|e| SslPrincipalMapperError::Pattern {
                        rule: rule.to_string(),
                        reason: e.to_string(),
                    })
                };
                let pattern = compile(&source)?;
                let whole = compile(&format!(r"\A(?:{source})\z"))?;
                let case = c.get(6).map_or("", |m| m.as_str());
                parsed.push(Rule::Replace {
                    source,
                    pattern,
                    whole,
                    replacement: c.get(4).map_or("", |m| m.as_str()).to_string(),
                    to_lower: case == "L",
                    to_upper: case == "U",
                });
            }
            // An empty rule (group 7) is ignored.
        }
        Ok(SslPrincipalMapper { rules: parsed })
    }

    /// Kafka: `SslPrincipalMapper.getName` — the first rule that applies.
    pub fn name(&self, distinguished_name: &str) -> Result<String, MappingError> {
        for rule in &self.rules {
            if let Some(name) = rule.apply(distinguished_name)? {
                return Ok(name);
            }
        }
        Err(MappingError::NoMatchingRule {
            dn: distinguished_name.to_string(),
            rules: self.rules_text(),
        })
    }

    /// Kafka: `List<Rule>.toString` — `[RULE:pattern/replacement/L, DEFAULT]`.
    fn rules_text(&self) -> String {
        let parts: Vec<String> = self.rules.iter().map(Rule::to_string).collect();
        format!("[{}]", parts.join(", "))
    }
}

impl std::fmt::Display for SslPrincipalMapper {
    /// Kafka: `SslPrincipalMapper.toString`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SslPrincipalMapper(rules = {})", self.rules_text())
    }
}

impl std::fmt::Display for Rule {
    /// Kafka: `Rule.toString`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Default => write!(f, "DEFAULT"),
            Rule::Replace {
                source,
                replacement,
                to_lower,
                to_upper,
                ..
            } => {
                write!(f, "RULE:{source}/{replacement}")?;
                if *to_lower {
                    write!(f, "/L")?;
                } else if *to_upper {
                    write!(f, "/U")?;
                }
                Ok(())
            }
        }
    }
}

impl Rule {
    /// Kafka: `Rule.apply` — `None` when the pattern does not match the whole DN.
    fn apply(&self, dn: &str) -> Result<Option<String>, MappingError> {
        let Rule::Replace {
            pattern,
            whole,
            replacement,
            to_lower,
            to_upper,
            ..
        } = self
        else {
            return Ok(Some(dn.to_string()));
        };
        if !whole.is_match(dn) {
            return Ok(None);
        }
        // Kafka: `escapeLiteralBackReferences` — `$n` naming a group that does not exist is
        // literal text (only when the pattern has groups at all).
        let groups = pattern.captures_len() - 1;
        let replacement = escape_literal_back_references(replacement, groups);
        let mut out = String::new();
        let mut last = 0;
        for c in java_find_all(pattern, dn) {
            let Some(m) = c.get(0) else { continue };
            out.push_str(&dn[last..m.start()]);
            expand_java_replacement(&replacement, &c, pattern, &mut out).map_err(|reason| {
                MappingError::Replacement {
                    dn: dn.to_string(),
                    reason,
                }
            })?;
            last = m.end();
        }
        out.push_str(&dn[last..]);
        // Kafka: `toLowerCase(Locale.ENGLISH)` / `toUpperCase(Locale.ENGLISH)`.
        Ok(Some(if *to_lower {
            out.to_lowercase()
        } else if *to_upper {
            out.to_uppercase()
        } else {
            out
        }))
    }
}

/// The principal of an SSL connection. Kafka: `DefaultKafkaPrincipalBuilder.build` for an
/// `SslAuthenticationContext` — no client certificate (`SSLPeerUnverifiedException`) gives
/// `User:ANONYMOUS`; otherwise the certificate's RFC 2253 subject DN
/// (`X500Principal.getName()`) goes through the mapping rules.
pub fn ssl_principal(
    peer_certs: Option<&[CertificateDer<'_>]>,
    mapper: &SslPrincipalMapper,
) -> Result<KafkaPrincipal, MappingError> {
    let Some(cert) = peer_certs.and_then(|c| c.first()) else {
        return Ok(KafkaPrincipal::anonymous());
    };
    match super::dn::subject_dn(cert) {
        Ok(dn) => mapper.name(&dn).map(KafkaPrincipal::user),
        Err(e) => {
            tracing::warn!("{e}; the client is ANONYMOUS");
            Ok(KafkaPrincipal::anonymous())
        }
    }
}

/// Every match as Java's `Matcher.find` loop reports them: the next search starts where the
/// previous match ended, one character further after an empty match.
fn java_find_all<'h>(re: &Regex, text: &'h str) -> Vec<Captures<'h>> {
    let mut out = Vec::new();
    let mut from = 0;
    while from <= text.len() {
        let Some(c) = re.captures_at(text, from) else {
            break;
        };
        let Some(m) = c.get(0) else { break };
        from = if m.start() == m.end() {
            // Step over one character (not one byte).
            m.end() + text[m.end()..].chars().next().map_or(1, char::len_utf8)
        } else {
            m.end()
        };
        out.push(c);
    }
    out
}

/// Kafka: `Rule.escapeLiteralBackReferences` — `$n` (n not starting with 0) is shortened digit
/// by digit while above the group count and at least 10; if still above, its `$` is escaped.
fn escape_literal_back_references(unescaped: &str, groups: usize) -> String {
    if groups == 0 {
        return unescaped.to_string();
    }
    let back_reference = Regex::new(r"\$(\d+)").expect("constant pattern");
    let mut value = unescaped.to_string();
    // Kafka scans the original string but inserts into the copy at positions of the original,
    // so a second insertion lands one character early; the same is done here.
    for c in back_reference.captures_iter(unescaped) {
        let Some(digits) = c.get(1) else { continue };
        if digits.as_str().starts_with('0') {
            continue;
        }
        let mut index: u128 = digits.as_str().parse().unwrap_or(u128::MAX);
        while index > groups as u128 && index >= 10 {
            index /= 10;
        }
        if index > groups as u128 {
            // Kafka: `value.substring(0, groupStart - 1) + "\\" + value.substring(groupStart - 1)`
            // with `groupStart` taken from the unmodified string.
            let at = digits.start() - 1;
            if at <= value.len() && value.is_char_boundary(at) {
                value.insert(at, '\\');
            }
        }
    }
    value
}

/// Java's `Matcher.appendReplacement`: `\x` is a literal `x`; `$n` takes the longest group
/// number that exists (at least one digit); `${name}` a named group; a group that did not
/// take part adds nothing.
fn expand_java_replacement(
    replacement: &str,
    caps: &Captures<'_>,
    pattern: &Regex,
    out: &mut String,
) -> Result<(), String> {
    let groups = pattern.captures_len() - 1;
    let mut chars = replacement.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => return Err("character to be escaped is missing".into()),
            },
            '$' => {
                let group = if chars.peek() == Some(&'{') {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c.is_ascii_alphanumeric() => name.push(c),
                            _ => return Err("named capturing group is missing trailing '}'".into()),
                        }
                    }
                    match caps.name(&name) {
                        Some(m) => Some(m.as_str()),
                        None if pattern.capture_names().flatten().any(|n| n == name) => None,
                        None => return Err(format!("No group with name {{{name}}}")),
                    }
                } else {
                    let Some(first) = chars.next().and_then(|c| c.to_digit(10)) else {
                        return Err("Illegal group reference".into());
                    };
                    let mut number = first as usize;
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let longer = number * 10 + d as usize;
                        if longer > groups {
                            break;
                        }
                        number = longer;
                        chars.next();
                    }
                    if number > groups {
                        return Err(format!("No group {number}"));
                    }
                    caps.get(number).map(|m| m.as_str())
                };
                if let Some(text) = group {
                    out.push_str(text);
                }
            }
            c => out.push(c),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> SslPrincipalMapper {
        SslPrincipalMapper::from_rules(Some(text)).unwrap()
    }

    /// Kafka `SslPrincipalMapperTest.testValidRules`.
    #[test]
    fn valid_rules() {
        for r in [
            "DEFAULT",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
            "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
            "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
            "RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
            "RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
            "RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
        ] {
            assert!(SslPrincipalMapper::from_rules(Some(r)).is_ok(), "{r}");
        }
    }

    /// Kafka `SslPrincipalMapperTest.testInvalidRules`, with Kafka's messages.
    #[test]
    fn invalid_rules() {
        for r in [
            "default",
            "DEFAUL",
            "DEFAULT/L",
            "DEFAULT/U",
            "RULE:CN=(.*?),OU=ServiceUsers.*/$1",
            "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
        ] {
            assert!(SslPrincipalMapper::from_rules(Some(r)).is_err(), "{r}");
        }
        assert_eq!(
            SslPrincipalMapper::from_rules(Some("DEFAULT/L"))
                .unwrap_err()
                .to_string(),
            "Invalid rule: `DEFAULT/L`, unmatched substring: `/L`"
        );
        assert_eq!(
            SslPrincipalMapper::from_rules(Some("default"))
                .unwrap_err()
                .to_string(),
            "Invalid rule: `default`, unmatched substring: `default`"
        );
    }

    /// Kafka `SslPrincipalMapperTest.testSslPrincipalMapper`: first match wins, `L`/`U`,
    /// DEFAULT keeps the DN.
    #[test]
    fn maps_like_kafka() {
        let m = rules(
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, \
             RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, \
             RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, \
             RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, \
             DEFAULT",
        );
        for (dn, name) in [
            ("CN=Duke,OU=ServiceUsers,O=Org,C=US", "duke"),
            ("CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US", "duke@sme"),
            ("cn=duke,ou=sme,dc=mycp,dc=com", "DUKE@SME"),
            ("cN=duke,OU=JavaSoft,O=Sun Microsystems", "DUKE"),
            (
                "OU=JavaSoft,O=Sun Microsystems,C=US",
                "OU=JavaSoft,O=Sun Microsystems,C=US",
            ),
        ] {
            assert_eq!(m.name(dn).unwrap(), name, "{dn}");
        }
        // No DEFAULT: no rule applies → Kafka's NoMatchingRule.
        let m = rules("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L");
        assert_eq!(
            m.name("CN=x,O=y").unwrap_err().to_string(),
            "No rules apply to CN=x,O=y, rules [RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L]"
        );
        // The default configuration is DEFAULT.
        let m = SslPrincipalMapper::from_rules(None).unwrap();
        assert_eq!(m.name("CN=a,O=b").unwrap(), "CN=a,O=b");
    }

    /// Kafka `SslPrincipalMapperTest.testRulesSplitting` (compared through `toString`).
    #[test]
    fn splits_like_kafka() {
        for (expected, text) in [
            ("[]", ""),
            ("[DEFAULT]", "DEFAULT"),
            ("[RULE:/]", "RULE://"),
            ("[RULE:/.*]", "RULE:/.*/"),
            ("[RULE:/.*/L]", "RULE:/.*/L"),
            ("[RULE:/, DEFAULT]", "RULE://,DEFAULT"),
            ("[RULE:/, DEFAULT]", "  RULE:// ,  DEFAULT  "),
            (
                "[RULE:   /     , DEFAULT]",
                "  RULE:   /     / ,  DEFAULT  ",
            ),
            (
                "[RULE:  /     /U, DEFAULT]",
                "  RULE:  /     /U   ,DEFAULT  ",
            ),
            (
                "[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]",
                "  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ",
            ),
            ("[]", ",   , , ,      , , ,   "),
            ("[RULE:/, DEFAULT]", ",,RULE://,,,DEFAULT,,"),
            (
                "[RULE: /   , DEFAULT]",
                ",  , RULE: /   /    ,,,   DEFAULT, ,   ",
            ),
            (
                "[RULE:   /  /U, DEFAULT]",
                "     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,",
            ),
            (r"[RULE:\/\\\(\)\n\t/\/\/]", r"RULE:\/\\\(\)\n\t/\/\//"),
            (
                r"[RULE:\**\/+/*/L, RULE:\/*\**/**]",
                r"RULE:\**\/+/*/L,RULE:\/*\**/**/",
            ),
            // "rules rule"
            (
                r"[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]",
                r"RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT",
            ),
        ] {
            assert_eq!(
                rules(text).to_string(),
                format!("SslPrincipalMapper(rules = {expected})"),
                "{text:?}"
            );
        }
    }

    /// Kafka `SslPrincipalMapperTest.testCommaWithWhitespace`: an escaped comma inside a CN.
    #[test]
    fn comma_with_whitespace() {
        let m = rules(r"RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT");
        assert_eq!(
            m.name(r"CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz").unwrap(),
            r"Tkac\, Adam"
        );
    }

    /// Kafka `escapeLiteralBackReferences` + Java `appendReplacement`: `$4` with three groups
    /// is literal, `$12` with one group is group 1 then "2", `\` escapes.
    #[test]
    fn replacement_syntax() {
        let m = rules(r"RULE:^CN=(\w+),OU=(\w+),O=(\w+)$/$1@$4/");
        assert_eq!(m.name("CN=a,OU=b,O=c").unwrap(), "a@$4");
        let m = rules(r"RULE:^CN=(\w+).*$/$12/");
        assert_eq!(m.name("CN=ab,O=c").unwrap(), "ab2");
        let m = rules(r"RULE:^CN=(\w+).*$/x\$1/");
        assert_eq!(m.name("CN=ab,O=c").unwrap(), "x$1");
    }
}
