//! Everything a shell evaluates: quoting, export lines, init scripts.

pub mod exports;
pub mod init;
pub mod quote;
