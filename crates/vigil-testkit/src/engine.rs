//! Running engines in tests: the sink that keeps what an engine sends is the engine contract's
//! own [`vigil_engine::CollectSink`] (also what `vigil scan` collects into), re-exported here.

pub use vigil_engine::CollectSink;
