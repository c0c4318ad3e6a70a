//! A search, or one viz of a pinboard, read as a stream of Arrow [`RecordBatch`]es: pages from the
//! [`crate::pager`], decoded off the async runtime's workers, with the schema resolved from the
//! first page (hints, then ThoughtSpot's column types, then the data) before any batch is handed out.
//!
//! ```no_run
//! # async fn run(client: tsexport::api::Client) -> Result<(), tsexport::read::ReadError> {
//! use futures_util::TryStreamExt;
//! let mut batches = client
//!     .search("[Region] [Sales] sort by [Region]", "5a1e9c84-0000-4000-8000-000000000001")
//!     .batches()
//!     .await?;
//! println!("{}", batches.schema());
//! while let Some(batch) = batches.try_next().await? {
//!     println!("{} rows", batch.num_rows());
//! }
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono_tz::Tz;
use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use crate::api::{
    AnswerRequest, ApiVersion, Client, ColumnDetails, Error as ApiError, ObjectType, ParamValue,
    PinboardRequest, SearchRequest, SortBy, VizType,
};
use crate::decode::{
    first_page, resolve, ColumnMetadata, ColumnType, DecodeError, HintError, Misfit, PageDecoder,
    TableSchema, TypeHint, TypeSource,
};
use crate::pager::{self, PageAt, PagerConfig, PagerError};

/// Why reading stopped. [`ReadError::kind`] sorts it for exit codes and reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Fetching the pages failed, or they are incomplete.
    #[error(transparent)]
    Pager(#[from] PagerError),
    /// A page could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A type hint does not parse or does not name a column.
    #[error(transparent)]
    Hint(#[from] HintError),
    /// Values that do not fit their columns (the first of each column on one page). The export widens
    /// the types and restarts; a stream, or an export with `DriftPolicy::Fail`, stops here.
    #[error("{}. {}", misfits[0], advice_for(&misfits[0]))]
    Misfits {
        /// The first misfit of each column that has one.
        misfits: Vec<Misfit>,
    },
    /// The read cannot be made as configured (an Answer through v1, a time zone the cluster will
    /// not tell).
    #[error("{0}")]
    Config(String),
    /// The server answered the first page's call with no page at all.
    #[error("the server sent no page: the first call of the read ended without one")]
    NoPage,
    /// A task of the read stopped without an answer (a panic or a runtime shutdown): a fault of
    /// tsexport, not of the configuration or the server.
    #[error("{task} failed unexpectedly: {reason}")]
    Internal {
        /// What was running.
        task: &'static str,
        /// Why it stopped, as the runtime or Arrow said it.
        reason: String,
    },
}

impl From<ApiError> for ReadError {
    fn from(error: ApiError) -> Self {
        ReadError::Pager(PagerError::Api(error))
    }
}

/// What shapes a read besides its source.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// How pages are fetched: size, requests in flight, what incompleteness is allowed.
    pub pager: PagerConfig,
    /// Types the user gives for columns; they win over ThoughtSpot's types and the data.
    pub hints: Vec<TypeHint>,
    /// The zone dates are read in; `None` asks the cluster (`session/info`), falling back to UTC.
    pub time_zone: Option<Tz>,
    /// Types that win over metadata and inference (not over hints): a widened schema on restart, or
    /// the schema of data already at the destination.
    pub fixed_types: HashMap<String, ColumnType>,
    /// A runtime sort (`runtime_sort`), after any the source's request has; REST v2 only.
    pub sort: Vec<SortBy>,
    /// Parameter overrides (`runtime_param_override`), after any the source's request has; a date
    /// is sent as its midnight in the read's zone. REST v2 only.
    pub params: Vec<(String, ParamValue)>,
}

