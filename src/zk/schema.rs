//! A small JSON Schema validator for the subset `zk-schema/` uses.
//!
//! Supported keywords: `type` (a name or a list), `enum`, `const`, `required`, `properties`,
//! `additionalProperties` (bool or schema), `propertyNames`, `items`, `minItems`, `uniqueItems`,
//! `minimum`, `maximum`, `minLength`, `maxLength`, `format`, `anyOf`, `$ref` to
//! `#/definitions/<name>`, and annotations (`$schema`, `$id`, `title`, `description`,
//! `examples`, `$comment`, `definitions`) which are ignored. An unknown keyword is an error in
//! the schema itself ([`Schema::compile`] refuses it), so a typo cannot silently disable a rule.
//!
//! `format` carries Kafka-specific string checks that a regex would otherwise express (we keep
//! the dependency list small):
//! - `decimal-int32` / `decimal-int64`: a decimal integer in a string (`"1700000000000"`),
//!   as Java's `Integer.parseInt` / `Long.parseLong` accept it.
//! - `kafka-uuid`: Kafka `Uuid.toString`, 22 URL-safe base64 characters of 16 bytes.
//! - `kafka-endpoint`: `LISTENER_NAME://host:port` (Kafka `EndPoint.createEndPoint`).
//! - `kafka-principal`: `<PrincipalType>:<name>` (`SecurityUtils.parseKafkaPrincipal`).
//! - `sanitized-principal`: the same after `Sanitizer.sanitize` (`User%3Aalice`).
//! - `literal-acl-change`: `<RESOURCE_TYPE>:<name>` (`LiteralAclChangeStore.decode`).

use std::fmt;

use serde_json::{Map, Value};

/// A schema that failed to compile (a bug in a `zk-schema/` file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schema {schema}: {problem} at {pointer}")]
pub struct SchemaError {
    pub schema: String,
    pub pointer: String,
    pub problem: String,
}

/// One rule a JSON value broke: where (a JSON pointer into the value), which keyword, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the validated value, `""` for the root (`/timestamp`, `/acls/0/host`).
    pub pointer: String,
    /// The schema keyword that failed (`type`, `required`, `format`, ...).
    pub keyword: &'static str,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {} [{}]", self.message, self.keyword)
    }
}

/// A compiled (checked) schema document.
#[derive(Debug, Clone)]
pub struct Schema {
    name: String,
    root: Value,
}

const KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "minItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "format",
    "anyOf",
    "$ref",
    "$schema",
    "$id",
    "title",
    "description",
    "examples",
    "$comment",
    "definitions",
];

const FORMATS: &[&str] = &[
    "decimal-int32",
    "decimal-int64",
    "kafka-uuid",
    "kafka-endpoint",
    "kafka-principal",
    "sanitized-principal",
    "literal-acl-change",
];

const TYPES: &[&str] = &[
    "object", "array", "string", "integer", "number", "boolean", "null",
];

