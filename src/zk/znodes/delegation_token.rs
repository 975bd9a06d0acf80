//! `/delegation_token`, `/delegation_token/tokens/<tokenId>` and
//! `/delegation_token/token_changes/token_change_<seq>`.
//!
//! Kafka: `ZkData.DelegationTokenAuthZNode`, `DelegationTokensZNode`, `DelegationTokenInfoZNode`,
//! `DelegationTokenChangeNotificationZNode`, `DelegationTokenChangeNotificationSequenceZNode`;
//! `kafka.server.DelegationTokenManagerZk.toJsonCompatibleMap` / `fromBytes`.

use super::config::{desanitize, sanitize};
use super::json::{parse_object, parse_text, Fields, Json};
use super::ZNodeError;
use crate::zk::json_order::scala213_immutable_hash_map_order;

/// `/delegation_token` — persistent, null data.
pub struct DelegationTokenAuthZNode;

impl DelegationTokenAuthZNode {
    pub const PATH: &'static str = "/delegation_token";
}

/// `/delegation_token/tokens` — persistent, null data (a sensitive path for ZooKeeper ACLs).
pub struct DelegationTokensZNode;

impl DelegationTokensZNode {
    pub const PATH: &'static str = "/delegation_token/tokens";
}

/// `/delegation_token/token_changes` — persistent, null data; brokers child-watch it.
pub struct DelegationTokenChangeNotificationZNode;

impl DelegationTokenChangeNotificationZNode {
    pub const PATH: &'static str = "/delegation_token/token_changes";
}

/// `/delegation_token/token_changes/token_change_<seq>` — persistent-sequential; data is the
/// token id as UTF-8 text.
pub struct DelegationTokenChangeNotificationSequenceZNode;

impl DelegationTokenChangeNotificationSequenceZNode {
    pub const SEQUENCE_NUMBER_PREFIX: &'static str = "token_change_";

    pub fn create_path() -> String {
        format!(
            "{}/{}",
            DelegationTokenChangeNotificationZNode::PATH,
            Self::SEQUENCE_NUMBER_PREFIX
        )
    }

    pub fn encode(token_id: &str) -> Vec<u8> {
        token_id.as_bytes().to_vec()
    }

    pub fn decode(path: &str, bytes: &[u8]) -> Result<String, ZNodeError> {
        parse_text(path, bytes).map(str::to_string)
    }
}

/// A delegation token's metadata (the HMAC is never stored; brokers recompute it from
/// `delegation.token.secret.key`). Kafka: `TokenInformation`. Principals are `Type:name`
/// strings, unsanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInformation {
    pub token_id: String,
    pub owner: String,
    pub token_requester: String,
    pub renewers: Vec<String>,
    pub issue_timestamp_ms: i64,
    pub max_timestamp_ms: i64,
    pub expiry_timestamp_ms: i64,
}

/// `/delegation_token/tokens/<tokenId>` — persistent, version 3 JSON. An immutable Scala `Map`
/// of 8 (CHAMP order in 2.13); principals sanitised; timestamps are JSON numbers:
/// `{"issueTimestamp":1700000000000,"renewers":["User%3Abob"],"tokenRequester":"User%3Aalice","tokenId":"TOKEN_ID","owner":"User%3Aalice","expiryTimestamp":1700086400000,"maxTimestamp":1700604800000,"version":3}`.
pub struct DelegationTokenInfoZNode;

impl DelegationTokenInfoZNode {
    pub const CURRENT_VERSION: i32 = 3;

    pub fn path(token_id: &str) -> String {
        format!("{}/{}", DelegationTokensZNode::PATH, token_id)
    }