/// Where a table's pages come from.
#[derive(Debug, Clone)]
pub enum TableSource {
    /// A search over one worksheet, view or table.
    Search(SearchRequest),
    /// One viz of a pinboard (a liveboard, in v2).
    Viz {
        /// The pinboard's GUID.
        pinboard: String,
        /// The viz's GUID.
        viz: String,
    },
    /// A saved Answer: REST v2 only.
    Answer(AnswerRequest),
    /// One of ThoughtSpot's own logs over a range of days (`logs/fetch`, REST v2).
    Log(crate::logs::LogRequest),
}

/// A table's facts gathered while reading: what the export's summary and manifest report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageStats {
    /// Pages read so far.
    pub pages: u64,
    /// Rows handed out so far (overlap rows not counted twice).
    pub rows: u64,
    /// Page bytes as received (JSON).
    pub bytes: u64,
    /// The largest `totalRowCount` the server reported: a floor for `rows`.
    pub rows_expected: Option<u64>,
    /// The lowest `samplingRatio` seen (1 = complete).
    pub sampling_ratio: f64,
}

/// A batch and the running facts after it.
#[derive(Debug, Clone)]
pub struct DecodedPage {
    /// The rows of one page.
    pub batch: RecordBatch,
    /// The read's facts up to and including this page.
    pub stats: PageStats,
}

/// A stream of batches whose schema is known before the first one.
pub struct RecordBatchStream {
    schema: SchemaRef,
    table: TableSchema,
    inner: BoxStream<'static, Result<DecodedPage, ReadError>>,
}

impl std::fmt::Debug for RecordBatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordBatchStream")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl RecordBatchStream {
    /// A stream of `inner`'s batches, each of `schema` (`table` as Arrow).
    pub(crate) fn from_parts(
        schema: SchemaRef,
        table: TableSchema,
        inner: BoxStream<'static, Result<DecodedPage, ReadError>>,
    ) -> Self {
        Self {
            schema,
            table,
            inner,
        }
    }

    /// The Arrow schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The schema with where each type came from.
    pub fn table_schema(&self) -> &TableSchema {
        &self.table
    }

    /// The batches with the running page statistics.
    pub fn with_stats(self) -> BoxStream<'static, Result<DecodedPage, ReadError>> {
        self.inner
    }
}

impl Stream for RecordBatchStream {
    type Item = Result<RecordBatch, ReadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|r| r.map(|page| page.batch)))
    }
}

/// A search or viz read, ready to stream (see [`Client::search`] and [`Client::pinboard`]).
#[derive(Debug, Clone)]
pub struct Read {
    client: Client,
    source: TableSource,
    options: ReadOptions,
}

impl Read {
    /// Replaces all the read options at once.
    pub fn options(mut self, options: ReadOptions) -> Self {
        self.options = options;
        self
    }

    /// A type for one column: `"Order Date=date"`, `"Amount=decimal(18,2)"`.
    pub fn hint(mut self, hint: &str) -> Result<Self, HintError> {
        self.options.hints.push(hint.parse()?);
        Ok(self)
    }

    /// Rows asked for per page (1 to 100,000); the server may send fewer.
    pub fn page_size(mut self, rows: u64) -> Self {
        self.options.pager.page_size = rows;
        self
    }

    /// The zone dates are read in, instead of asking the cluster.
    pub fn time_zone(mut self, zone: Tz) -> Self {
        self.options.time_zone = Some(zone);
        self
    }

    /// Sorts the result by one more column (REST v2 `runtime_sort`): `"Sales:desc"`, `"Region"`.
    pub fn sort(mut self, sort: &str) -> Result<Self, crate::api::InvalidSort> {
        self.options.sort.push(sort.parse()?);
        Ok(self)
    }

    /// Overrides a parameter of the data source (REST v2 `runtime_param_override`).
    pub fn param(mut self, name: impl Into<String>, value: ParamValue) -> Self {
        self.options.params.push((name.into(), value));
        self
    }

