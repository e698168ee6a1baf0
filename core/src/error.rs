//! How errors are shown. The rule for every error type in FaceSorter: a message says what
//! failed and does not repeat its cause; the cause is `source()`. Front ends print the whole
//! chain with [`chain`], so each cause appears once.

use std::error::Error;

/// `err` and its causes on one line: `outer: inner: innermost`.
///
/// A cause whose text is already part of what was written is skipped: some third-party
/// errors (e.g. `image::ImageError`) both print their source and return it.
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !line.is_empty() && !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle")]
    struct Middle(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("loud ({0})")]
    struct Loud(#[source] std::io::Error);

    #[test]
    fn every_cause_once_on_one_line() {
        let err = Outer(Middle(std::io::Error::other("disk on fire")));
        assert_eq!(chain(&err), "outer: middle: disk on fire");
        let loud = Loud(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&loud), "loud (disk on fire)");
    }
}