impl Schema {
    /// Parses and checks a schema document. `name` is used in messages.
    pub fn compile(name: &str, text: &str) -> Result<Schema, SchemaError> {
        let root: Value = serde_json::from_str(text).map_err(|e| SchemaError {
            schema: name.to_string(),
            pointer: String::new(),
            problem: format!("not JSON ({e})"),
        })?;
        let schema = Schema {
            name: name.to_string(),
            root,
        };
        schema.check(&schema.root, "#")?;
        Ok(schema)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn err(&self, pointer: &str, problem: impl Into<String>) -> SchemaError {
        SchemaError {
            schema: self.name.clone(),
            pointer: pointer.to_string(),
            problem: problem.into(),
        }
    }

    fn check(&self, s: &Value, at: &str) -> Result<(), SchemaError> {
        let obj = s
            .as_object()
            .ok_or_else(|| self.err(at, "a schema must be an object"))?;
        for (k, v) in obj {
            let here = format!("{at}/{k}");
            if !KEYWORDS.contains(&k.as_str()) {
                return Err(self.err(&here, format!("unsupported keyword '{k}'")));
            }
            match k.as_str() {
                "type" => {
                    let names: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for n in names {
                        if !n.as_str().is_some_and(|n| TYPES.contains(&n)) {
                            return Err(self.err(&here, format!("unknown type {n}")));
                        }
                    }
                }
                "properties" | "definitions" => {
                    let m = v
                        .as_object()
                        .ok_or_else(|| self.err(&here, "must be an object"))?;
                    for (p, sub) in m {
                        self.check(sub, &format!("{here}/{p}"))?;
                    }
                }
                "additionalProperties" if v.is_boolean() => {}
                "additionalProperties" | "propertyNames" | "items" => self.check(v, &here)?,
                "anyOf" => {
                    let a = v
                        .as_array()
                        .ok_or_else(|| self.err(&here, "must be an array"))?;
                    for (i, sub) in a.iter().enumerate() {
                        self.check(sub, &format!("{here}/{i}"))?;
                    }
                }
                "format" if !v.as_str().is_some_and(|f| FORMATS.contains(&f)) => {
                    return Err(self.err(&here, format!("unknown format {v}")));
                }
                "$ref" => {
                    let r = v
                        .as_str()
                        .ok_or_else(|| self.err(&here, "must be a string"))?;
                    if self.resolve(r).is_none() {
                        return Err(self.err(&here, format!("unresolvable reference {r}")));
                    }
                }
                "required" if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) => {
                    return Err(self.err(&here, "must be an array of strings"));
                }
                "enum" if !v.is_array() => return Err(self.err(&here, "must be an array")),
                "minItems" | "minLength" | "maxLength" if !v.is_u64() => {
                    return Err(self.err(&here, "must be a non-negative integer"))
                }
                "minimum" | "maximum" if !v.is_number() => {
                    return Err(self.err(&here, "must be a number"))
                }
                "uniqueItems" if !v.is_boolean() => {
                    return Err(self.err(&here, "must be a boolean"))
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let name = reference.strip_prefix("#/definitions/")?;
        self.root.get("definitions")?.get(name)
    }

    /// Validates a value; returns every violation (empty = valid).
    pub fn validate(&self, value: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        self.validate_at(&self.root, value, "", &mut out);
        out
    }

    fn validate_at(&self, s: &Value, v: &Value, ptr: &str, out: &mut Vec<Violation>) {
        let Some(s) = s.as_object() else { return };
        let mut fail = |keyword: &'static str, message: String| {
            out.push(Violation {
                pointer: ptr.to_string(),
                keyword,
                message,
            })
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if let Some(target) = self.resolve(r) {
                self.validate_at(target, v, ptr, out);
            }
            return;
        }
        if let Some(t) = s.get("type") {
            let allowed: Vec<&str> = match t {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().into_iter().collect(),
            };
            if !allowed.iter().any(|t| type_matches(t, v)) {
                fail(
                    "type",
                    format!("expected {} but found {}", allowed.join(" or "), kind(v)),
                );
                return;
            }
        }
        if let Some(c) = s.get("const") {
            if c != v {
                fail("const", format!("expected {c} but found {v}"));
            }
        }
        if let Some(Value::Array(options)) = s.get("enum") {
            if !options.contains(v) {
                let list: Vec<String> = options.iter().map(Value::to_string).collect();
                fail("enum", format!("{v} is not one of {}", list.join(", ")));
            }
        }
        if let Some(n) = v.as_f64() {
            if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
                if n < min {
                    fail("minimum", format!("{v} is less than the minimum {min}"));
                }
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
                if n > max {
                    fail("maximum", format!("{v} is greater than the maximum {max}"));
                }
            }
        }
        if let Value::String(text) = v {
            let len = text.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
                if len < min {
                    fail(
                        "minLength",
                        format!("string is shorter than {min} characters"),
                    );
                }
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                if len > max {
                    fail(
                        "maxLength",
                        format!("string is longer than {max} characters"),
                    );
                }
            }
            if let Some(f) = s.get("format").and_then(Value::as_str) {
                if let Err(why) = check_format(f, text) {
                    fail("format", format!("\"{text}\" is not {f}: {why}"));
                }
            }
        }
        if let Some(Value::Array(options)) = s.get("anyOf") {
            let matched = options.iter().any(|o| {
                let mut sub = Vec::new();
                self.validate_at(o, v, ptr, &mut sub);
                sub.is_empty()
            });
            if !matched {
                fail("anyOf", "matches none of the allowed shapes".to_string());
            }
        }
        if let Value::Array(items) = v {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    fail(
                        "minItems",
                        format!("array has {} items, fewer than {min}", items.len()),
                    );
                }
            }
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, a) in items.iter().enumerate() {
                    if items[..i].contains(a) {
                        fail("uniqueItems", format!("item {a} appears more than once"));
                        break;
                    }
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.validate_at(item_schema, item, &format!("{ptr}/{i}"), out);
                }
            }
        }
        if let Value::Object(map) = v {
            self.validate_object(s, map, ptr, out);
        }
    }

    fn validate_object(
        &self,
        s: &Map<String, Value>,
        map: &Map<String, Value>,
        ptr: &str,
        out: &mut Vec<Violation>,
    ) {
        if let Some(Value::Array(required)) = s.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    out.push(Violation {
                        pointer: ptr.to_string(),
                        keyword: "required",
                        message: format!("required property '{r}' is missing"),
                    });
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, val) in map {
            let child = format!("{ptr}/{}", escape_pointer(k));
            if let Some(names) = s.get("propertyNames") {
                let mut sub = Vec::new();
                self.validate_at(names, &Value::String(k.clone()), &child, &mut sub);
                for mut violation in sub {
                    violation.message = format!("property name: {}", violation.message);
                    out.push(violation);
                }
            }
            match props.and_then(|p| p.get(k)) {
                Some(ps) => self.validate_at(ps, val, &child, out),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(Violation {
                        pointer: child,
                        keyword: "additionalProperties",
                        message: format!("property '{k}' is not allowed"),
                    }),
                    Some(extra @ Value::Object(_)) => self.validate_at(extra, val, &child, out),
                    _ => {}
                },
            }
        }
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string \"{s}\""),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// Java `Long.parseLong` / `Integer.parseInt`: optional sign then ASCII digits.
fn java_decimal(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn check_format(format: &str, text: &str) -> Result<(), String> {
    match format {
        "decimal-int32" => (java_decimal(text) && text.parse::<i32>().is_ok())
            .then_some(())
            .ok_or_else(|| "expected a decimal 32-bit integer".to_string()),
        "decimal-int64" => (java_decimal(text) && text.parse::<i64>().is_ok())
            .then_some(())
            .ok_or_else(|| "expected a decimal 64-bit integer".to_string()),
        "kafka-uuid" => crate::zk::znodes::validate_uuid(text),
        "kafka-endpoint" => {
            let (name, rest) = text.split_once("://").ok_or("missing '://'")?;
            if name.is_empty() {
                return Err("empty listener name".into());
            }
            let (_, port) = rest.rsplit_once(':').ok_or("missing ':port'")?;
            port.parse::<u16>()
                .map(|_| ())
                .map_err(|_| "port is not 0-65535".to_string())
        }
        "kafka-principal" => match text.split_once(':') {
            Some((t, _)) if !t.is_empty() => Ok(()),
            _ => Err("expected <PrincipalType>:<name>".into()),
        },
        "sanitized-principal" => {
            let p = crate::zk::znodes::desanitize(text).ok_or("malformed %-escape")?;
            check_format("kafka-principal", &p)
        }
        "literal-acl-change" => {
            let (t, _) = text
                .split_once(':')
                .ok_or("expected <RESOURCE_TYPE>:<name>")?;
            crate::zk::znodes::ResourceType::from_enum_name(t)
                .map(|_| ())
                .ok_or_else(|| format!("unknown resource type {t}"))
        }
        other => Err(format!("unknown format {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> Schema {
        Schema::compile("test", &v.to_string()).unwrap()
    }

    /// JSON Schema (draft-07) semantics of the supported keywords, on valid and invalid values.
    #[test]
    fn validates_core_keywords() {
        let s = schema(json!({
            "type": "object",
            "required": ["version", "ts"],
            "additionalProperties": false,
            "properties": {
                "version": {"const": 2},
                "ts": {"type": "string", "format": "decimal-int64"},
                "isr": {"type": "array", "items": {"type": "integer", "minimum": 0}, "uniqueItems": true, "minItems": 1},
                "host": {"type": ["string", "null"]},
                "status": {"enum": [0, 1]},
                "m": {"type": "object", "propertyNames": {"format": "decimal-int32"}, "additionalProperties": {"$ref": "#/definitions/ids"}}
            },
            "definitions": {"ids": {"type": "array", "items": {"type": "integer"}}}
        }));
        assert!(s.validate(&json!({"version": 2, "ts": "17", "isr": [1, 2], "host": null, "status": 1, "m": {"0": [1]}})).is_empty());
        let v = s.validate(
            &json!({"version": 3, "ts": 17, "isr": [1, 1, -1], "x": 1, "m": {"a": ["b"]}}),
        );
        let rules: Vec<(&str, &str)> = v.iter().map(|v| (v.pointer.as_str(), v.keyword)).collect();
        assert_eq!(
            rules,
            vec![
                ("/version", "const"),
                ("/ts", "type"),
                ("/isr", "uniqueItems"),
                ("/isr/2", "minimum"),
                ("/x", "additionalProperties"),
                ("/m/a", "format"),
                ("/m/a/0", "type"),
            ]
        );
        assert_eq!(
            v[1].to_string(),
            "/ts: expected string but found integer 17 [type]"
        );
        let v = s.validate(&json!({}));
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].to_string(),
            "(root): required property 'version' is missing [required]"
        );
    }

    /// A schema typo must not silently disable a rule.
    #[test]
    fn refuses_unknown_keywords_and_formats() {
        assert!(Schema::compile("t", r#"{"type":"object","requierd":["a"]}"#).is_err());
        assert!(Schema::compile("t", r#"{"type":"strin"}"#).is_err());
        assert!(Schema::compile("t", r#"{"format":"date"}"#).is_err());
        assert!(Schema::compile("t", r##"{"$ref":"#/definitions/none"}"##).is_err());
    }

    /// Kafka-specific formats.
    #[test]
    fn kafka_formats() {
        assert!(check_format("decimal-int64", "1700000000000").is_ok());
        assert!(check_format("decimal-int64", " 1").is_err());
        assert!(check_format("decimal-int32", "99999999999").is_err());
        assert!(check_format("kafka-uuid", "cMr3GpVESX2L3byPGf93lQ").is_ok());
        assert!(check_format("kafka-uuid", "cMr3GpVESX2L3byPGf93l").is_err());
        assert!(check_format("kafka-endpoint", "PLAINTEXT://[::1]:9092").is_ok());
        assert!(check_format("kafka-endpoint", "localhost:9092").is_err());
        assert!(check_format("kafka-principal", "User:alice").is_ok());
        assert!(check_format("sanitized-principal", "User%3Aalice").is_ok());
        assert!(check_format("sanitized-principal", "alice").is_err());
    }
}
