//! "TS: BI Server": ThoughtSpot's system worksheet of user activity, one row per event, kept for the
//! [`DAYS`] days before the emulator started.
//!
//! A real cluster keeps about six months of it, and incremental jobs export it one day window at a
//! time, so what matters is that a day is a stable unit: the events of a day are a function of
//! `(seed, day)` alone. Two emulators started days apart serve the same rows for a day both keep; only
//! which days are kept depends on "now". Days are the cluster time zone's calendar days, so a window
//! `[Timestamp] >= 'YYYY-MM-DD' [Timestamp] < 'YYYY-MM-DD'` (read as local midnights) holds whole days.
//!
//! Only a prefix sum of the events per day is stored; every cell is computed on demand.

use chrono::{Datelike, Days, NaiveDate};

use super::calendar::{local_date, midnight};
use super::{Aggregation, Cell, ColumnDef, ColumnKind, DataType, Table};
use crate::ids;
use crate::rng::{below, hash3, mix64, named_guid};

/// Days kept before the day of "now" (today itself, still being written, is not served).
pub const DAYS: u32 = 183;

/// Fewest and most events a day.
const MIN_EVENTS: u64 = 150;
const MAX_EVENTS: u64 = 450;

/// Random streams: the per-day event count, and the per-column keys.
const COUNT_STREAM: u64 = 0xB1_0001;
const COLUMN_STREAM: u64 = 0xB1_0100;

/// Incident ids must ascend with the row, because the search engine serves "sort by" the key column
/// in row order. They are GUID-shaped: a fixed prefix, then twelve decimal digits (`1`, the day as
/// days since 1970 in five digits, the event's index in the day in six), which also keeps them unique.
const INCIDENT_PREFIX: &str = "b1a5e7e1-0c4d-4e5a-9f10-";
const INCIDENT_BASE: u64 = 100_000_000_000;

/// Who acts: the emulator directory's users that sign in, most active first.
const USERS: [(&str, u64); 5] = [
    ("alice", 40),
    ("bob", 25),
    ("carol", 15),
    ("tsadmin", 12),
    ("mfa.user", 8),
];

/// The fixture answers and pinboards, by the names the catalog gives them (a unit test checks).
pub(crate) const BOOKS: [(&str, &str, BookKind); 4] = [
    (ids::RETAIL_PINBOARD, "Retail Overview", BookKind::Pinboard),
    (ids::STORES_PINBOARD, "Store Footprint", BookKind::Pinboard),
    (
        ids::ANSWER_SALES_BY_PRODUCT,
        "Sales by Product",
        BookKind::Answer,
    ),
    (ids::ANSWER_RETURNS, "Returned Lines", BookKind::Answer),
];

/// Whether a book is a pinboard or a saved answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookKind {
    Pinboard,
    Answer,
}

/// Searches of unsaved answers (no answer book behind them).
const AD_HOC: [&str; 4] = [
    "[Region] [Sales]",
    "[Product] [Quantity] sort by [Quantity] descending",
    "[Order Date].monthly [Sales]",
    "[Store Name] [Square Feet]",
];

/// One kind of event: an action on a book (or an ad hoc search), with what varies from event to event
/// drawn per row.
#[derive(Debug)]
struct Template {
    action: &'static str,
    book: Option<(&'static str, &'static str)>,
    viz: Option<&'static str>,
    query: Option<&'static str>,
    url: String,
    clients: &'static [&'static str],
    uses_worksheet: bool,
    /// Relative frequency.
    weight: u64,
}

const BROWSER_MOSTLY: &[&str] = &["browser", "browser", "browser", "browser", "mobile"];
const API: &[&str] = &["api"];
const BROWSER: &[&str] = &["browser"];
const BROWSER_OR_API: &[&str] = &["browser", "browser", "api"];