    /// Fetches the first page, resolves the schema, and streams the batches. A value that does not fit
    /// its column ends the stream with [`ReadError::Misfits`]: a stream cannot take back batches it
    /// handed out, so use a hint, or [`Export`](crate::export::Export), which widens and restarts.
    pub async fn batches(self) -> Result<RecordBatchStream, ReadError> {
        let zone = match self.options.time_zone {
            Some(zone) => zone,
            None => cluster_time_zone(&self.client).await?,
        };
        let metadata = source_metadata(&self.client, &self.source).await?;
        open(&self.client, &self.source, &self.options, &metadata, zone).await
    }
}

impl Client {
    /// A search over one worksheet, view or table, to read as batches.
    pub fn search(&self, query: impl Into<String>, data_source: impl Into<String>) -> Read {
        Read {
            client: self.clone(),
            source: TableSource::Search(SearchRequest::new(query, data_source)),
            options: ReadOptions::default(),
        }
    }

    /// A search or a viz, given as a [`TableSource`], to read as batches.
    pub fn read(&self, source: TableSource) -> Read {
        Read {
            client: self.clone(),
            source,
            options: ReadOptions::default(),
        }
    }

    /// A saved Answer, by GUID or name, to read as batches (REST v2: build the client with
    /// [`ApiChoice::V2`](crate::api::ApiChoice) or `Auto`).
    pub fn answer(&self, answer: impl Into<String>) -> Read {
        self.read(TableSource::Answer(AnswerRequest::new(answer)))
    }

    /// A pinboard, whose vizzes are read one at a time: `client.pinboard(id).viz(v).batches()`.
    pub fn pinboard(&self, id: impl Into<String>) -> PinboardRead {
        PinboardRead {
            client: self.clone(),
            pinboard: id.into(),
        }
    }
}

/// A pinboard whose viz is still to be chosen.
#[derive(Debug, Clone)]
pub struct PinboardRead {
    client: Client,
    pinboard: String,
}

impl PinboardRead {
    /// The viz to read, by GUID.
    pub fn viz(self, viz: impl Into<String>) -> Read {
        Read {
            client: self.client,
            source: TableSource::Viz {
                pinboard: self.pinboard,
                viz: viz.into(),
            },
            options: ReadOptions::default(),
        }
    }
}

/// A viz of a pinboard that holds data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataViz {
    /// The viz's GUID.
    pub id: String,
    /// The viz's name as the pinboard shows it.
    pub name: String,
}

/// The vizzes of a pinboard that hold data, through the API the client reads data through. v1
/// lists them (`listvizheaders`, without filters); v2 documents no shape for viz headers, so the
/// liveboard is asked for one row of every viz, and the data blocks that come back name exactly the
/// vizzes with data (wire-protocol §4.6).
pub async fn pinboard_vizzes(client: &Client, pinboard: &str) -> Result<Vec<DataViz>, ApiError> {
    Ok(match client.data_api().await? {
        ApiVersion::V1 => client
            .list_viz_headers(pinboard)
            .await?
            .into_iter()
            .filter(|v| v.viz_type != Some(VizType::Filter))
            .map(|v| DataViz {
                id: v.id,
                name: v.name,
            })
            .collect(),
        ApiVersion::V2 => client
            .liveboard_page_v2(&PinboardRequest::new(pinboard), 0, 1)
            .await?
            .into_iter()
            .map(|block| DataViz {
                name: block.counters.name.unwrap_or_else(|| block.viz.clone()),
                id: block.viz,
            })
            .collect(),
    })
}

