//! Optional memory for rendered data pages, so a benchmark or a load test can measure the client and
//! the network rather than the emulator's row generation.
//!
//! Pages are kept until the emulator stops, up to a byte budget; past it, pages are served by
//! streaming as usual. Nothing is evicted, so a page once cached is always served the same way.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

#[derive(Debug)]
pub(crate) struct PageCache {
    budget: usize,
    pages: Mutex<(usize, HashMap<String, Bytes>)>,
}

impl PageCache {
    pub(crate) fn new(budget: usize) -> Self {
        Self {
            budget,
            pages: Mutex::new((0, HashMap::new())),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Bytes> {
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .get(key)
            .cloned()
    }

    /// Keeps `page` if it fits in what is left of the budget.
    pub(crate) fn insert(&self, key: String, page: Bytes) {
        let mut guard = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let (used, pages) = &mut *guard;
        if *used + page.len() <= self.budget && !pages.contains_key(&key) {
            *used += page.len();
            pages.insert(key, page);
        }
    }
}
