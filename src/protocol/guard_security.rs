//! Request schemas of the security APIs for [`super::guard`]: SaslHandshake, SaslAuthenticate,
//! CreateAcls, DescribeAcls, DeleteAcls, DescribeUserScramCredentials,
//! AlterUserScramCredentials. Transcribed from Kafka 3.9's
//! `clients/src/main/resources/common/message/*Request.json`.

use super::guard::{f, Field, Kind, Schema, ALL};

/// Flexible versions "none".
const NEVER: i16 = i16::MAX;

const SASL_HANDSHAKE_REQUEST: &[Field] = &[f(Kind::String, 0, ALL)]; // Mechanism
/// `SaslHandshakeRequest.json`: versions 0-1, not flexible.
pub const SASL_HANDSHAKE_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: NEVER,
    fields: SASL_HANDSHAKE_REQUEST,
};

const SASL_AUTHENTICATE_REQUEST: &[Field] = &[f(Kind::Bytes, 0, ALL)]; // AuthBytes
/// `SaslAuthenticateRequest.json`: versions 0-2, flexible 2+.
pub const SASL_AUTHENTICATE_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: SASL_AUTHENTICATE_REQUEST,
};

const ACL_CREATION: &[Field] = &[
    f(Kind::Int8, 0, ALL),   // ResourceType
    f(Kind::String, 0, ALL), // ResourceName
    f(Kind::Int8, 1, ALL),   // ResourcePatternType
    f(Kind::String, 0, ALL), // Principal
    f(Kind::String, 0, ALL), // Host
    f(Kind::Int8, 0, ALL),   // Operation
    f(Kind::Int8, 0, ALL),   // PermissionType
];
const CREATE_ACLS_REQUEST: &[Field] = &[f(Kind::Array(&Kind::Struct(ACL_CREATION)), 0, ALL)];
/// `CreateAclsRequest.json`: versions 0-3, flexible 2+.
pub const CREATE_ACLS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: CREATE_ACLS_REQUEST,
};

/// The filter fields shared by DescribeAcls (top level) and DeleteAcls (per filter).
const ACL_FILTER: &[Field] = &[
    f(Kind::Int8, 0, ALL),   // ResourceTypeFilter
    f(Kind::String, 0, ALL), // ResourceNameFilter (nullable)
    f(Kind::Int8, 1, ALL),   // PatternTypeFilter
    f(Kind::String, 0, ALL), // PrincipalFilter (nullable)
    f(Kind::String, 0, ALL), // HostFilter (nullable)
    f(Kind::Int8, 0, ALL),   // Operation
    f(Kind::Int8, 0, ALL),   // PermissionType
];
/// `DescribeAclsRequest.json`: versions 0-3, flexible 2+.
pub const DESCRIBE_ACLS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: ACL_FILTER,
};
const DELETE_ACLS_REQUEST: &[Field] = &[f(Kind::Array(&Kind::Struct(ACL_FILTER)), 0, ALL)];
/// `DeleteAclsRequest.json`: versions 0-3, flexible 2+.
pub const DELETE_ACLS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: DELETE_ACLS_REQUEST,
};

const USER_NAME: &[Field] = &[f(Kind::String, 0, ALL)];
const DESCRIBE_USER_SCRAM_CREDENTIALS_REQUEST: &[Field] =
    &[f(Kind::Array(&Kind::Struct(USER_NAME)), 0, ALL)]; // Users (nullable)
/// `DescribeUserScramCredentialsRequest.json`: version 0, flexible 0+.
pub const DESCRIBE_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 0,
    fields: DESCRIBE_USER_SCRAM_CREDENTIALS_REQUEST,
};