/// The cluster's zone from `session/info`, or UTC (with a warning) when it sends none we know.
///
/// `session/info` is a v1 call; v2 has no documented equivalent. Reading through v2, a cluster that
/// refuses it (404, or the v1 session) is an error that says to give the zone: guessing UTC would
/// turn every DATE column into timestamps.
pub async fn cluster_time_zone(client: &Client) -> Result<Tz, ReadError> {
    let info = match client.session_info().await {
        Ok(info) => info,
        Err(error)
            if matches!(error.status(), Some(401 | 403 | 404))
                && client.data_api().await? == ApiVersion::V2 =>
        {
            return Err(ReadError::Config(format!(
                "cannot read the cluster's time zone: {error}. Through REST v2 it comes from the v1 \
                 call session/info, which this cluster refused; give the zone (the `time_zone` \
                 setting, ReadOptions::time_zone)"
            )));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(match info.timezone.as_deref().map(str::parse::<Tz>) {
        Some(Ok(zone)) => zone,
        _ => {
            tracing::warn!(
                zone = ?info.timezone,
                "the cluster reports no time zone this build knows; reading dates in UTC (set the `time_zone` setting)"
            );
            Tz::UTC
        }
    })
}

/// ThoughtSpot's column types for a search's data source: v1 `metadata/details`, or v2
/// `metadata/search` with details, by the API the client reads data through. Pinboard vizzes and
/// Answers have none: their types come from `columnDetails` (v1, 9.10+), hints, or the data.
///
/// Metadata is a help, not a need, where the cluster says no for good (400, 403, 404, or a 500 it
/// does not ask to retry: a user who may search a worksheet but not read its definition, an old
/// build): the export goes on, typed from the data, and says so. Any other failure (the cluster unreachable after retries, a broken answer) is an error:
/// typing tonight's columns from the data because of a passing outage would change the schema.
pub async fn source_metadata(
    client: &Client,
    source: &TableSource,
) -> Result<Vec<ColumnMetadata>, ReadError> {
    let TableSource::Search(request) = source else {
        return Ok(Vec::new());
    };
    let columns: Result<Vec<ColumnDetails>, ApiError> = match client.data_api().await? {
        ApiVersion::V1 => client
            .metadata_details(ObjectType::LogicalTable, &[&request.data_source], true)
            .await
            .map(|details| details.into_iter().flat_map(|d| d.columns).collect()),
        ApiVersion::V2 => client.table_columns_v2(&request.data_source).await,
    };
    match columns {
        Ok(columns) => Ok(columns
            .into_iter()
            .map(|c| ColumnMetadata {
                name: c.name,
                data_type: c.data_type,
            })
            .collect()),
        Err(
            error @ ApiError::Api {
                status: 400 | 403 | 404 | 500,
                ..
            },
        ) => {
            tracing::warn!(%error, "cannot read the data source's column types; typing columns from the data");
            Ok(Vec::new())
        }
        Err(error) => Err(error.into()),
    }
}

/// The runtime sort and parameters of a read, for a request that may have its own.
struct Runtime {
    sort: Vec<SortBy>,
    params: Vec<(String, ParamValue)>,
}

impl Runtime {
    /// `own` (the request's) then the options', with dates at midnight in `zone`.
    fn of(
        own_sort: &[SortBy],
        own_params: &[(String, ParamValue)],
        options: &ReadOptions,
        zone: Tz,
    ) -> Self {
        Runtime {
            sort: own_sort.iter().chain(&options.sort).cloned().collect(),
            params: own_params
                .iter()
                .chain(&options.params)
                .map(|(name, value)| (name.clone(), value.in_zone(zone)))
                .collect(),
        }
    }

    /// Through v1 the options do not exist: refused, naming them, rather than read without them
    /// (an export sorted or parameterised otherwise than asked looks right and is not).
    fn check(&self, api: ApiVersion) -> Result<(), ReadError> {
        if api == ApiVersion::V2 || (self.sort.is_empty() && self.params.is_empty()) {
            return Ok(());
        }
        let asked = match (self.sort.is_empty(), self.params.is_empty()) {
            (false, false) => "a runtime sort (`sort`) and parameter overrides (`params`)",
            (false, true) => "a runtime sort (`sort`)",
            _ => "parameter overrides (`params`)",
        };
        Err(ReadError::Config(format!(
            "{asked}: REST API v1 has no such option, and this export reads through v1. Read through \
             v2: `--api v2` on the command line, `api = \"v2\"` in a job file's [connection]"
        )))
    }
}

/// The pages of `source` through `api`, with the options' runtime sort and parameters.
fn page_stream(
    client: &Client,
    source: &TableSource,
    options: &ReadOptions,
    zone: Tz,
    api: ApiVersion,
) -> Result<BoxStream<'static, Result<PageAt, PagerError>>, ReadError> {
    let config = options.pager.clone();
    Ok(match source {
        TableSource::Search(request) => {
            let runtime = Runtime::of(&request.sort, &request.params, options, zone);
            runtime.check(api)?;
            let request = SearchRequest {
                sort: runtime.sort,
                params: runtime.params,
                ..request.clone()
            };
            pager::search_pages(client.clone(), request, config, api).boxed()
        }
        TableSource::Viz { pinboard, viz } => {
            let runtime = Runtime::of(&[], &[], options, zone);
            runtime.check(api)?;
            let request = PinboardRequest {
                sort: runtime.sort,
                params: runtime.params,
                ..PinboardRequest::new(pinboard.clone())
            };
            pager::viz_request_pages(client.clone(), request, viz.clone(), config, api).boxed()
        }
        TableSource::Answer(request) => {
            if api == ApiVersion::V1 {
                return Err(ReadError::Config(format!(
                    "answer '{}': saved Answers can only be read through REST API v2, and this \
                     export reads through v1. Read through v2 (the `api` setting: v2, or auto on a cluster that serves v2)",
                    request.answer
                )));
            }
            let runtime = Runtime::of(&request.sort, &request.params, options, zone);
            let request = AnswerRequest {
                sort: runtime.sort,
                params: runtime.params,
                ..request.clone()
            };
            pager::answer_pages(client.clone(), request, config).boxed()
        }
        // `open` reads logs through `crate::logs`: they come in time spans, not pages.
        TableSource::Log(request) => {
            return Err(ReadError::Internal {
                task: "paging",
                reason: format!("the {} log has no pages", request.log_type),
            })
        }
    })
}

/// Opens a read: the first page decides the schema, then every page is decoded in order, up to
/// `in_flight` (at most the cores) at once on blocking threads.
pub async fn open(
    client: &Client,
    source: &TableSource,
    options: &ReadOptions,
    metadata: &[ColumnMetadata],
    zone: Tz,
) -> Result<RecordBatchStream, ReadError> {
    if let TableSource::Log(request) = source {
        if !options.sort.is_empty() || !options.params.is_empty() {
            return Err(ReadError::Config(format!(
                "the {} log comes in time order and has no parameters: drop `sort` and `params` \
                 (--sort, --param) from this export",
                request.log_type
            )));
        }
        return crate::logs::open(client, request, zone, options.pager.allow_incomplete).await;
    }
    let api = client.data_api().await?;
    let mut pages = page_stream(client, source, options, zone, api)?;
    let first = match pages.next().await {
        Some(page) => page?,
        None => return Err(ReadError::NoPage),
    };
    let names = first.page.counters.column_names.clone();
    let bytes = first.page.bytes.clone();
    let facts = tokio::task::spawn_blocking(move || first_page(&bytes, &names))
        .await
        .map_err(|e| ReadError::Internal {
            task: "a decode task",
            reason: e.to_string(),
        })??;
    let mut table = resolve(
        &first.page.counters.column_names,
        &options.hints,
        &facts.details,
        metadata,
        &facts.inferred,
        zone,
    )?;
    for column in &mut table.columns {
        if column.type_source == TypeSource::Hint {
            continue;
        }
        if let Some(fixed) = options
            .fixed_types
            .get(&column.name)
            .filter(|t| **t != column.column_type)
        {
            column.column_type = *fixed;
            column.type_source = TypeSource::Data;
        }
    }
    let decoder = Arc::new(PageDecoder::new(table.clone()));
    let schema = decoder.arrow_schema();
    // Decoding is CPU work: more pages at once than cores only holds more of them in memory. The
    // pages requested ahead (`in_flight`) wait in the pager, their requests already sent.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let in_flight = options.pager.in_flight.clamp(1, cores.max(2));
    let decoded = stream::once(async move { Ok(first) })
        .chain(pages)
        .map(move |page| {
            let decoder = decoder.clone();
            async move {
                let page = page?;
                let bytes = page.page.bytes.clone();
                // Row numbers in messages count from the page's first row, its overlap row included.
                let first_row = page.offset - u64::from(page.overlap);
                let batch = tokio::task::spawn_blocking(move || decoder.decode(&bytes, first_row))
                    .await
                    .map_err(|e| ReadError::Internal {
                        task: "a decode task",
                        reason: e.to_string(),
                    })?;
                Ok::<_, ReadError>((page, batch))
            }
        })
        .buffered(in_flight);
    let allow_incomplete = options.pager.allow_incomplete;
    let stats = decoded.scan(Seam::default(), move |seam, item| {
        let result = item.and_then(|(page, batch)| {
            let batch = batch.map_err(|error| match error {
                DecodeError::Misfits { misfits } => ReadError::Misfits { misfits },
                other => ReadError::Decode(other),
            })?;
            let batch = seam.join(batch, &page, allow_incomplete)?;
            let stats = &mut seam.stats;
            stats.pages += 1;
            stats.rows += batch.num_rows() as u64;
            stats.bytes += page.page.bytes.len() as u64;
            let counters = &page.page.counters;
            if let Some(total) = counters.total_row_count.filter(|t| *t >= 0.0) {
                stats.rows_expected = Some(stats.rows_expected.unwrap_or(0).max(total as u64));
            }
            let ratio = counters.sampling_ratio.unwrap_or(1.0);
            stats.sampling_ratio = if stats.pages == 1 {
                ratio
            } else {
                stats.sampling_ratio.min(ratio)
            };
            Ok(DecodedPage {
                batch,
                stats: stats.clone(),
            })
        });
        futures_util::future::ready(Some(result))
    });
    Ok(RecordBatchStream {
        schema,
        table,
        inner: run_ahead(stats.boxed(), in_flight),
    })
}

/// The running state of a read: its statistics, and the last row handed out, for the next page's
/// overlap row to be checked against (`crate::pager::Seams::Overlapped`).
#[derive(Default)]
struct Seam {
    stats: PageStats,
    /// A copy of the last row (a slice would keep its whole batch alive).
    last_row: Option<RecordBatch>,
}

impl Seam {
    /// `batch` without its overlap row, once that row is found to be the last one handed out; then
    /// remembers `batch`'s last row.
    fn join(
        &mut self,
        batch: RecordBatch,
        page: &PageAt,
        allow_incomplete: bool,
    ) -> Result<RecordBatch, ReadError> {
        let batch = if page.overlap && batch.num_rows() > 0 {
            let repeated = batch.slice(0, 1);
            let matches = self.last_row.as_ref().is_none_or(|last| {
                last.columns()
                    .iter()
                    .zip(repeated.columns())
                    .all(|(a, b)| a.to_data() == b.to_data())
            });
            if !matches && !allow_incomplete {
                return Err(ReadError::Pager(PagerError::Incomplete {
                    expected: self.stats.rows_expected.unwrap_or(0),
                    received: self.stats.rows,
                    reason: format!(
                        "the row before offset {} changed between pages: rows were inserted or deleted while paging",
                        page.offset
                    ),
                }));
            }
            batch.slice(1, batch.num_rows() - 1)
        } else {
            batch
        };
        if batch.num_rows() > 0 {
            let last = batch.slice(batch.num_rows() - 1, 1);
            self.last_row = Some(
                arrow_select::concat::concat_batches(&last.schema(), [&last]).map_err(|e| {
                    ReadError::Internal {
                        task: "keeping the last row",
                        reason: e.to_string(),
                    }
                })?,
            );
        }
        Ok(batch)
    }
}

/// Drives `stream` on its own task, up to `ahead` items ahead of the consumer. Streams only make
/// progress while polled, so without this the next pages would wait (their HTTP bodies unread,
/// their decoding unstarted) whenever the consumer is busy, say encoding Parquet; with it, fetching,
/// decoding and the consumer's work overlap. Memory stays bounded by `ahead`. Dropping the returned
/// stream stops the task.
fn run_ahead<T: Send + 'static>(
    mut stream: BoxStream<'static, T>,
    ahead: usize,
) -> BoxStream<'static, T> {
    let (sender, receiver) = tokio::sync::mpsc::channel(ahead.max(1));
    tokio::spawn(async move {
        while let Some(item) = stream.next().await {
            if sender.send(item).await.is_err() {
                break;
            }
        }
    });
    stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
    .boxed()
}

