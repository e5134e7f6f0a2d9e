//! Exact JSON paths for errors that surface away from where they are: an error inside a field
//! that was stashed before its object's `kind` (see [`super::tagged`]) carries its path relative
//! to that object in its message, and the loader splices it into the outer one, so an error reads
//! `workloads[0].writes[2].blok`.

/// Marks an error message that carries a path relative to the field being deserialized.
const MARK: char = '\u{1}';

/// `text`, marked as an error at `path` relative to the field being deserialized, for
/// [`located`] to splice into the outer path.
pub fn mark(path: &str, text: &str) -> String {
    format!("{MARK}{path}{MARK}{text}")
}

/// The path and message of an error, splicing in a relative path carried by its message.
pub fn located(path: &str, msg: &str) -> (String, String) {
    match split(msg) {
        Some((relative, text)) if path == "." || path.is_empty() => {
            (relative.to_string(), text.to_string())
        }
        Some((relative, text)) => (join(path, relative), text.to_string()),
        None => (path.to_string(), msg.to_string()),
    }
}

/// Splits an error message made by [`mark`] into its relative path and its text.
pub fn split(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix(MARK)?;
    rest.split_once(MARK)
}

/// Joins an outer path and a relative one: `workloads` + `[0].writes` = `workloads[0].writes`,
/// `workloads[0]` + `writes` = `workloads[0].writes`.
pub fn join(outer: &str, relative: &str) -> String {
    if relative.starts_with('[') {
        format!("{outer}{relative}")
    } else {
        format!("{outer}.{relative}")
    }
}
