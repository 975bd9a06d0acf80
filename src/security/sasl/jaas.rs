//! The one-line JAAS syntax of `sasl.jaas.config`, e.g.
//! `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin"
//! password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`
//!
//! Kafka: `org.apache.kafka.common.security.JaasConfig` (a `StreamTokenizer` over
//! `<LoginModuleClass> <flag> key=value ... ;`). Values may be quoted with `"`; a quoted value
//! may contain `\"` and `\\` escapes.

use std::collections::BTreeMap;

/// One login module entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaasEntry {
    pub login_module: String,
    pub flag: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid JAAS configuration: {0}")]
pub struct JaasError(pub String);

fn tokens(s: &str) -> Result<Vec<String>, JaasError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '=' || c == ';' {
            out.push(c.to_string());
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next() {
                    None => return Err(JaasError("unterminated quoted value".into())),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e) => v.push(e),
                        None => return Err(JaasError("unterminated escape".into())),
                    },
                    Some(x) => v.push(x),
                }
            }
            // A leading '"' token marker so an empty quoted value is still a value.
            out.push(format!("\"{v}"));
        } else {
            let mut v = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() || x == '=' || x == ';' || x == '"' {
                    break;
                }
                v.push(x);
                chars.next();
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// Parses every `<module> <flag> options... ;` entry.
pub fn parse(s: &str) -> Result<Vec<JaasEntry>, JaasError> {
    let toks = tokens(s)?;
    let unquote = |t: &str| t.strip_prefix('"').unwrap_or(t).to_string();
    let mut entries = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let login_module = unquote(&toks[i]);
        let flag = toks
            .get(i + 1)
            .map(|t| unquote(t))
            .ok_or_else(|| JaasError(format!("login module {login_module} has no control flag")))?;
        if !["required", "requisite", "sufficient", "optional"]
            .contains(&flag.to_ascii_lowercase().as_str())
        {
            return Err(JaasError(format!("invalid control flag '{flag}'")));
        }
        i += 2;
        let mut options = BTreeMap::new();
        loop {
            match toks.get(i).map(String::as_str) {
                Some(";") => {
                    i += 1;
                    break;
                }
                None => return Err(JaasError("entry does not end with ';'".into())),
                Some(key) => {
                    if toks.get(i + 1).map(String::as_str) != Some("=") {
                        return Err(JaasError(format!("option '{key}' has no value")));
                    }
                    let value = toks
                        .get(i + 2)
                        .ok_or_else(|| JaasError(format!("option '{key}' has no value")))?;
                    options.insert(unquote(key), unquote(value));
                    i += 3;
                }
            }
        }
        entries.push(JaasEntry {
            login_module,
            flag,
            options,
        });
    }
    if entries.is_empty() {
        return Err(JaasError("no login module".into()));
    }
    Ok(entries)
}

/// The users (`user_<name>` options) of a `PlainLoginModule` JAAS config.
/// Kafka: `PlainServerCallbackHandler.getPassword` reads `user_` + username.
pub fn plain_users(s: &str) -> Result<BTreeMap<String, String>, JaasError> {
    let mut users = BTreeMap::new();
    for e in parse(s)? {
        for (k, v) in e.options {
            if let Some(u) = k.strip_prefix("user_") {
                users.insert(u.to_string(), v);
            }
        }
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's documented broker JAAS line for PLAIN (`docs/security.html`, SASL/PLAIN).
    #[test]
    fn parses_kafka_plain_example() {
        let s = r#"org.apache.kafka.common.security.plain.PlainLoginModule required
            username="admin" password="admin-secret"
            user_admin="admin-secret" user_alice="alice \"quoted\" secret";"#;
        let e = parse(s).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].login_module,
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        );
        assert_eq!(e[0].options["username"], "admin");
        let users = plain_users(s).unwrap();
        assert_eq!(users["admin"], "admin-secret");
        assert_eq!(users["alice"], "alice \"quoted\" secret");
        assert!(parse("Module required a=\"b\"").is_err());
        assert!(parse("Module maybe;").is_err());
    }
}
