//! Persistent znodes with `null` data, as Kafka creates its top-level paths.
//!
//! Kafka creates the chroot, every `ZkData.PersistentZkPaths` entry and every intermediate
//! parent (`/brokers`, `/config`, `/admin`, `/cluster`) with `null` data
//! (`KafkaZkClient.createRecursive(path, null)`); ZooKeeper keeps null distinct from an empty
//! array (the Java client and kazoo read `null`/`None`). `zookeeper-client` 0.11 can only send a
//! byte slice, so these creates go through this minimal jute client instead: one short-lived
//! session (connect, creates, closeSession), like Kafka's own throw-away chroot-creation client.
//! If it fails for any reason the caller falls back to empty data.
//!
//! With a JAAS ZooKeeper login (`zk_security`) this session authenticates first (SASL
//! DIGEST-MD5, the mechanism `zookeeper-client` registers in rsasl) so that Kafka's
//! `CREATOR_ALL_ACL` names the broker's identity; each znode gets the ACL its caller computed
//! with `ZkData.defaultAcls`.
//!
//! Wire format: ZooKeeper's jute records (`ConnectRequest`, `RequestHeader`, `CreateRequest`,
//! `ReplyHeader`), each frame prefixed by a big-endian i32 length.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zookeeper_client::Acls;

use super::zk_acls::permission_bits;
use super::zk_security::DigestCredentials;

/// ZooKeeper op codes and error codes used here (`ZooDefs.OpCode`, `KeeperException.Code`).
const OP_CREATE: i32 = 1;
const OP_CLOSE_SESSION: i32 = -11;
const OP_SASL: i32 = 102;
const ERR_OK: i32 = 0;
const ERR_NODE_EXISTS: i32 = -110;
/// Round trips a SASL exchange may take (DIGEST-MD5 needs two; guards a server that never ends).
const MAX_SASL_STEPS: usize = 10;
/// Largest reply we accept on this session (replies here are tiny; guards a corrupt length).
const MAX_FRAME_BYTES: i32 = 1 << 20;

fn put_string(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as i32).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

async fn send_frame(stream: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    let mut frame = Vec::with_capacity(payload.len() + 4);
    frame.extend_from_slice(&(payload.len() as i32).to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame).await
}

async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let len = stream.read_i32().await?;
    if !(0..=MAX_FRAME_BYTES).contains(&len) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("ZooKeeper frame length {len} out of range"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::other(msg)
}

/// The absolute paths to create for `path` under `chroot`, parents first
/// (`/a/b` → `/a`, `/a/b`).
pub fn prefixes(chroot: Option<&str>, path: &str) -> Vec<String> {
    let full = format!(
        "{}{}",
        chroot.unwrap_or(""),
        if path == "/" { "" } else { path }
    );
    let mut out = Vec::new();
    for (i, c) in full.char_indices() {
        if c == '/' && i > 0 {
            out.push(full[..i].to_string());
        }
    }
    if !full.is_empty() {
        out.push(full);
    }
    out
}

/// Creates every `(path, acls)` in `nodes` (absolute paths, parents listed before children) as
/// a persistent znode with null data; existing nodes are left alone. Logs in with `sasl` first.
pub async fn create_null_paths(
    hosts: &str,
    nodes: &[(String, Acls<'static>)],
    session_timeout_ms: u32,
    connection_timeout: Duration,
    sasl: Option<&DigestCredentials>,
) -> std::io::Result<()> {
    let mut last_err = io_err(format!("no ZooKeeper host in '{hosts}'"));
    for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let addr = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:2181")
        };
        let attempt = tokio::time::timeout(
            connection_timeout,
            create_on(&addr, nodes, session_timeout_ms, sasl),
        )
        .await;
        match attempt {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last_err = e,
            Err(_) => last_err = io_err(format!("timed out talking to ZooKeeper at {addr}")),
        }
    }
    Err(last_err)
}

