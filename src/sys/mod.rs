//! What every layer uses and nothing of awsesh's own: child processes with a
//! deadline, supervising the command of `exec`, Ctrl-C, the clock and
//! durations, the controlling terminal, secrets that never print, text made
//! safe to show, and the one error type. Depends on nothing else in the crate.

pub mod block_on;
pub mod cancel;
pub mod child;
pub mod clock;
pub mod duration;
pub mod error;
pub mod secret;
pub mod supervise;
pub mod terminal;
pub mod text;
