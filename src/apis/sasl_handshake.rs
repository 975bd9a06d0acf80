//! SaslHandshake after authentication or on a non-SASL listener.
//!
//! Kafka: `KafkaApis.handleSaslHandshakeRequest` — the network layer handles the handshake of
//! a SASL connection (`security::authenticator`); one that reaches `KafkaApis` is out of place
//! and answered ILLEGAL_SASL_STATE.

use kafka_protocol::messages::{SaslHandshakeRequest, SaslHandshakeResponse};
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};

pub(super) async fn handle(_apis: &KafkaApis, request: &Request) -> Response {
    if let Err(r) = decode_body::<SaslHandshakeRequest>(request) {
        return r;
    }
    let response =
        SaslHandshakeResponse::default().with_error_code(ResponseError::IllegalSaslState.code());
    respond(request, &response)
}