/// Column positions.
mod col {
    pub(super) const TIMESTAMP: usize = 0;
    pub(super) const USER: usize = 1;
    pub(super) const ACTION: usize = 2;
    pub(super) const BOOK_GUID: usize = 3;
    pub(super) const BOOK_NAME: usize = 4;
    pub(super) const VIZ_ID: usize = 5;
    pub(super) const CLIENT: usize = 6;
    pub(super) const QUERY: usize = 7;
    pub(super) const URL: usize = 8;
    pub(super) const STATUS: usize = 9;
    pub(super) const INCIDENT: usize = 10;
    pub(super) const LATENCY: usize = 11;
    pub(super) const DB_LATENCY: usize = 12;
    pub(super) const RESPONSE_SIZE: usize = 13;
    pub(super) const ATTRIBUTES: usize = 14;
    pub(super) const MEASURES: usize = 15;
    pub(super) const JOINS: usize = 16;
    pub(super) const TOP: usize = 17;
    pub(super) const USES_WORKSHEET: usize = 18;
    pub(super) const USES_SYSTEM_TABLE: usize = 19;
    pub(super) const USES_USER_DATA: usize = 20;
    pub(super) const IMPRESSIONS: usize = 21;
}

/// The "TS: BI Server" worksheet.
#[derive(Debug)]
pub struct BiServer {
    id: String,
    columns: Vec<ColumnDef>,
    /// Days since 1970-01-01 of the first kept day.
    first_day: i64,
    /// `starts[d]` is the first row of day `d`; one more entry than days, the last being the row count.
    starts: Vec<u64>,
    /// Local midnight of each day, and of the day after the last.
    midnights: Vec<i64>,
    templates: Vec<Template>,
    /// Cumulative template weights, for a weighted draw by binary search.
    template_weights: Vec<u64>,
    user_weights: Vec<u64>,
    keys: Vec<u64>,
    tz: chrono_tz::Tz,
}

impl BiServer {
    /// The activity of `seed` for the [`DAYS`] local days of `tz` before the one holding `now_ms`.
    pub fn new(seed: u64, tz: chrono_tz::Tz, now_ms: i64) -> Self {
        let today = local_date(tz, now_ms.div_euclid(1000));
        let first = today - Days::new(u64::from(DAYS));
        let first_day = epoch_day(first);
        let mut starts = Vec::with_capacity(DAYS as usize + 1);
        let mut total = 0;
        for d in 0..i64::from(DAYS) {
            starts.push(total);
            total += events_on(seed, first_day + d);
        }
        starts.push(total);
        let midnights = (0..=u64::from(DAYS))
            .map(|d| midnight(tz, first + Days::new(d)))
            .collect();
        let templates = templates();
        let template_weights = cumulative(templates.iter().map(|t| t.weight));
        let columns = columns();
        let keys = (0..columns.len() as u64)
            .map(|c| hash3(seed, COLUMN_STREAM, c))
            .collect();
        Self {
            id: ids::BI_SERVER.to_string(),
            columns,
            first_day,
            starts,
            midnights,
            templates,
            template_weights,
            user_weights: cumulative(USERS.iter().map(|u| u.1)),
            keys,
            tz,
        }
    }

    /// The kept day of `row` (an index into `starts` and `midnights`) and the row's index in that day.
    fn locate(&self, row: u64) -> (usize, u64) {
        let day = self.starts.partition_point(|&s| s <= row) - 1;
        (day, row - self.starts[day])
    }

