//! The binary segment log: `LogManager`, `Log`, `LogSegment`, indexes and checkpoints.
pub mod producer_state_manager;