const SCRAM_DELETION: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Int8, 0, ALL),   // Mechanism
];
const SCRAM_UPSERTION: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Int8, 0, ALL),   // Mechanism
    f(Kind::Int32, 0, ALL),  // Iterations
    f(Kind::Bytes, 0, ALL),  // Salt
    f(Kind::Bytes, 0, ALL),  // SaltedPassword
];
const ALTER_USER_SCRAM_CREDENTIALS_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(SCRAM_DELETION)), 0, ALL), // Deletions
    f(Kind::Array(&Kind::Struct(SCRAM_UPSERTION)), 0, ALL), // Upsertions
];
/// `AlterUserScramCredentialsRequest.json`: version 0, flexible 0+.
pub const ALTER_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 0,
    fields: ALTER_USER_SCRAM_CREDENTIALS_REQUEST,
};

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    use super::super::guard::{check_body, consumed};

    fn check<T: Encodable>(
        key: ApiKey,
        versions: std::ops::RangeInclusive<i16>,
        build: impl Fn(i16) -> T,
    ) {
        for v in versions {
            let mut b = BytesMut::new();
            build(v).encode(&mut b, v).unwrap();
            assert_eq!(consumed(key, v, &b).unwrap(), b.len(), "{key:?} v{v}");
            if b.len() > 1 {
                assert!(
                    check_body(key, v, &b[..b.len() - 1]).is_err(),
                    "{key:?} v{v} truncated"
                );
            }
        }
    }

    fn s(x: &'static str) -> StrBytes {
        StrBytes::from_static_str(x)
    }

    /// Kafka's generated readers consume exactly the fields of each version; the schemas must
    /// walk the crate's encoding byte for byte.
    #[test]
    fn schemas_walk_every_version_exactly() {
        check(ApiKey::SaslHandshake, 0..=1, |_| {
            SaslHandshakeRequest::default().with_mechanism(s("PLAIN"))
        });
        check(ApiKey::SaslAuthenticate, 0..=2, |_| {
            SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"\0a\0b"))
        });
        check(ApiKey::CreateAcls, 0..=3, |_| {
            CreateAclsRequest::default().with_creations(vec![
                create_acls_request::AclCreation::default()
                    .with_resource_type(2)
                    .with_resource_name(s("t"))
                    .with_resource_pattern_type(3)
                    .with_principal(s("User:a"))
                    .with_host(s("*"))
                    .with_operation(3)
                    .with_permission_type(3),
            ])
        });
        check(ApiKey::DescribeAcls, 0..=3, |v| {
            DescribeAclsRequest::default()
                .with_resource_type_filter(1)
                .with_resource_name_filter(Some(s("t")))
                .with_pattern_type_filter(if v == 0 { 3 } else { 1 })
                .with_principal_filter(None)
                .with_host_filter(Some(s("*")))
                .with_operation(1)
                .with_permission_type(1)
        });
        check(ApiKey::DeleteAcls, 0..=3, |_| {
            DeleteAclsRequest::default().with_filters(vec![
                delete_acls_request::DeleteAclsFilter::default()
                    .with_resource_type_filter(2)
                    .with_resource_name_filter(Some(s("t")))
                    .with_pattern_type_filter(3)
                    .with_operation(1)
                    .with_permission_type(1),
            ])
        });
        check(ApiKey::DescribeUserScramCredentials, 0..=0, |_| {
            DescribeUserScramCredentialsRequest::default().with_users(Some(vec![
                describe_user_scram_credentials_request::UserName::default().with_name(s("alice")),
            ]))
        });
        check(ApiKey::AlterUserScramCredentials, 0..=0, |_| {
            AlterUserScramCredentialsRequest::default()
                .with_deletions(vec![
                    alter_user_scram_credentials_request::ScramCredentialDeletion::default()
                        .with_name(s("bob"))
                        .with_mechanism(1),
                ])
                .with_upsertions(vec![
                    alter_user_scram_credentials_request::ScramCredentialUpsertion::default()
                        .with_name(s("alice"))
                        .with_mechanism(2)
                        .with_iterations(4096)
                        .with_salt(Bytes::from_static(b"salt"))
                        .with_salted_password(Bytes::from_static(b"pw")),
                ])
        });
    }
}
