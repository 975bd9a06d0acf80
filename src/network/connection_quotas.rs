//! Connection limits: `max.connections` (broker-wide) and `max.connections.per.ip`.
//!
//! Kafka: `kafka.network.ConnectionQuotas`. The broker-wide limit makes acceptors wait for a
//! free slot (`waitForConnectionSlot`); the per-IP limit closes the new connection at once
//! (`TooManyConnectionsException`). Kafka's per-listener limits and the inter-broker
//! listener's exemption are not implemented yet.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Counts connections against the configured limits. Shared as `Arc<ConnectionQuotas>` by the
/// acceptors (which take slots) and the connection tasks (whose [`ConnectionSlot`] returns the
/// slot when dropped).
#[derive(Debug)]
pub struct ConnectionQuotas {
    total: Arc<Semaphore>,
    max_connections_per_ip: usize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    open: AtomicUsize,
}

/// A per-IP limit was hit. Kafka: `TooManyConnectionsException`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("too many connections from {ip} (max.connections.per.ip = {max})")]
pub struct TooManyConnections {
    pub ip: IpAddr,
    pub max: usize,
}

/// One open connection's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionSlot {
    /// `None` for connections on the inter-broker listener, which the broker-wide limit
    /// does not bind.
    _permit: Option<OwnedSemaphorePermit>,
    ip: IpAddr,
    quotas: Arc<ConnectionQuotas>,
}

impl ConnectionQuotas {
    /// Limits as configured; values below zero are treated as zero.
    pub fn new(max_connections: i32, max_connections_per_ip: i32) -> Arc<ConnectionQuotas> {
        let max_total = usize::try_from(max_connections.max(0))
            .unwrap_or(0)
            .min(Semaphore::MAX_PERMITS);
        Arc::new(ConnectionQuotas {
            total: Arc::new(Semaphore::new(max_total)),
            max_connections_per_ip: usize::try_from(max_connections_per_ip.max(0)).unwrap_or(0),
            per_ip: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
        })
    }

    /// Waits until the broker-wide limit allows one more connection.
    pub async fn wait_for_connection_slot(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so acquisition only fails if it were; treat that as
        // "no limit left" by waiting forever rather than panicking.
        match self.total.clone().acquire_owned().await {
            Ok(p) => p,
            Err(_) => std::future::pending().await,
        }
    }

    /// Registers an accepted connection from `ip` holding `permit` (`None` on the
    /// inter-broker listener, see `SocketServerConfig::inter_broker_listener_name`).
    pub fn register(
        self: &Arc<Self>,
        permit: Option<OwnedSemaphorePermit>,
        ip: IpAddr,
    ) -> Result<ConnectionSlot, TooManyConnections> {
        let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let count = per_ip.entry(ip).or_insert(0);
        if *count >= self.max_connections_per_ip {
            if *count == 0 {
                per_ip.remove(&ip);
            }
            return Err(TooManyConnections {
                ip,
                max: self.max_connections_per_ip,
            });
        }
        *count += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(ConnectionSlot {
            _permit: permit,
            ip,
            quotas: self.clone(),
        })
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut per_ip = self.quotas.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = per_ip.get_mut(&self.ip) {
            *c -= 1;
            if *c == 0 {
                per_ip.remove(&self.ip);
            }
        }
        self.quotas.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Kafka: `ConnectionQuotas` — the per-IP limit refuses, the total limit makes the acceptor
    /// wait until a connection closes.
    #[tokio::test]
    async fn limits() {
        let q = ConnectionQuotas::new(2, 1);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let s1 = q
            .register(Some(q.wait_for_connection_slot().await), a)
            .unwrap();
        let p = q.wait_for_connection_slot().await;
        assert_eq!(
            q.register(Some(p), a).unwrap_err(),
            TooManyConnections { ip: a, max: 1 }
        );
        let _s2 = q
            .register(Some(q.wait_for_connection_slot().await), b)
            .unwrap();
        assert_eq!(q.open_connections(), 2);
        let waiting = tokio::time::timeout(Duration::from_millis(50), q.wait_for_connection_slot());
        assert!(waiting.await.is_err(), "third slot must wait");
        drop(s1);
        let p = tokio::time::timeout(Duration::from_secs(1), q.wait_for_connection_slot())
            .await
            .expect("slot freed by closing a connection");
        let _s3 = q.register(Some(p), a).unwrap();
        // Exempt connections (inter-broker listener) pass the broker-wide limit.
        let c: IpAddr = "127.0.0.3".parse().unwrap();
        let _s4 = q.register(None, c).unwrap();
        assert_eq!(q.open_connections(), 3);
    }
}