    /// Kafka: `DelegationTokenInfoZNode.encode` / `DelegationTokenManagerZk.toJsonCompatibleMap`.
    pub fn encode(info: &TokenInformation) -> Vec<u8> {
        let fields = vec![
            (
                "version".to_string(),
                Json::Int(i64::from(Self::CURRENT_VERSION)),
            ),
            ("owner".to_string(), Json::str(sanitize(&info.owner))),
            (
                "tokenRequester".to_string(),
                Json::str(sanitize(&info.token_requester)),
            ),
            (
                "renewers".to_string(),
                Json::Arr(
                    info.renewers
                        .iter()
                        .map(|r| Json::str(sanitize(r)))
                        .collect(),
                ),
            ),
            (
                "issueTimestamp".to_string(),
                Json::Int(info.issue_timestamp_ms),
            ),
            ("maxTimestamp".to_string(), Json::Int(info.max_timestamp_ms)),
            (
                "expiryTimestamp".to_string(),
                Json::Int(info.expiry_timestamp_ms),
            ),
            ("tokenId".to_string(), Json::str(info.token_id.clone())),
        ];
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let order = scala213_immutable_hash_map_order(&keys);
        Json::obj_in_order(fields, &order).to_bytes()
    }

    /// Kafka: `DelegationTokenManagerZk.fromBytes` — version 1–3; `tokenRequester` required from
    /// version 3 (else it is the owner); principals desanitised and parsed as `Type:name`.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<TokenInformation, ZNodeError> {
        let map = parse_object(path, bytes)?;
        let f = Fields::new(path, &map);
        let version = f.req_i32("version")?;
        if !(1..=Self::CURRENT_VERSION).contains(&version) {
            return Err(ZNodeError::UnsupportedVersion {
                znode: path.to_string(),
                version: i64::from(version),
                supported: "1 to 3",
            });
        }
        let principal = |field: &str, raw: &str| -> Result<String, ZNodeError> {
            let p = desanitize(raw)
                .ok_or_else(|| f.invalid(field, format!("\"{raw}\""), "malformed %-escape"))?;
            match p.split_once(':') {
                Some((t, _)) if !t.is_empty() => Ok(p),
                _ => Err(f.invalid(
                    field,
                    format!("\"{raw}\""),
                    "expected a sanitised <PrincipalType>:<name>",
                )),
            }
        };
        let owner = principal("owner", f.req_str("owner")?)?;
        let token_requester = if version >= 3 {
            principal("tokenRequester", f.req_str("tokenRequester")?)?
        } else {
            owner.clone()
        };
        let renewers = f
            .req_str_array("renewers")?
            .into_iter()
            .map(|r| principal("renewers", r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TokenInformation {
            token_id: f.req_str("tokenId")?.to_string(),
            owner,
            token_requester,
            renewers,
            issue_timestamp_ms: f.req_i64("issueTimestamp")?,
            max_timestamp_ms: f.req_i64("maxTimestamp")?,
            expiry_timestamp_ms: f.req_i64("expiryTimestamp")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.18: exact token bytes (CHAMP order, sanitised principals, numeric timestamps).
    #[test]
    fn golden_token() {
        let golden = br#"{"issueTimestamp":1700000000000,"renewers":["User%3Abob"],"tokenRequester":"User%3Aalice","tokenId":"TOKEN_ID","owner":"User%3Aalice","expiryTimestamp":1700086400000,"maxTimestamp":1700604800000,"version":3}"#;
        let info = TokenInformation {
            token_id: "TOKEN_ID".into(),
            owner: "User:alice".into(),
            token_requester: "User:alice".into(),
            renewers: vec!["User:bob".into()],
            issue_timestamp_ms: 1_700_000_000_000,
            max_timestamp_ms: 1_700_604_800_000,
            expiry_timestamp_ms: 1_700_086_400_000,
        };
        assert_eq!(DelegationTokenInfoZNode::encode(&info), golden.to_vec());
        let p = DelegationTokenInfoZNode::path("TOKEN_ID");
        assert_eq!(DelegationTokenInfoZNode::decode(&p, golden).unwrap(), info);
        // Scala 2.12 order decodes to the same token.
        let b212 = br#"{"issueTimestamp":1700000000000,"renewers":["User%3Abob"],"tokenRequester":"User%3Aalice","maxTimestamp":1700604800000,"version":3,"tokenId":"TOKEN_ID","owner":"User%3Aalice","expiryTimestamp":1700086400000}"#;
        assert_eq!(DelegationTokenInfoZNode::decode(&p, b212).unwrap(), info);
        assert_eq!(
            DelegationTokenChangeNotificationSequenceZNode::encode("TOKEN_ID"),
            b"TOKEN_ID"
        );
    }
}
