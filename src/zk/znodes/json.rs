//! Jackson-compatible compact JSON writing and tolerant, typed JSON reading for znode payloads.
//!
//! Kafka: `kafka.utils.Json.encodeAsBytes` is a default Jackson `ObjectMapper`: no whitespace,
//! UTF-8, non-ASCII written raw, `/` not escaped, control characters escaped (`\b \t \n \f \r`,
//! others as `\u00XX` with upper-case hex — Jackson `CharTypes`). Key order is whatever the JVM
//! map yields; here the caller states it explicitly (see `zk::json_order`).
//!
//! Reading mirrors Kafka's `kafka.utils.json.DecodeJson`: an `Int` must be a JSON integer in i32
//! range, a `String` must be a JSON string, unknown fields are ignored.

use super::ZNodeError;
use serde_json::{Map, Value};

/// A JSON value with an explicit key order, written exactly as Jackson writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// Compact bytes, no trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Json::Str(s) => write_string(s, out),
            Json::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Json::Obj(fields) => {
                out.push(b'{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(k, out);
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }

    /// A JSON string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// An array of ints (replica lists, ISR).
    pub fn int_array(items: &[i32]) -> Json {
        Json::Arr(items.iter().map(|&i| Json::Int(i64::from(i))).collect())
    }

    /// An object whose fields are written in `order` (a permutation of `fields`).
    pub fn obj_in_order(mut fields: Vec<(String, Json)>, order: &[usize]) -> Json {
        let mut taken: Vec<Option<(String, Json)>> = fields.drain(..).map(Some).collect();
        Json::Obj(order.iter().filter_map(|&i| taken[i].take()).collect())
    }
}

/// Jackson's string escaping (`UTF8JsonGenerator._writeStringSegment`, `CharTypes`).
fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0A => out.extend_from_slice(b"\\n"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x0D => out.extend_from_slice(b"\\r"),
            0x00..=0x1F => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Parses a znode payload as a JSON object. `znode` names the znode in errors.
pub fn parse_object(znode: &str, bytes: &[u8]) -> Result<Map<String, Value>, ZNodeError> {
    match parse_value(znode, bytes)? {
        Value::Object(map) => Ok(map),
        other => Err(ZNodeError::WrongType {
            znode: znode.to_string(),
            field: "(payload)".to_string(),
            expected: "a JSON object",
            found: describe(&other),
        }),
    }
}

/// Parses a znode payload as any JSON value.
pub fn parse_value(znode: &str, bytes: &[u8]) -> Result<Value, ZNodeError> {
    if bytes.is_empty() {
        return Err(ZNodeError::NoData {
            znode: znode.to_string(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| ZNodeError::InvalidJson {
        znode: znode.to_string(),
        reason: e.to_string(),
    })
}

/// Parses a payload that is UTF-8 text (decimal numbers, change notifications).
pub fn parse_text<'a>(znode: &str, bytes: &'a [u8]) -> Result<&'a str, ZNodeError> {
    std::str::from_utf8(bytes).map_err(|_| ZNodeError::NotUtf8 {
        znode: znode.to_string(),
    })
}

/// A short description of a JSON value's kind and content, for error messages.
pub fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".to_string(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let text = v.to_string();
    let text = if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    };
    format!("{kind} ({text})")
}

/// Typed field access on a parsed JSON object, producing `ZNodeError`s that name the znode and
/// the field. `prefix` qualifies nested field names (`partitions.0`).
pub struct Fields<'a> {
    pub znode: &'a str,
    pub map: &'a Map<String, Value>,
    pub prefix: String,
}

