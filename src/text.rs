//! Text from files, the network or the environment made safe to show.

/// Strips control characters so names from config files cannot drive the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
