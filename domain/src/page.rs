//! Keyset pagination shared by every listing: the API turns `first/after` into a
//! [`PageRequest`]; stores fetch one row more than asked to learn whether a next page exists.

use crate::error::{DomainError, DomainResult};

/// The largest page any listing returns, whatever the client asks for.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub first: i64,
    /// The sort key of the last row the client saw (decoded from the opaque cursor).
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(first: Option<i64>, after: Option<String>) -> DomainResult<Self> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(DomainError::invalid(
                "first",
                format!("每页数量须在 0 到 {MAX_PAGE_SIZE} 之间"),
            ));
        }
        Ok(Self { first, after })
    }

    /// Rows to fetch: one more than the page, to see whether another page follows.
    pub fn limit(&self) -> i64 {
        self.first + 1
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            first: DEFAULT_PAGE_SIZE,
            after: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub total_count: i64,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with [`PageRequest::limit`].
    pub fn from_overfetch(items: &mut Vec<T>, request: &PageRequest, total_count: i64) -> Self {
        let keep = usize::try_from(request.first).unwrap_or(0);
        let has_next_page = items.len() > keep;
        items.truncate(keep);
        Self {
            items: std::mem::take(items),
            has_next_page,
            total_count,
        }
    }
}
