//! The primitive encodings of Kafka's generated message classes, for the `__consumer_offsets`
//! record schemas: big-endian integers, strings and bytes with int16/int32 lengths
//! (non-flexible versions), or compact lengths and tagged fields (flexible versions).
//! Kafka: `org.apache.kafka.common.protocol.{ByteBufferAccessor, MessageUtil}`.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A record key or value that does not parse. The message names the schema and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{schema}: the record ends inside field {field}")]
    Truncated {
        schema: &'static str,
        field: &'static str,
    },
    #[error("{schema}: field {field} has an invalid length {length}")]
    BadLength {
        schema: &'static str,
        field: &'static str,
        length: i64,
    },
    #[error("{schema}: field {field} is not valid UTF-8")]
    BadUtf8 {
        schema: &'static str,
        field: &'static str,
    },
    #[error("{schema}: unknown version {version}")]
    UnknownVersion { schema: &'static str, version: i16 },
    #[error("{schema}: field {field} is null but not nullable")]
    UnexpectedNull {
        schema: &'static str,
        field: &'static str,
    },
}

/// Writes one message version: non-flexible (int16 string lengths, int32 byte/array lengths)
/// or flexible (unsigned-varint lengths + 1, tagged fields after each struct).
pub struct Writer {
    pub buf: BytesMut,
    flexible: bool,
}

