//! `tsexport.Client`: a connection to one cluster, resolved like the command line's, with its reads
//! as pyarrow streams and its metadata calls.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tsexport::api::{ListObjectHeaders, ObjectKind, ObjectType, Secret};
use tsexport::connect::Connection;
use tsexport::jobs::ConnectionSettings;
use tsexport::logs::LogRequest;
use tsexport::read::{Read, TableSource};

use crate::errors::{raise, usage};
use crate::json::to_python;
use crate::settings::{day, options, parse, ReadArgs};
use crate::stream::reader;
use crate::wait::wait;

/// A connection to a ThoughtSpot cluster. Unset arguments come from the same `TSEXPORT_*`
/// environment variables and config file as the command line; it signs in on first use.
/// `close()`, or leaving a `with` block, signs out and revokes the tokens it fetched.
#[pyclass(module = "tsexport", frozen)]
pub(crate) struct Client {
    pub(crate) inner: tsexport::api::Client,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        url = None, *, username = None, password = None, secret_key = None, token = None,
        api = None, ca_cert = None, timeout = None, retries = None, connection = None, config = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        url: Option<String>,
        username: Option<String>,
        password: Option<String>,
        secret_key: Option<String>,
        token: Option<String>,
        api: Option<&str>,
        ca_cert: Option<PathBuf>,
        timeout: Option<u64>,
        retries: Option<u32>,
        connection: Option<String>,
        config: Option<PathBuf>,
    ) -> PyResult<Self> {
        let connection = Connection {
            url,
            username,
            password: password.map(Secret::new),
            secret_key: secret_key.map(Secret::new),
            token: token.map(Secret::new),
            api: api.map(|api| parse("api", api)).transpose()?,
            ca_cert,
            timeout,
            retries,
            connection,
            config,
            ..Connection::default()
        };
        let resolved = connection
            .resolve(&ConnectionSettings::default(), None)
            .map_err(raise)?;
        // Calls adapt to what the cluster sustains, as the command line's `--in-flight auto` does; a
        // read's `in_flight` caps the pages it requests ahead within that.
        let inner = resolved
            .builder
            .adaptive_in_flight(tsexport::api::AdaptiveLimit::default())
            .build()
            .map_err(raise)?;
        Ok(Client { inner })
    }

    /// Signs out and revokes the bearer token the client fetched; the client can sign in again.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        wait(py, || self.inner.logout())?.map_err(raise)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    /// A search over a worksheet, table or view (by id or exact name), as a
    /// `pyarrow.RecordBatchReader`.
    #[pyo3(signature = (
        query, source, *, types = None, page_size = None, in_flight = None,
        allow_sampled = false, allow_incomplete = false, time_zone = None, sort = None, params = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: String,
        source: String,
        types: Option<&Bound<'py, PyAny>>,
        page_size: Option<u64>,
        in_flight: Option<usize>,
        allow_sampled: bool,
        allow_incomplete: bool,
        time_zone: Option<String>,
        sort: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = ReadArgs::new(
            types,
            page_size,
            in_flight,
            allow_sampled,
            allow_incomplete,
            time_zone,
        )?
        .runtime(sort, params)?;
        let client = &self.inner;
        let source = wait(py, || {
            client.find_object(ObjectType::LogicalTable, &[], &source)
        })?
        .map_err(raise)?;
        self.read(py, client.search(query, source.id), &args)
    }

    /// One viz of a pinboard (liveboard), both by id or exact name, as a
    /// `pyarrow.RecordBatchReader`.
    #[pyo3(signature = (
        pinboard, *, viz, types = None, page_size = None, in_flight = None,
        allow_sampled = false, allow_incomplete = false, time_zone = None, sort = None, params = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn pinboard<'py>(
        &self,
        py: Python<'py>,
        pinboard: String,
        viz: String,
        types: Option<&Bound<'py, PyAny>>,
        page_size: Option<u64>,
        in_flight: Option<usize>,
        allow_sampled: bool,
        allow_incomplete: bool,
        time_zone: Option<String>,
        sort: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = ReadArgs::new(
            types,
            page_size,
            in_flight,
            allow_sampled,
            allow_incomplete,
            time_zone,
        )?
        .runtime(sort, params)?;
        let client = &self.inner;
        let board = wait(py, || {
            client.find_object(ObjectType::Pinboard, &[], &pinboard)
        })?
        .map_err(raise)?;
        let given = [viz];
        let vizzes = wait(py, || {
            tsexport::select::pinboard_vizzes_named(client, &board.id, &board.name, &given)
        })?
        .map_err(raise)?;
        let [viz] = <[_; 1]>::try_from(vizzes).map_err(|found| {
            usage(format!(
                "viz {:?} names {} vizzes of pinboard '{}': give its id",
                given[0],
                found.len(),
                board.name
            ))
        })?;
        let source = TableSource::Viz {
            pinboard: board.id,
            viz: viz.id,
        };
        self.read(py, client.read(source), &args)
    }

    /// A saved Answer (by id or exact name; REST API v2), as a `pyarrow.RecordBatchReader`.
    #[pyo3(signature = (
        answer, *, types = None, page_size = None, in_flight = None,
        allow_sampled = false, allow_incomplete = false, time_zone = None, sort = None, params = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        answer: String,
        types: Option<&Bound<'py, PyAny>>,
        page_size: Option<u64>,
        in_flight: Option<usize>,
        allow_sampled: bool,
        allow_incomplete: bool,
        time_zone: Option<String>,
        sort: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = ReadArgs::new(
            types,
            page_size,
            in_flight,
            allow_sampled,
            allow_incomplete,
            time_zone,
        )?
        .runtime(sort, params)?;
        let client = &self.inner;
        let found =
            wait(py, || client.find_object(ObjectType::Answer, &[], &answer))?.map_err(raise)?;
        self.read(py, client.answer(found.id), &args)
    }

    /// ThoughtSpot's security audit log (`log`, REST v2 `logs/fetch`; the user needs the
    /// ADMINISTRATION privilege) from midnight of `start` to midnight of `end` (default: now), days
    /// in `time_zone` (default: the cluster's), as a `pyarrow.RecordBatchReader` of one batch per
    /// span of at most 24 hours, oldest first.
    #[pyo3(signature = (
        start, end = None, *, log = "security_audit", allow_incomplete = false, time_zone = None,
    ))]
    fn logs<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: Option<&Bound<'py, PyAny>>,
        log: &str,
        allow_incomplete: bool,
        time_zone: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = ReadArgs::new(None, None, None, false, allow_incomplete, time_zone)?;
        let request = LogRequest {
            log_type: parse("log", log)?,
            from: day("start", start)?,
            to: end.map(|end| day("end", end)).transpose()?,
        };
        self.read(py, self.inner.read(TableSource::Log(request)), &args)
    }

    /// Object headers of a kind (`pinboards`, `answers`, `worksheets`, `tables`, `views`,
    /// `users`, `groups`), optionally only names matching a ThoughtSpot pattern (`%` for any
    /// text); `vizzes` lists the vizzes of the pinboard given as `pattern`.
    #[pyo3(signature = (kind, pattern = None))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        pattern: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: ObjectKind = parse("kind", kind)?;
        let client = &self.inner;
        let Some((object_type, subtypes)) = kind.object_type() else {
            let pinboard = pattern.ok_or_else(|| {
                usage("list(\"vizzes\", PINBOARD): give the pinboard's id or exact name")
            })?;
            let board = wait(py, || {
                client.find_object(ObjectType::Pinboard, &[], &pinboard)
            })?
            .map_err(raise)?;
            let vizzes = wait(py, || client.list_viz_headers(&board.id))?.map_err(raise)?;
            return to_python(py, &vizzes);
        };
        let mut request = ListObjectHeaders::default().subtypes(subtypes.iter().copied());
        if let Some(pattern) = pattern {
            request = request.pattern(pattern);
        }
        let headers =
            wait(py, || client.list_object_headers(object_type, &request))?.map_err(raise)?;
        to_python(py, &headers)
    }

    /// The columns of a worksheet, table or view (by id or exact name): name, data type, kind,
    /// aggregation.
    fn columns<'py>(&self, py: Python<'py>, source: String) -> PyResult<Bound<'py, PyAny>> {
        let client = &self.inner;
        let found = wait(py, || {
            client.find_object(ObjectType::LogicalTable, &[], &source)
        })?
        .map_err(raise)?;
        let ids = [found.id.as_str()];
        let details = wait(py, || {
            client.metadata_details(ObjectType::LogicalTable, &ids, false)
        })?
        .map_err(raise)?;
        let columns = details
            .into_iter()
            .next()
            .map(|d| d.columns)
            .unwrap_or_default();
        to_python(py, &columns)
    }

    /// The users and groups of the cluster (`user/list`).
    fn users<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let principals = wait(py, || self.inner.list_users())?.map_err(raise)?;
        to_python(py, &principals)
    }

    /// Writes a pinboard (by id or exact name) as a PDF to the file `out`; returns its size in
    /// bytes.
    fn pdf(&self, py: Python<'_>, pinboard: String, out: PathBuf) -> PyResult<u64> {
        let client = &self.inner;
        let board = wait(py, || {
            client.find_object(ObjectType::Pinboard, &[], &pinboard)
        })?
        .map_err(raise)?;
        let pdf_options = tsexport::api::PdfOptions::default();
        wait(py, || {
            client.export_pdf_to_file(&board.id, &pdf_options, &out)
        })?
        .map_err(raise)
    }
}

impl Client {
    /// Opens `read` with the arguments' options: the first page is fetched and the schema resolved
    /// before this returns.
    fn read<'py>(
        &self,
        py: Python<'py>,
        read: Read,
        args: &ReadArgs,
    ) -> PyResult<Bound<'py, PyAny>> {
        let read_options = options(&args.settings()?, "")?.read;
        let stream = wait(py, || read.options(read_options).batches())?.map_err(raise)?;
        reader(py, stream)
    }
}