async fn create_on(
    addr: &str,
    nodes: &[(String, Acls<'static>)],
    session_timeout_ms: u32,
    sasl: Option<&DigestCredentials>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    // ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly.
    let mut req = Vec::new();
    req.extend_from_slice(&0i32.to_be_bytes());
    req.extend_from_slice(&0i64.to_be_bytes());
    req.extend_from_slice(&(session_timeout_ms as i32).to_be_bytes());
    req.extend_from_slice(&0i64.to_be_bytes());
    req.extend_from_slice(&16i32.to_be_bytes());
    req.extend_from_slice(&[0u8; 16]);
    req.push(0);
    send_frame(&mut stream, &req).await?;
    let resp = read_frame(&mut stream).await?;
    // ConnectResponse: protocolVersion(4) timeOut(4) sessionId(8) ...
    if resp.len() < 16 || i32::from_be_bytes([resp[4], resp[5], resp[6], resp[7]]) <= 0 {
        return Err(io_err(format!("ZooKeeper at {addr} refused the session")));
    }
    let mut xid = 0i32;
    if let Some(login) = sasl {
        xid = sasl_login(&mut stream, login, xid).await?;
    }
    for (path, acls) in nodes {
        xid += 1;
        let mut body = Vec::new();
        body.extend_from_slice(&xid.to_be_bytes());
        body.extend_from_slice(&OP_CREATE.to_be_bytes());
        put_string(&mut body, path);
        body.extend_from_slice(&(-1i32).to_be_bytes()); // data = null
        body.extend_from_slice(&(acls.len() as i32).to_be_bytes());
        for acl in acls.iter() {
            body.extend_from_slice(&permission_bits(acl.permission()).to_be_bytes());
            put_string(&mut body, acl.scheme());
            put_string(&mut body, acl.id());
        }
        body.extend_from_slice(&0i32.to_be_bytes()); // flags = PERSISTENT
        send_frame(&mut stream, &body).await?;
        let err = read_reply(&mut stream, xid).await?;
        if err != ERR_OK && err != ERR_NODE_EXISTS {
            return Err(io_err(format!(
                "ZooKeeper create {path} failed with error code {err}"
            )));
        }
    }
    xid += 1;
    let mut close = Vec::new();
    close.extend_from_slice(&xid.to_be_bytes());
    close.extend_from_slice(&OP_CLOSE_SESSION.to_be_bytes());
    send_frame(&mut stream, &close).await?;
    let _ = read_reply(&mut stream, xid).await;
    Ok(())
}

/// Reads frames until the reply for `xid` (skipping notifications) and returns its error code.
async fn read_reply(stream: &mut TcpStream, xid: i32) -> std::io::Result<i32> {
    read_reply_body(stream, xid).await.map(|(err, _)| err)
}

/// Like [`read_reply`], also returning the reply body after the `ReplyHeader`.
async fn read_reply_body(stream: &mut TcpStream, xid: i32) -> std::io::Result<(i32, Vec<u8>)> {
    loop {
        let mut frame = read_frame(stream).await?;
        if frame.len() < 16 {
            return Err(io_err("short ZooKeeper reply header".to_string()));
        }
        let got = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let err = i32::from_be_bytes([frame[12], frame[13], frame[14], frame[15]]);
        if got == xid {
            return Ok((err, frame.split_off(16)));
        }
    }
}

/// SASL DIGEST-MD5 login on this session: `GetSASLRequest{token}` (op 102) until the mechanism
/// finishes. ZooKeeper: `ZooKeeperSaslClient`; the server answers `SetSASLResponse{token}`.
/// Returns the last xid used.
async fn sasl_login(
    stream: &mut TcpStream,
    login: &DigestCredentials,
    mut xid: i32,
) -> std::io::Result<i32> {
    use rsasl::prelude::{MessageSent, State};
    let mut session = super::zk_sasl_client::digest_md5_session(login).map_err(io_err)?;
    let mut token = Vec::new();
    if session.are_we_first() {
        session
            .step(None, &mut token)
            .map_err(|e| io_err(format!("SASL DIGEST-MD5: {e}")))?;
    }
    // Set when the mechanism finished with a last message: send it, read the reply, done.
    let mut last = false;
    for _ in 0..MAX_SASL_STEPS {
        xid += 1;
        let mut body = Vec::new();
        body.extend_from_slice(&xid.to_be_bytes());
        body.extend_from_slice(&OP_SASL.to_be_bytes());
        body.extend_from_slice(&(token.len() as i32).to_be_bytes());
        body.extend_from_slice(&token);
        send_frame(stream, &body).await?;
        let (err, reply) = read_reply_body(stream, xid).await?;
        if err != ERR_OK {
            return Err(io_err(format!(
                "ZooKeeper SASL login as {} failed with error code {err}",
                login.username
            )));
        }
        if last {
            return Ok(xid);
        }
        // SetSASLResponse: a jute buffer (-1 = null).
        let challenge: &[u8] = match reply.get(..4) {
            Some(len) => {
                let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
                if len < 0 {
                    &[]
                } else {
                    reply
                        .get(4..4 + len as usize)
                        .ok_or_else(|| io_err("short SASL response".to_string()))?
                }
            }
            None => &[],
        };
        token.clear();
        match session
            .step(Some(challenge), &mut token)
            .map_err(|e| io_err(format!("SASL DIGEST-MD5: {e}")))?
        {
            State::Running => {}
            State::Finished(MessageSent::Yes) => last = true,
            State::Finished(MessageSent::No) => return Ok(xid),
        }
    }
    Err(io_err(format!(
        "ZooKeeper SASL login did not finish within {MAX_SASL_STEPS} round trips"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parents come before children, and the chroot prefixes every path
    /// (Kafka's `createRecursive` creates parents first).
    #[test]
    fn prefixes_parents_first() {
        assert_eq!(
            prefixes(None, "/brokers/ids"),
            vec!["/brokers", "/brokers/ids"]
        );
        assert_eq!(
            prefixes(Some("/k/a"), "/config/changes"),
            vec!["/k", "/k/a", "/k/a/config", "/k/a/config/changes"]
        );
        assert_eq!(prefixes(Some("/k"), "/"), vec!["/k"]);
    }
}