    /// The random bits of `column` for one event, named by its day and index so that they do not
    /// depend on which days are kept.
    #[inline]
    fn random(&self, column: usize, event: u64) -> u64 {
        mix64(self.keys[column] ^ event.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn template(&self, event: u64) -> &Template {
        let total = self.template_weights.last().copied().unwrap_or(1);
        let draw = below(self.random(col::ACTION, event), total);
        let i = self.template_weights.partition_point(|&w| w <= draw);
        &self.templates[i.min(self.templates.len() - 1)]
    }
}

/// Days since 1970-01-01.
fn epoch_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// How many events the day `epoch_day` has: a function of the seed and the day only.
fn events_on(seed: u64, epoch_day: i64) -> u64 {
    MIN_EVENTS
        + below(
            hash3(seed, COUNT_STREAM, epoch_day as u64),
            MAX_EVENTS - MIN_EVENTS + 1,
        )
}

fn cumulative(weights: impl Iterator<Item = u64>) -> Vec<u64> {
    weights
        .scan(0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

fn columns() -> Vec<ColumnDef> {
    use Aggregation::*;
    use ColumnKind::*;
    use DataType::*;
    let column = |name: &'static str, data_type, kind, aggregation, nullable| ColumnDef {
        id: named_guid(&format!("TS: BI Server/{name}")),
        name,
        description: Option::None,
        data_type,
        kind,
        aggregation,
        nullable,
        hidden: false,
    };
    let mut cols = vec![
        column("Timestamp", DateTime, Attribute, None, false),
        column("User", Varchar, Attribute, None, false),
        column("User Action", Varchar, Attribute, None, false),
        column("Answer Book GUID", Varchar, Attribute, None, true),
        column("Answer Book Name", Varchar, Attribute, None, true),
        column("Visualization ID", Varchar, Attribute, None, true),
        column("Client Type", Varchar, Attribute, None, false),
        column("Query Text", Varchar, Attribute, None, true),
        column("URL", Varchar, Attribute, None, false),
        column("HTTP Response Code", Int64, Attribute, None, false),
        column("Incident ID", Varchar, Attribute, None, false),
        column("Latency (us)", Int64, Measure, Sum, false),
        column("Database Latency (us)", Int64, Measure, Sum, false),
        column("Response Size", Int64, Measure, Sum, false),
        column("Attribute Count", Int64, Measure, Sum, false),
        column("Measure Count", Int64, Measure, Sum, false),
        column("Join Count", Int64, Measure, Sum, false),
        column("Top Count", Int64, Measure, Sum, false),
        column("Uses Worksheet", Bool, Attribute, None, false),
        column("Uses System Table", Bool, Attribute, None, false),
        column("Uses User Data", Bool, Attribute, None, false),
        column("Impressions", Double, Measure, Sum, false),
    ];
    cols[col::TIMESTAMP].description = Some("When the request arrived");
    cols[col::INCIDENT].description = Some("Unique key: one row per request");
    cols
}

/// Every kind of event: views, filters, API reads and exports of the fixture books, and ad hoc
/// searches.
fn templates() -> Vec<Template> {
    let vizzes = crate::catalog::fixture_books();
    let mut out = Vec::new();
    for (id, name, kind) in BOOKS {
        let book = Some((id, name));
        let Some(b) = vizzes.iter().find(|b| b.id == id) else {
            continue;
        };
        let source_is_worksheet = b.vizzes.iter().any(|v| v.source == ids::RETAIL_SALES);
        let first = b.vizzes.first();
        let mut push = |action, viz: Option<&crate::catalog::Viz>, url: String, clients, weight| {
            out.push(Template {
                action,
                book,
                viz: viz.map(|v| v.id),
                query: viz.map(|v| v.query),
                url,
                clients,
                uses_worksheet: source_is_worksheet,
                weight,
            });
        };
        match kind {
            BookKind::Pinboard => {
                let page = format!("/#/pinboard/{id}");
                push("pinboard_view", None, page.clone(), BROWSER_MOSTLY, 30);
                let filter = b
                    .vizzes
                    .iter()
                    .find(|v| v.kind == crate::catalog::VizKind::Filter)
                    .or(first);
                push("pinboard_filter", filter, page.clone(), BROWSER_MOSTLY, 6);
                push(
                    "pinboard_embed_view",
                    None,
                    format!("/?embedApp=true#/embed/viz/{id}"),
                    BROWSER,
                    5,
                );
                for viz in b
                    .vizzes
                    .iter()
                    .filter(|v| v.kind != crate::catalog::VizKind::Filter)
                {
                    push(
                        "pinboard_tspublic_no_runtime_filter",
                        Some(viz),
                        format!(
                            "/callosum/v1/tspublic/v1/pinboarddata?id={id}&vizid=%5B{}%5D",
                            viz.id
                        ),
                        API,
                        3,
                    );
                    if viz.kind == crate::catalog::VizKind::Table {
                        push(
                            "data_export",
                            Some(viz),
                            format!("{page}/{}", viz.id),
                            BROWSER_OR_API,
                            2,
                        );
                    }
                }
            }
            BookKind::Answer => {
                let page = format!("/#/saved-answer/{id}");
                push("answer_view", first, page.clone(), BROWSER_MOSTLY, 12);
                push("answer_saved", first, page.clone(), BROWSER, 2);
                push("data_export", first, page, BROWSER_OR_API, 2);
            }
        }
    }
    for query in AD_HOC {
        out.push(Template {
            action: "answer_unsaved",
            book: None,
            viz: None,
            query: Some(query),
            url: "/#/answer".to_string(),
            clients: BROWSER_MOSTLY,
            uses_worksheet: !query.contains("[Store Name]"),
            weight: 3,
        });
    }
    out
}

impl Table for BiServer {
    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        "TS: BI Server"
    }

    fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }

    fn row_count(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    fn key_column(&self) -> Option<usize> {
        Some(col::INCIDENT)
    }

    fn cell(&self, column: usize, row: u64) -> Cell<'_> {
        let (day, index) = self.locate(row);
        let epoch_day = self.first_day + day as i64;
        // Unique per event while days have fewer than a million events.
        let event = epoch_day as u64 * 1_000_000 + index;
        let r = || self.random(column, event);
        let template = || self.template(event);
        match column {
            col::TIMESTAMP => {
                // Event `index` of `n` falls in the `index`-th of `n` equal slices of the local day, so
                // timestamps ascend with the row; the day's length counts daylight-saving changes.
                let start = self.midnights[day];
                let length = (self.midnights[day + 1] - start).max(1) as u64;
                let n = self.starts[day + 1] - self.starts[day];
                let slice = (length / n).max(1);
                Cell::DateTime(start + (index * length / n + below(r(), slice)) as i64)
            }
            col::USER => {
                let total = self.user_weights.last().copied().unwrap_or(1);
                let draw = below(r(), total);
                let i = self.user_weights.partition_point(|&w| w <= draw);
                Cell::Text(USERS[i.min(USERS.len() - 1)].0)
            }
            col::ACTION => Cell::Text(template().action),
            col::BOOK_GUID => template().book.map_or(Cell::Null, |b| Cell::Text(b.0)),
            col::BOOK_NAME => template().book.map_or(Cell::Null, |b| Cell::Text(b.1)),
            col::VIZ_ID => template().viz.map_or(Cell::Null, Cell::Text),
            col::CLIENT => {
                let clients = template().clients;
                Cell::Text(clients[below(r(), clients.len() as u64) as usize])
            }
            col::QUERY => template().query.map_or(Cell::Null, Cell::Text),
            col::URL => Cell::Text(&template().url),
            col::STATUS => Cell::Int(status(r())),
            col::INCIDENT => Cell::Code(INCIDENT_PREFIX, INCIDENT_BASE + event),
            col::LATENCY => Cell::Int(latency(self.random(col::LATENCY, event))),
            col::DB_LATENCY => {
                // Part of the request's own latency, by construction.
                let total = latency(self.random(col::LATENCY, event));
                Cell::Int(total * (10 + below(r(), 80)) as i64 / 100)
            }
            col::RESPONSE_SIZE => Cell::Int(200 + below(r(), 2_000_000) as i64),
            col::ATTRIBUTES => Cell::Int(
                template()
                    .query
                    .map_or(0, |q| q.matches('[').count() as i64 - measures_in(q)),
            ),
            col::MEASURES => Cell::Int(template().query.map_or(0, measures_in)),
            col::JOINS => Cell::Int(template().query.map_or(0, |q| {
                i64::from(q.contains("[Store Name]") || q.contains("[Region]"))
            })),
            col::TOP => Cell::Int(if below(r(), 20) == 0 { 10 } else { 0 }),
            col::USES_WORKSHEET => Cell::Bool(template().uses_worksheet),
            col::USES_SYSTEM_TABLE => Cell::Bool(below(r(), 100) == 0),
            col::USES_USER_DATA => Cell::Bool(below(r(), 100) < 3),
            col::IMPRESSIONS => Cell::Double(if template().action.ends_with("_view") {
                1.0
            } else {
                0.0
            }),
            _ => Cell::Null,
        }
    }

    fn time_zone(&self) -> chrono_tz::Tz {
        self.tz
    }
}

/// The measures a fixture search names.
fn measures_in(query: &str) -> i64 {
    ["[Sales]", "[Quantity]", "[Square Feet]"]
        .iter()
        .filter(|m| query.contains(*m))
        .count() as i64
}

/// Mostly 200, with the occasional refusal and failure a real cluster logs.
fn status(r: u64) -> i64 {
    match below(r, 1000) {
        0..=4 => 500,
        5..=9 => 403,
        10..=14 => 401,
        15..=19 => 400,
        _ => 200,
    }
}

/// Microseconds, skewed: most requests are quick, a few are slow.
fn latency(r: u64) -> i64 {
    let base = 20_000 + below(r, 400_000);
    let slow = below(r.rotate_left(23), 20) == 0;
    (if slow { base * 25 } else { base }) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;
    /// 2026-12-02 12:00 UTC.
    const NOW_MS: i64 = 1_796_212_800_000;

    fn chicago() -> chrono_tz::Tz {
        "America/Chicago".parse().unwrap()
    }

    fn rows_of(t: &BiServer, date: NaiveDate) -> Vec<Vec<String>> {
        let start = midnight(t.tz, date);
        let end = midnight(t.tz, date + Days::new(1));
        (0..t.row_count())
            .filter(|&r| matches!(t.cell(col::TIMESTAMP, r), Cell::DateTime(s) if s >= start && s < end))
            .map(|r| {
                (0..t.columns().len())
                    .map(|c| format!("{:?}", t.cell(c, r).to_value()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_day_is_the_same_whatever_now_is() {
        let a = BiServer::new(7, chicago(), NOW_MS);
        let b = BiServer::new(7, chicago(), NOW_MS + 3 * DAY_MS);
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let rows = rows_of(&a, day);
        assert!((MIN_EVENTS..=MAX_EVENTS).contains(&(rows.len() as u64)));
        assert_eq!(rows, rows_of(&b, day));
        assert_ne!(rows, rows_of(&BiServer::new(8, chicago(), NOW_MS), day));
    }

    #[test]
    fn rows_ascend_by_timestamp_and_incident_within_the_kept_days() {
        let t = BiServer::new(1, chicago(), NOW_MS);
        let today = local_date(t.tz, NOW_MS / 1000);
        let first = midnight(t.tz, today - Days::new(u64::from(DAYS)));
        let last = midnight(t.tz, today);
        let mut previous: Option<(Cell<'_>, Cell<'_>)> = None;
        for row in 0..t.row_count() {
            let (time, incident) = (t.cell(col::TIMESTAMP, row), t.cell(col::INCIDENT, row));
            let Cell::DateTime(s) = time else {
                panic!("{time:?}")
            };
            assert!(s >= first && s < last);
            if let Some((pt, pi)) = previous {
                assert!(pt.total_cmp(&time).is_le());
                assert!(pi.total_cmp(&incident).is_lt());
            }
            previous = Some((time, incident));
        }
        let guid = format!("{:?}", t.cell(col::INCIDENT, 0).to_value());
        assert!(guid.contains(INCIDENT_PREFIX), "{guid}");
    }

    #[test]
    fn book_names_are_the_catalogs() {
        let data = super::super::DataSets::at(1, 10, chicago(), NOW_MS);
        let catalog = crate::catalog::Catalog::fixture(&data);
        for (id, name, _) in BOOKS {
            assert_eq!(catalog.object(id).map(|o| o.name.as_str()), Some(name));
        }
        let actions: std::collections::BTreeSet<_> = templates().iter().map(|t| t.action).collect();
        assert_eq!(actions.len(), 8, "{actions:?}");
    }
}