impl<'a> Fields<'a> {
    pub fn new(znode: &'a str, map: &'a Map<String, Value>) -> Fields<'a> {
        Fields {
            znode,
            map,
            prefix: String::new(),
        }
    }

    /// Fields of a nested object.
    pub fn nested(&self, field: &str, map: &'a Map<String, Value>) -> Fields<'a> {
        Fields {
            znode: self.znode,
            map,
            prefix: format!("{}.", self.name(field)),
        }
    }

    pub fn name(&self, field: &str) -> String {
        format!("{}{}", self.prefix, field)
    }

    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    pub fn require(&self, field: &str) -> Result<&'a Value, ZNodeError> {
        self.map.get(field).ok_or_else(|| ZNodeError::MissingField {
            znode: self.znode.to_string(),
            field: self.name(field),
        })
    }

    pub fn wrong_type(&self, field: &str, expected: &'static str, v: &Value) -> ZNodeError {
        ZNodeError::WrongType {
            znode: self.znode.to_string(),
            field: self.name(field),
            expected,
            found: describe(v),
        }
    }

    pub fn invalid(
        &self,
        field: &str,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> ZNodeError {
        ZNodeError::InvalidValue {
            znode: self.znode.to_string(),
            field: self.name(field),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Kafka `DecodeJson.DecodeInt`: a JSON integer that fits in 32 bits.
    pub fn as_i32(&self, field: &str, v: &Value) -> Result<i32, ZNodeError> {
        v.as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .ok_or_else(|| self.wrong_type(field, "a 32-bit integer", v))
    }

    /// Kafka `DecodeJson.DecodeLong`: a JSON integer that fits in 64 bits.
    pub fn as_i64(&self, field: &str, v: &Value) -> Result<i64, ZNodeError> {
        v.as_i64()
            .ok_or_else(|| self.wrong_type(field, "a 64-bit integer", v))
    }

    pub fn req_i32(&self, field: &str) -> Result<i32, ZNodeError> {
        self.as_i32(field, self.require(field)?)
    }

    pub fn req_i64(&self, field: &str) -> Result<i64, ZNodeError> {
        self.as_i64(field, self.require(field)?)
    }

    pub fn opt_i32(&self, field: &str) -> Result<Option<i32>, ZNodeError> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.as_i32(field, v).map(Some),
        }
    }

    pub fn as_str(&self, field: &str, v: &'a Value) -> Result<&'a str, ZNodeError> {
        v.as_str()
            .ok_or_else(|| self.wrong_type(field, "a string", v))
    }

    pub fn req_str(&self, field: &str) -> Result<&'a str, ZNodeError> {
        self.as_str(field, self.require(field)?)
    }

    /// An optional, nullable string (`rack`).
    pub fn opt_str(&self, field: &str) -> Result<Option<&'a str>, ZNodeError> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.as_str(field, v).map(Some),
        }
    }

    /// A decimal number written as a JSON string (`timestamp`, `block_start`).
    pub fn req_decimal_string(&self, field: &str) -> Result<i64, ZNodeError> {
        let s = self.req_str(field)?;
        s.parse::<i64>().map_err(|_| {
            self.invalid(
                field,
                format!("\"{s}\""),
                "expected a decimal 64-bit integer in a string",
            )
        })
    }

    pub fn as_i32_array(&self, field: &str, v: &Value) -> Result<Vec<i32>, ZNodeError> {
        let items = v
            .as_array()
            .ok_or_else(|| self.wrong_type(field, "an array of integers", v))?;
        items.iter().map(|item| self.as_i32(field, item)).collect()
    }

    pub fn req_i32_array(&self, field: &str) -> Result<Vec<i32>, ZNodeError> {
        self.as_i32_array(field, self.require(field)?)
    }

    pub fn req_str_array(&self, field: &str) -> Result<Vec<&'a str>, ZNodeError> {
        let v = self.require(field)?;
        let items = v
            .as_array()
            .ok_or_else(|| self.wrong_type(field, "an array of strings", v))?;
        items.iter().map(|item| self.as_str(field, item)).collect()
    }

    pub fn as_object(
        &self,
        field: &str,
        v: &'a Value,
    ) -> Result<&'a Map<String, Value>, ZNodeError> {
        v.as_object()
            .ok_or_else(|| self.wrong_type(field, "an object", v))
    }

    pub fn req_object(&self, field: &str) -> Result<&'a Map<String, Value>, ZNodeError> {
        self.as_object(field, self.require(field)?)
    }

    pub fn opt_object(&self, field: &str) -> Result<Option<&'a Map<String, Value>>, ZNodeError> {
        match self.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => self.as_object(field, v).map(Some),
        }
    }

    pub fn req_array(&self, field: &str) -> Result<&'a Vec<Value>, ZNodeError> {
        let v = self.require(field)?;
        v.as_array()
            .ok_or_else(|| self.wrong_type(field, "an array", v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jackson's default escaping (`CharTypes.sOutputEscapes128`): short escapes for
    /// `\b \t \n \f \r`, `\u00XX` with upper-case hex otherwise; `/` and non-ASCII are raw.
    #[test]
    fn escapes_like_jackson() {
        let j = Json::str("a\"b\\c/d\n\u{1}\u{1f}é€");
        assert_eq!(
            String::from_utf8(j.to_bytes()).unwrap(),
            "\"a\\\"b\\\\c/d\\n\\u0001\\u001Fé€\""
        );
    }

    /// Compact output: no whitespace between tokens (`ObjectMapper.writeValueAsBytes`).
    #[test]
    fn compact_output() {
        let j = Json::Obj(vec![
            ("a".into(), Json::int_array(&[1, -2])),
            ("b".into(), Json::Null),
            ("c".into(), Json::Obj(vec![])),
        ]);
        assert_eq!(j.to_bytes(), br#"{"a":[1,-2],"b":null,"c":{}}"#);
    }

    /// `DecodeJson.DecodeInt` rejects strings and out-of-range numbers.
    #[test]
    fn typed_reads_reject_wrong_types() {
        let map = parse_object("/x", br#"{"a":"1","b":4294967296,"c":1}"#).unwrap();
        let f = Fields::new("/x", &map);
        assert!(matches!(f.req_i32("a"), Err(ZNodeError::WrongType { .. })));
        assert!(matches!(f.req_i32("b"), Err(ZNodeError::WrongType { .. })));
        assert_eq!(f.req_i32("c").unwrap(), 1);
        let e = f.req_i32("d").unwrap_err();
        assert_eq!(e.to_string(), "znode /x: required field 'd' is missing");
    }
}
