//! Long tables a page at a time, and the order of rows by organization.

/// Rows of long tables per page: a page stays light whatever the size of the forum.
pub const PAGE_SIZE: usize = 100;

/// Where a long table is, and links to the pages around.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub first: usize,
    pub last: usize,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

impl Pager {
    /// `url` gives the link of a page number.
    pub fn new(
        total: usize,
        per_page: usize,
        page: Option<usize>,
        url: impl Fn(usize) -> String,
    ) -> Pager {
        let pages = total.div_ceil(per_page).max(1);
        let page = page.unwrap_or(1).clamp(1, pages);
        let first = (page - 1) * per_page;
        Pager {
            page,
            pages,
            total,
            first: (first + 1).min(total),
            last: (first + per_page).min(total),
            prev_url: (page > 1).then(|| url(page - 1)),
            next_url: (page < pages).then(|| url(page + 1)),
        }
    }

    /// The rows of this page.
    pub fn slice<T>(&self, rows: Vec<T>) -> Vec<T> {
        let skip = self.first.saturating_sub(1);
        rows.into_iter().skip(skip).take(self.last - skip).collect()
    }

    pub fn is_needed(&self) -> bool {
        self.pages > 1
    }
}

/// Sorts rows by their organization's acronym regardless of case. Each acronym is lower-cased
/// once, not twice per comparison; acronyms are unique regardless of case, so the descending
/// order is the ascending one reversed.
pub fn sort_by_acronym<T>(rows: &mut [T], acronym: impl Fn(&T) -> &str, descending: bool) {
    rows.sort_by_cached_key(|r| acronym(r).to_lowercase());
    if descending {
        rows.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_row_once() {
        let rows: Vec<usize> = (0..250).collect();
        let url = |p: usize| format!("?page={p}");
        let first = Pager::new(rows.len(), 100, None, url);
        assert_eq!(
            (first.page, first.pages, first.first, first.last),
            (1, 3, 1, 100)
        );
        assert_eq!(first.prev_url, None);
        assert_eq!(first.next_url.as_deref(), Some("?page=2"));
        let last = Pager::new(rows.len(), 100, Some(9), url);
        assert_eq!((last.page, last.first, last.last), (3, 201, 250));
        assert_eq!(last.slice(rows.clone()), (200..250).collect::<Vec<_>>());
        let all: Vec<usize> = (1..=3)
            .flat_map(|p| Pager::new(rows.len(), 100, Some(p), url).slice(rows.clone()))
            .collect();
        assert_eq!(all, rows);
        let empty = Pager::new(0, 100, Some(2), url);
        assert_eq!((empty.page, empty.first, empty.last), (1, 0, 0));
        assert!(empty.slice(Vec::<usize>::new()).is_empty());
        assert!(!empty.is_needed());
    }
}
