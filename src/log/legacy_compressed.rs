//! Reading a compressed message-format v0/v1 "wrapper" message: its value is a compressed
//! message set of uncompressed inner messages. Kafka: `AbstractLegacyRecordBatch` /
//! `DeepRecordsIterator`, `CompressionType.wrapForInput` (KafkaLZ4BlockInputStream,
//! SnappyInputStream). `kafka-protocol` 0.15.1 cannot read these, so the wrapper is parsed here
//! and its inner set handed back for the ordinary legacy decoder.
//!
//! Legacy message layout: offset int64, size int32, crc int32 (CRC-32 of magic..end), magic
//! int8, attributes int8 (bits 0-2 codec), timestamp int64 (v1 only), key bytes, value bytes.

use std::io::Read;

/// Snappy with xerial framing, as the Java client (`SnappyOutputStream`) and kafka-python write
/// it for message formats v0/v1: an 8-byte magic, two int32 versions, then blocks of
/// (int32 length, raw snappy block).
const XERIAL_MAGIC: &[u8] = b"\x82SNAPPY\x00";

/// A wrapper message's codec and inner message set (decompressed).
#[derive(Debug)]
pub struct Unwrapped {
    pub codec: i16,
    pub inner: Vec<u8>,
}

/// Why a wrapper cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum UnwrapError {
    /// Kafka: `LegacyRecord.ensureValid` → `CorruptRecordException` (CORRUPT_MESSAGE).
    Crc { stored: u32, computed: u32 },
    /// Truncated fields or a value that does not decompress.
    Invalid(String),
}

impl From<&str> for UnwrapError {
    fn from(s: &str) -> Self {
        UnwrapError::Invalid(s.to_string())
    }
}

impl From<String> for UnwrapError {
    fn from(s: String) -> Self {
        UnwrapError::Invalid(s)
    }
}

/// Checks the wrapper's CRC-32 and decompresses its value; `Ok(None)` for a codec this
/// format cannot carry here (zstd needs v2; lz4 on magic 0).
pub fn unwrap(message: &[u8]) -> Result<Option<Unwrapped>, UnwrapError> {
    let magic = *message
        .get(16)
        .ok_or("legacy message shorter than its header")? as i8;
    let attributes = *message
        .get(17)
        .ok_or("legacy message shorter than its header")? as i16;
    let stored_crc = u32::from_be_bytes(message[12..16].try_into().expect("4 bytes"));
    let mut crc = flate2::Crc::new();
    crc.update(&message[16..]);
    if crc.sum() != stored_crc {
        return Err(UnwrapError::Crc {
            stored: stored_crc,
            computed: crc.sum(),
        });
    }
    let mut pos = if magic == 0 { 18 } else { 26 };
    let _key = read_bytes(message, &mut pos)?;
    let value =
        read_bytes(message, &mut pos)?.ok_or("compressed wrapper message without a value")?;
    let codec = attributes & 0x07;
    let inner = match codec {
        1 => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(value)
                .read_to_end(&mut out)
                .map_err(|e| format!("gzip wrapper does not decompress: {e}"))?;
            out
        }
        2 => snappy(value)?,
        // Magic 0 lz4 used a wrong frame-descriptor checksum (KAFKA-3160), which Kafka tolerates
        // and a standard frame decoder rejects; only magic 1 lz4 is read.
        3 if magic == 1 => {
            let mut out = Vec::new();
            lz4_flex::frame::FrameDecoder::new(value)
                .read_to_end(&mut out)
                .map_err(|e| format!("lz4 wrapper does not decompress: {e}"))?;
            out
        }
        _ => return Ok(None),
    };
    Ok(Some(Unwrapped { codec, inner }))
}

fn snappy(value: &[u8]) -> Result<Vec<u8>, String> {
    let err = |e: snap::Error| format!("snappy wrapper does not decompress: {e}");
    if !value.starts_with(XERIAL_MAGIC) {
        return snap::raw::Decoder::new().decompress_vec(value).map_err(err);
    }
    let mut out = Vec::new();
    let mut pos = XERIAL_MAGIC.len() + 8;
    while pos < value.len() {
        let len = value
            .get(pos..pos + 4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
            .ok_or("truncated xerial snappy block length")?;
        pos += 4;
        let block = value
            .get(pos..pos + len)
            .ok_or("truncated xerial snappy block")?;
        out.extend(
            snap::raw::Decoder::new()
                .decompress_vec(block)
                .map_err(err)?,
        );
        pos += len;
    }
    Ok(out)
}

fn read_bytes<'a>(b: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, UnwrapError> {
    let len = b
        .get(*pos..*pos + 4)
        .map(|x| i32::from_be_bytes(x.try_into().expect("4 bytes")))
        .ok_or("truncated legacy message")?;
    *pos += 4;
    if len < 0 {
        return Ok(None);
    }
    let end = *pos + len as usize;
    let out = b
        .get(*pos..end)
        .ok_or(UnwrapError::from("truncated legacy message"))?;
    *pos = end;
    Ok(Some(out))
}