/// What the user can do about a value that does not fit.
fn advice_for(misfit: &Misfit) -> String {
    match (misfit.type_source, misfit.widened) {
        (TypeSource::Hint, _) => format!(
            "Change or drop the type hint for '{}'",
            misfit.column
        ),
        (_, Some(wider)) => format!(
            "Add a type hint such as \"{}={wider}\", or let the export widen the column (`on_drift` widen)",
            misfit.column
        ),
        (_, None) => format!(
            "No column type can hold this value; report it with the query, or hint '{}' as string",
            misfit.column
        ),
    }
}

impl ReadError {
    /// The kind of this failure, for exit codes and reports.
    pub fn kind(&self) -> crate::failure::FailureKind {
        use crate::failure::FailureKind as K;
        match self {
            ReadError::Pager(PagerError::Api(api)) => api.kind(),
            ReadError::Pager(PagerError::Incomplete { .. } | PagerError::Sampled { .. }) => {
                K::Incomplete
            }
            ReadError::Pager(PagerError::Config(_)) | ReadError::Hint(_) | ReadError::Config(_) => {
                K::Usage
            }
            ReadError::NoPage => K::Server,
            ReadError::Internal { .. } => K::Other,
            // A page tsexport cannot read, as any other response it cannot read (`api::Error::Decode`).
            ReadError::Decode(_) => K::Other,
            ReadError::Misfits { .. } => K::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;

    /// A scheduler chooses between fixing flags, retrying later and calling someone by the kind:
    /// a server that sends nothing is the server's, a crashed task is tsexport's, and only what the
    /// user configured is usage.
    #[test]
    fn each_read_failure_has_the_kind_a_scheduler_acts_on() {
        let cases = [
            (ReadError::NoPage, FailureKind::Server),
            (
                ReadError::Internal {
                    task: "a decode task",
                    reason: "task 7 panicked".into(),
                },
                FailureKind::Other,
            ),
            (
                ReadError::Config("an Answer through v1".into()),
                FailureKind::Usage,
            ),
            (
                ReadError::Hint(HintError::NoEquals("Amount".into())),
                FailureKind::Usage,
            ),
            (
                ReadError::Pager(PagerError::Config("page size 0".into())),
                FailureKind::Usage,
            ),
            (
                ReadError::Pager(PagerError::Sampled { ratio: 0.5 }),
                FailureKind::Incomplete,
            ),
            (
                ReadError::Decode(DecodeError::Malformed {
                    first_row: 0,
                    reason: "not JSON".into(),
                }),
                FailureKind::Other,
            ),
            (
                ReadError::Misfits {
                    misfits: Vec::new(),
                },
                FailureKind::Other,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error:?}");
        }
        assert!(!ReadError::NoPage.to_string().contains("--"));
    }
}
