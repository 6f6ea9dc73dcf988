//! Keyset pagination shared by every listing, both ways (Relay's `first/after` and
//! `last/before`): the API turns the arguments into a [`PageRequest`]; stores read one row more
//! than asked in the direction of reading ([`keyset!`]) to learn whether another page follows.

use crate::error::{DomainError, DomainResult};

/// The largest page any listing returns, whatever the client asks for.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many rows the page holds (Relay's `first` or `last`).
    pub first: i64,
    /// The sort key of the row the page starts after (decoded from the opaque cursor).
    pub after: Option<String>,
    /// The sort key of the row the page ends before.
    pub before: Option<String>,
    /// Read from the end towards the start (`last`): the page is the last rows before
    /// `before`, or of the whole listing.
    pub backward: bool,
    /// Whether the listing's `totalCount` is wanted: counting is a statement of its own, so a
    /// page that does not show it skips it (its `total_count` is then 0).
    pub count: bool,
}

impl PageRequest {
    /// A forward page: `first` rows after `after`.
    pub fn new(first: Option<i64>, after: Option<String>) -> DomainResult<Self> {
        Self::relay(first, after, None, None)
    }

    /// Relay's four arguments. `first` and `last` together are refused; `last` (or `before`
    /// alone) reads backwards.
    pub fn relay(
        first: Option<i64>,
        after: Option<String>,
        last: Option<i64>,
        before: Option<String>,
    ) -> DomainResult<Self> {
        if first.is_some() && last.is_some() {
            return Err(DomainError::invalid(
                "last",
                "不能同时使用 first 和 last，请只用一个",
            ));
        }
        let (size, field) = match (first, last) {
            (Some(n), _) => (n, "first"),
            (None, Some(n)) => (n, "last"),
            (None, None) => (DEFAULT_PAGE_SIZE, "first"),
        };
        if !(0..=MAX_PAGE_SIZE).contains(&size) {
            return Err(DomainError::invalid(
                field,
                format!("每页数量须在 0 到 {MAX_PAGE_SIZE} 之间"),
            ));
        }
        Ok(Self {
            first: size,
            after,
            backward: last.is_some() || (before.is_some() && first.is_none()),
            before,
            count: true,
        })
    }

    /// Rows to fetch: one more than the page, to see whether another page follows.
    pub fn limit(&self) -> i64 {
        self.first + 1
    }

    /// The page size as a count of items.
    pub fn size(&self) -> usize {
        usize::try_from(self.first).unwrap_or(0)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            first: DEFAULT_PAGE_SIZE,
            after: None,
            before: None,
            backward: false,
            count: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total_count: i64,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with [`PageRequest::limit`] in the reading direction
    /// (reversed, for a backward page, so the items come in the listing's order).
    ///
    /// Relay lets a server answer the far side of a page cheaply: a page read after a cursor
    /// has rows before it (the cursor's own row), one read before a cursor has rows after it.
    pub fn from_overfetch(items: &mut Vec<T>, request: &PageRequest, total_count: i64) -> Self {
        let more = items.len() > request.size();
        items.truncate(request.size());
        if request.backward {
            items.reverse();
        }
        Self {
            items: std::mem::take(items),
            has_next_page: if request.backward {
                request.before.is_some()
            } else {
                more
            },
            has_previous_page: if request.backward {
                more
            } else {
                request.after.is_some()
            },
            total_count,
        }
    }

    /// A page of a short list already in memory and in order (a group's members, an
    /// activity's sheet): cursors are the items' ids.
    pub fn slice(
        mut all: Vec<T>,
        request: &PageRequest,
        id_of: impl Fn(&T) -> String,
    ) -> DomainResult<Self> {
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let position = |cursor: &str, field: &'static str| {
            all.iter()
                .position(|item| id_of(item) == cursor)
                .ok_or_else(|| DomainError::invalid(field, "游标不正确"))
        };
        let from = request
            .after
            .as_deref()
            .map(|c| position(c, "after"))
            .transpose()?
            .map_or(0, |i| i + 1);
        let until = request
            .before
            .as_deref()
            .map(|c| position(c, "before"))
            .transpose()?
            .unwrap_or(all.len())
            .max(from);
        let mut window: Vec<T> = all.drain(from..until).collect();
        if request.backward {
            window.reverse();
        }
        window.truncate(usize::try_from(request.limit()).unwrap_or(0));
        Ok(Self::from_overfetch(&mut window, request, total))
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_count: self.total_count,
        }
    }
}

/// Pages a boxed diesel query by the text key `$key`, in the listing's order (`newest_first`:
/// descending), for `$page`: rows after `after`, before `before`, read from the end when the
/// page goes backwards, one more than the page. Build the result with
/// [`Page::from_overfetch`].
macro_rules! keyset {
    ($query:expr, $key:expr, newest_first: $desc:expr, $page:expr) => {{
        let page: &$crate::page::PageRequest = $page;
        let desc: bool = $desc;
        let mut query = $query;
        if let Some(after) = page.after.clone() {
            query = if desc {
                query.filter($key.lt(after))
            } else {
                query.filter($key.gt(after))
            };
        }
        if let Some(before) = page.before.clone() {
            query = if desc {
                query.filter($key.gt(before))
            } else {
                query.filter($key.lt(before))
            };
        }
        // Reading backwards takes the rows nearest the end first.
        query = if desc != page.backward {
            query.order($key.desc())
        } else {
            query.order($key.asc())
        };
        query.limit(page.limit())
    }};
}
pub(crate) use keyset;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backward_page_comes_in_listing_order_and_knows_what_is_before_it() {
        let request = PageRequest::relay(None, None, Some(2), Some("c".into())).unwrap();
        // Read backwards from "c": b, a, and one more (z) to see that more come before.
        let mut rows = vec!["b", "a", "z"];
        let page = Page::from_overfetch(&mut rows, &request, 10);
        assert_eq!(page.items, vec!["a", "b"]);
        assert!(page.has_previous_page);
        assert!(page.has_next_page, "the row at the cursor follows");
    }

    #[test]
    fn first_and_last_together_are_refused() {
        assert!(PageRequest::relay(Some(2), None, Some(2), None).is_err());
        assert!(PageRequest::relay(Some(101), None, None, None).is_err());
    }
}
