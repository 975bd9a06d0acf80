//! The binary segment log: `LogManager`, `Log`, `LogSegment`, indexes and checkpoints.
