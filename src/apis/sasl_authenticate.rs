//! SaslAuthenticate after authentication or on a non-SASL listener.
//!
//! Kafka: `KafkaApis.handleSaslAuthenticateRequest` — ILLEGAL_SASL_STATE, "SaslAuthenticate
//! request received after successful authentication".

use kafka_protocol::messages::{SaslAuthenticateRequest, SaslAuthenticateResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};

pub(super) async fn handle(_apis: &KafkaApis, request: &Request) -> Response {
    if let Err(r) = decode_body::<SaslAuthenticateRequest>(request) {
        return r;
    }
    let response = SaslAuthenticateResponse::default()
        .with_error_code(ResponseError::IllegalSaslState.code())
        .with_error_message(Some(StrBytes::from_static_str(
            "SaslAuthenticate request received after successful authentication",
        )));
    respond(request, &response)
}
