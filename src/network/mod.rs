//! `SocketServer`: listeners, connections, request framing.