impl Writer {
    /// Starts a record with its int16 version prefix (Kafka `MessageUtil.toVersionPrefixedBytes`).
    pub fn with_version(version: i16, flexible: bool) -> Writer {
        let mut buf = BytesMut::with_capacity(64);
        buf.put_i16(version);
        Writer { buf, flexible }
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.put_i32(v);
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.put_i64(v);
    }
    fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.buf.put_u8((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.put_u8(v as u8);
    }
    pub fn string(&mut self, s: &str) {
        self.nullable_string(Some(s));
    }
    pub fn nullable_string(&mut self, s: Option<&str>) {
        match (s, self.flexible) {
            (None, true) => self.uvarint(0),
            (None, false) => self.buf.put_i16(-1),
            (Some(s), true) => {
                self.uvarint(s.len() as u32 + 1);
                self.buf.put_slice(s.as_bytes());
            }
            (Some(s), false) => {
                self.buf.put_i16(s.len() as i16);
                self.buf.put_slice(s.as_bytes());
            }
        }
    }
    pub fn bytes(&mut self, b: &[u8]) {
        if self.flexible {
            self.uvarint(b.len() as u32 + 1);
        } else {
            self.buf.put_i32(b.len() as i32);
        }
        self.buf.put_slice(b);
    }
    pub fn array_len(&mut self, n: usize) {
        if self.flexible {
            self.uvarint(n as u32 + 1);
        } else {
            self.buf.put_i32(n as i32);
        }
    }
    /// Ends a struct: flexible versions write an empty tagged-field section.
    pub fn end_struct(&mut self) {
        if self.flexible {
            self.uvarint(0);
        }
    }
    pub fn finish(self) -> Bytes {
        self.buf.freeze()
    }
}

/// Reads one message version; the counterpart of [`Writer`].
pub struct Reader {
    buf: Bytes,
    flexible: bool,
    schema: &'static str,
}

impl Reader {
    pub fn new(buf: Bytes, flexible: bool, schema: &'static str) -> Reader {
        Reader {
            buf,
            flexible,
            schema,
        }
    }
    fn need(&self, n: usize, field: &'static str) -> Result<(), RecordError> {
        if self.buf.remaining() < n {
            return Err(RecordError::Truncated {
                schema: self.schema,
                field,
            });
        }
        Ok(())
    }
    pub fn i16(&mut self, field: &'static str) -> Result<i16, RecordError> {
        self.need(2, field)?;
        Ok(self.buf.get_i16())
    }
    pub fn i32(&mut self, field: &'static str) -> Result<i32, RecordError> {
        self.need(4, field)?;
        Ok(self.buf.get_i32())
    }
    pub fn i64(&mut self, field: &'static str) -> Result<i64, RecordError> {
        self.need(8, field)?;
        Ok(self.buf.get_i64())
    }
    fn uvarint(&mut self, field: &'static str) -> Result<u32, RecordError> {
        let mut v: u32 = 0;
        for i in 0..5 {
            self.need(1, field)?;
            let b = self.buf.get_u8();
            v |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(RecordError::BadLength {
            schema: self.schema,
            field,
            length: -1,
        })
    }
    /// A length: `None` for null.
    fn length(&mut self, int16: bool, field: &'static str) -> Result<Option<usize>, RecordError> {
        let n: i64 = if self.flexible {
            i64::from(self.uvarint(field)?) - 1
        } else if int16 {
            i64::from(self.i16(field)?)
        } else {
            i64::from(self.i32(field)?)
        };
        match n {
            -1 => Ok(None),
            n if n >= 0 && (n as usize) <= self.buf.remaining() => Ok(Some(n as usize)),
            n if n >= 0 => Err(RecordError::Truncated {
                schema: self.schema,
                field,
            }),
            n => Err(RecordError::BadLength {
                schema: self.schema,
                field,
                length: n,
            }),
        }
    }
    pub fn nullable_string(&mut self, field: &'static str) -> Result<Option<String>, RecordError> {
        let Some(n) = self.length(true, field)? else {
            return Ok(None);
        };
        let raw = self.buf.split_to(n);
        String::from_utf8(raw.to_vec())
            .map(Some)
            .map_err(|_| RecordError::BadUtf8 {
                schema: self.schema,
                field,
            })
    }
    pub fn string(&mut self, field: &'static str) -> Result<String, RecordError> {
        self.nullable_string(field)?
            .ok_or(RecordError::UnexpectedNull {
                schema: self.schema,
                field,
            })
    }
    pub fn bytes(&mut self, field: &'static str) -> Result<Bytes, RecordError> {
        let n = self
            .length(false, field)?
            .ok_or(RecordError::UnexpectedNull {
                schema: self.schema,
                field,
            })?;
        Ok(self.buf.split_to(n))
    }
    pub fn array_len(&mut self, field: &'static str) -> Result<usize, RecordError> {
        self.length(false, field)?
            .ok_or(RecordError::UnexpectedNull {
                schema: self.schema,
                field,
            })
    }
    /// Skips a struct's tagged fields (flexible versions); none of these schemas has any we use.
    pub fn end_struct(&mut self) -> Result<(), RecordError> {
        if self.flexible {
            let count = self.uvarint("_tagged_fields")?;
            for _ in 0..count {
                let _tag = self.uvarint("_tagged_fields")?;
                let size = self.uvarint("_tagged_fields")? as usize;
                self.need(size, "_tagged_fields")?;
                self.buf.advance(size);
            }
        }
        Ok(())
    }
}

/// Splits a record key/value into its int16 version prefix and the rest.
pub fn split_version(mut buf: Bytes, schema: &'static str) -> Result<(i16, Bytes), RecordError> {
    if buf.remaining() < 2 {
        return Err(RecordError::Truncated {
            schema,
            field: "version",
        });
    }
    let v = buf.get_i16();
    Ok((v, buf))
}

/// Splits the version prefix of a value whose schema has versions 0..=`max_version` and
/// starts a reader at it (flexible from `flexible_from`).
pub fn versioned_reader(
    value: Bytes,
    schema: &'static str,
    max_version: i16,
    flexible_from: i16,
) -> Result<(i16, Reader), RecordError> {
    let (version, body) = split_version(value, schema)?;
    if !(0..=max_version).contains(&version) {
        return Err(RecordError::UnknownVersion { schema, version });
    }
    Ok((version, Reader::new(body, version >= flexible_from, schema)))
}
