//! Why a task failed, typed: the trace keeps these (not their words), and the page and the
//! JSON write them with [`fmt::Display`] (a task error serialises as its message).

use serde::{Serialize, Serializer};
use std::fmt;

/// Why a task (a request, for the fetch workload and strategies) did not give its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The request failed.
    Request(Fault),
    /// It was cancelled before it finished (`waiting`: while waiting for the semaphore,
    /// before its fetch started).
    Cancelled {
        /// Whether it was still waiting for the semaphore.
        waiting: bool,
    },
    /// `CancelledError`: what the awaiter of a cancelled gather gets.
    CancelledError,
    /// It never started: the sequential loop had already left with an exception.
    NotStarted,
    /// Stop came while its thread was blocked on the request.
    StoppedBeforeResponse,
    /// What the request needs is not available (no AbortController, the page gone), said
    /// in those terms.
    Unavailable(&'static str),
    /// The task raised `ValueError(f"bad item {x}")`: the item was one of `raise_at`.
    Raised {
        /// The item's number (`1..=n`).
        item: u64,
    },
    /// The Rust task returned `Err("bad item x")` (Rust has no exceptions: rayon collects
    /// the items' `Result`s): the item was one of `raise_at`.
    Returned {
        /// The item's number (`1..=n`).
        item: u64,
    },
}

impl TaskError {
    /// Whether it is a cancellation (of the request, or of the awaiter).
    pub fn is_cancellation(&self) -> bool {
        matches!(
            self,
            TaskError::Cancelled { .. } | TaskError::CancelledError
        )
    }

    /// The item that raised, if this is a task's own exception (`raise_at`).
    pub fn raised_item(&self) -> Option<u64> {
        match self {
            TaskError::Raised { item } | TaskError::Returned { item } => Some(*item),
            TaskError::Request(_)
            | TaskError::Cancelled { .. }
            | TaskError::CancelledError
            | TaskError::NotStarted
            | TaskError::StoppedBeforeResponse
            | TaskError::Unavailable(_) => None,
        }
    }

    /// A short label for a small bar: `HTTP 404`, `timeout`, `cancelled`, …
    pub fn short_label(&self) -> String {
        match self {
            TaskError::Request(Fault::Http { status, .. }) => format!("HTTP {status}"),
            TaskError::Request(Fault::Timeout { .. }) => "timeout".to_owned(),
            TaskError::Request(Fault::Network { .. }) => "network failure".to_owned(),
            TaskError::Request(Fault::MalformedUrl { .. }) => "malformed URL".to_owned(),
            TaskError::Cancelled { .. } | TaskError::CancelledError => "cancelled".to_owned(),
            TaskError::Raised { .. } => "ValueError".to_owned(),
            TaskError::Returned { .. } => "Err".to_owned(),
            TaskError::NotStarted
            | TaskError::StoppedBeforeResponse
            | TaskError::Unavailable(_) => self.to_string(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Request(fault) => fault.fmt(f),
            TaskError::Cancelled { waiting: false } => f.write_str("cancelled"),
            TaskError::Cancelled { waiting: true } => {
                f.write_str("cancelled while waiting for the semaphore")
            }
            TaskError::CancelledError => f.write_str("CancelledError"),
            TaskError::NotStarted => {
                f.write_str("never started: the loop had left with an exception")
            }
            TaskError::StoppedBeforeResponse => f.write_str("stopped before its response came"),
            TaskError::Unavailable(what) => f.write_str(what),
            TaskError::Raised { item } => write!(f, "ValueError: bad item {item}"),
            TaskError::Returned { item } => write!(f, "Err(\"bad item {item}\")"),
        }
    }
}

impl Serialize for TaskError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The server answered with an error status (aiohttp's `raise_for_status()`).
    Http {
        /// The status code.
        status: u16,
        /// The status text the server sent (often empty over HTTP/2).
        reason: String,
    },
    /// No response at all: the browser's `fetch` rejected.
    Network {
        /// Whether the URL is on another origin (then CORS or COEP is the likely cause).
        cross_origin: bool,
    },
    /// The browser could not parse the URL.
    MalformedUrl {
        /// The URL as given.
        url: String,
        /// The browser's words.
        why: String,
    },
    /// The request did not finish within the timeout and was aborted.
    Timeout {
        /// The timeout, ms.
        after_ms: u32,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Http { status, reason } => {
                let reason = if reason.trim().is_empty() {
                    reason_phrase(*status)
                } else {
                    reason.trim()
                };
                write!(f, "HTTP {status} {reason}")
            }
            Fault::Network { cross_origin: true } => f.write_str(
                "network failure: the browser blocked it: the server sends no CORS header, or the page's Cross-Origin-Embedder-Policy requires CORP/CORS (or the server could not be reached)",
            ),
            Fault::Network {
                cross_origin: false,
            } => f.write_str(
                "network failure: no response came (the connection failed or was dropped)",
            ),
            Fault::MalformedUrl { url, why } => write!(f, "malformed URL '{url}': {why}"),
            Fault::Timeout { after_ms } => {
                write!(f, "TimeoutError: not finished within {after_ms} ms (aborted)")
            }
        }
    }
}

/// The standard reason phrase of an HTTP status (RFC 9110), for servers that send none.
pub fn reason_phrase(status: u16) -> &'static str {
    let known = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    match (known, status / 100) {
        ("", 4) => "Client Error",
        ("", 5) => "Server Error",
        ("", _) => "Error",
        (known, _) => known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_explained_in_words() {
        let empty_reason = Fault::Http {
            status: 503,
            reason: String::new(),
        };
        assert_eq!(empty_reason.to_string(), "HTTP 503 Service Unavailable");
        assert_eq!(reason_phrase(418), "Client Error");
        assert_eq!(reason_phrase(599), "Server Error");
        assert!(Fault::Network { cross_origin: true }
            .to_string()
            .contains("no CORS header"));
        assert!(!Fault::Network {
            cross_origin: false
        }
        .to_string()
        .contains("CORS"));
        let malformed = Fault::MalformedUrl {
            url: "http://[x".into(),
            why: "Invalid URL".into(),
        };
        assert_eq!(
            malformed.to_string(),
            "malformed URL 'http://[x': Invalid URL"
        );
    }
}
