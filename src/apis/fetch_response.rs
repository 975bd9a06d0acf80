//! Frames a Fetch response without copying record bytes: the frame is a list of chunks —
//! encoded headers and partition fields, then each partition's records `Bytes` exactly as
//! `Log::read` returned them — which the connection writes back to back.
//!
//! Only the levels above `PartitionData` are written by hand (throttle time, error code,
//! session id, the topic array); each `PartitionData` is encoded by `kafka-protocol` with
//! empty records, and its trailing empty-records field is replaced by the real length prefix
//! followed by the records chunk. A test compares the result byte for byte with the crate's
//! own encoding for every version served. Kafka does the same with `FileRecords` sends
//! (`FetchResponse` → `MultiRecordsSend`).

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, FetchResponse, ResponseHeader};
use kafka_protocol::protocol::Encodable;

use crate::protocol::frame::response_header_version;

/// First flexible Fetch version (compact arrays/strings, tagged fields).
const FLEXIBLE_FROM: i16 = 12;

fn put_uvarint(buf: &mut BytesMut, mut v: u32) {
    while v >= 0x80 {
        buf.put_u8((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

fn put_array_len(buf: &mut BytesMut, flexible: bool, n: usize) {
    if flexible {
        put_uvarint(buf, n as u32 + 1);
    } else {
        buf.put_i32(n as i32);
    }
}

/// Why the response could not be framed.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode Fetch v{version} response: {reason}")]
pub struct FetchEncodeError {
    version: i16,
    reason: String,
}

/// Frames `response` (size prefix, header, body) as chunks. Record bytes are not copied.
/// Partitions with non-default tagged fields (divergingEpoch, currentLeader, snapshotId) carry
/// no records and are encoded whole by the crate.
pub fn encode_fetch_response_chunks(
    version: i16,
    correlation_id: i32,
    response: &FetchResponse,
) -> Result<Vec<Bytes>, FetchEncodeError> {
    let err = |reason: String| FetchEncodeError { version, reason };
    if !response.node_endpoints.is_empty() || !response.unknown_tagged_fields.is_empty() {
        return Err(err(
            "top-level tagged fields are not supported by the chunked encoder".into(),
        ));
    }
    let flexible = version >= FLEXIBLE_FROM;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0); // size, patched at the end
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, response_header_version(ApiKey::Fetch, version))
        .map_err(|e| err(e.to_string()))?;
    if version >= 1 {
        buf.put_i32(response.throttle_time_ms);
    }
    if version >= 7 {
        buf.put_i16(response.error_code);
        buf.put_i32(response.session_id);
    }
    put_array_len(&mut buf, flexible, response.responses.len());
    for topic in &response.responses {
        if version >= 13 {
            buf.put_slice(topic.topic_id.as_bytes());
        } else {
            let name = topic.topic.0.as_bytes();
            if flexible {
                put_uvarint(&mut buf, name.len() as u32 + 1);
            } else {
                buf.put_i16(name.len() as i16);
            }
            buf.put_slice(name);
        }
        put_array_len(&mut buf, flexible, topic.partitions.len());
        for p in &topic.partitions {
            let records = p.records.clone().unwrap_or_default();
            if records.is_empty() {
                p.encode(&mut buf, version)
                    .map_err(|e| err(e.to_string()))?;
                continue;
            }
            let shell = p.clone().with_records(Some(Bytes::new()));
            let mut tmp = BytesMut::new();
            shell
                .encode(&mut tmp, version)
                .map_err(|e| err(e.to_string()))?;
            // Empty records are the last field: `int32 0`, or `uvarint 1` then the tagged
            // field section (one 0 byte when there are none).
            let tail = if flexible { 2 } else { 4 };
            let ok = if flexible {
                tmp.ends_with(&[1, 0])
            } else {
                tmp.ends_with(&[0, 0, 0, 0])
            };
            if !ok || !p.unknown_tagged_fields.is_empty() {
                return Err(err("partition with records has tagged fields".into()));
            }
            buf.put_slice(&tmp[..tmp.len() - tail]);
            if flexible {
                put_uvarint(&mut buf, records.len() as u32 + 1);
            } else {
                buf.put_i32(records.len() as i32);
            }
            chunks.push(buf.split().freeze());
            chunks.push(records);
            if flexible {
                buf.put_u8(0); // the partition's (empty) tagged fields
            }
        }
        if flexible {
            buf.put_u8(0); // topic tagged fields
        }
    }
    if flexible {
        buf.put_u8(0); // top-level tagged fields (no node endpoints)
    }
    chunks.push(buf.freeze());
    let total: usize = chunks.iter().map(Bytes::len).sum::<usize>() - 4;
    let size =
        i32::try_from(total).map_err(|_| err(format!("{total} bytes exceed an int32 size")))?;
    // The first chunk starts with the size prefix.
    let mut first = BytesMut::from(&chunks[0][..]);
    first[..4].copy_from_slice(&size.to_be_bytes());
    chunks[0] = first.freeze();
    Ok(chunks.into_iter().filter(|c| !c.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_response;
    use kafka_protocol::messages::fetch_response::{
        AbortedTransaction, EpochEndOffset, FetchableTopicResponse, PartitionData,
    };
    use kafka_protocol::messages::{BrokerId, ProducerId, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use uuid::Uuid;

    fn sample(version: i16) -> FetchResponse {
        let part = |i: i32, records: &'static [u8]| {
            let mut p = PartitionData::default()
                .with_partition_index(i)
                .with_high_watermark(100 + i64::from(i))
                .with_last_stable_offset(90)
                .with_records(Some(Bytes::from_static(records)));
            if version >= 5 {
                p.log_start_offset = 3;
            }
            if version >= 11 {
                p.preferred_read_replica = BrokerId(-1);
            }
            p.aborted_transactions = Some(vec![AbortedTransaction::default()
                .with_producer_id(ProducerId(5))
                .with_first_offset(6)]);
            p
        };
        let mut diverged = PartitionData::default()
            .with_partition_index(9)
            .with_records(Some(Bytes::new()));
        if version >= 12 {
            diverged.diverging_epoch = EpochEndOffset::default().with_epoch(2).with_end_offset(40);
        }
        let mut t1 = FetchableTopicResponse::default().with_partitions(vec![
            part(0, b"0123456789abcdef"),
            part(1, b""),
            diverged,
            part(2, &[7u8; 300]),
        ]);
        let mut t2 = FetchableTopicResponse::default().with_partitions(vec![part(0, b"xyz")]);
        if version >= 13 {
            t1.topic_id = Uuid::from_u128(1);
            t2.topic_id = Uuid::from_u128(2);
        } else {
            t1.topic = TopicName(StrBytes::from_static_str("orders"));
            t2.topic = TopicName(StrBytes::from_static_str("e"));
        }
        FetchResponse::default()
            .with_throttle_time_ms(0)
            .with_responses(vec![t1, t2])
    }

    /// The chunked frame equals `kafka-protocol`'s own encoding, byte for byte, for every
    /// Fetch version served (4-17), with records, empty records and a divergingEpoch.
    #[test]
    fn chunks_equal_the_crate_encoding() {
        for v in 4..=17 {
            let r = sample(v);
            let whole = encode_response(ApiKey::Fetch, v, 42, &r).unwrap();
            let chunks = encode_fetch_response_chunks(v, 42, &r).unwrap();
            let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(joined, whole.to_vec(), "Fetch v{v}");
            // The record bytes travel as their own chunks (no copy).
            assert!(chunks.iter().any(|c| c.as_ref() == [7u8; 300]), "v{v}");
        }
    }
}
