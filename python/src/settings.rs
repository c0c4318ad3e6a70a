//! Keyword arguments as the library's [`Settings`]: the one place Python's arguments become
//! options, checked by the same [`ExportOptions::from_settings`] as job files and flags, so every
//! limit and message is theirs.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tsexport::decode::TypeHint;
use tsexport::export::{ExportOptions, Settings};

use crate::errors::usage;

/// The arguments every read and export takes.
#[derive(Debug, Default)]
pub(crate) struct ReadArgs {
    pub(crate) types: Vec<TypeHint>,
    pub(crate) page_size: Option<u64>,
    pub(crate) in_flight: Option<usize>,
    pub(crate) allow_sampled: bool,
    pub(crate) allow_incomplete: bool,
    pub(crate) time_zone: Option<String>,
}

impl ReadArgs {
    /// The read arguments of `Client.search`, `pinboard`, `answer` and `export`, as Python gave them.
    pub(crate) fn new(
        types: Option<&Bound<'_, PyAny>>,
        page_size: Option<u64>,
        in_flight: Option<usize>,
        allow_sampled: bool,
        allow_incomplete: bool,
        time_zone: Option<String>,
    ) -> PyResult<Self> {
        Ok(ReadArgs {
            types: type_hints(types)?,
            page_size,
            in_flight,
            allow_sampled,
            allow_incomplete,
            time_zone,
        })
    }

    /// The library settings these arguments stand for.
    pub(crate) fn settings(&self) -> PyResult<Settings> {
        Ok(Settings {
            types: self.types.clone(),
            page_size: self.page_size,
            in_flight: self.in_flight,
            allow_sampled: Some(self.allow_sampled),
            allow_incomplete: Some(self.allow_incomplete),
            time_zone: self
                .time_zone
                .as_deref()
                .map(|zone| parse("time_zone", zone))
                .transpose()?,
            ..Settings::default()
        })
    }
}

/// Column types as `{"Order Date": "date"}` or `["Order Date=date"]`.
fn type_hints(types: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<TypeHint>> {
    let Some(types) = types else {
        return Ok(Vec::new());
    };
    let given: Vec<String> = if let Ok(map) = types.cast::<PyDict>() {
        map.iter()
            .map(|(column, kind)| {
                Ok(format!(
                    "{}={}",
                    column.extract::<String>()?,
                    kind.extract::<String>()?
                ))
            })
            .collect::<PyResult<_>>()?
    } else if types.is_instance_of::<PyString>() {
        return Err(usage(
            "types must be a dict of column to type, or a list of \"COLUMN=TYPE\" strings, not one string",
        ));
    } else {
        types.extract()?
    };
    given
        .iter()
        .map(|hint| {
            hint.parse::<TypeHint>()
                .map_err(|e| usage(format!("types: {e}")))
        })
        .collect()
}

/// A setting parsed by the library's own parser; a bad value is a usage error naming the argument.
pub(crate) fn parse<T>(name: &str, given: &str) -> PyResult<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    given
        .parse()
        .map_err(|e| usage(format!("{name}={given:?}: {e}")))
}

/// Checks `settings` for `destination` as every other caller's are checked.
pub(crate) fn options(settings: &Settings, destination: &str) -> PyResult<ExportOptions> {
    ExportOptions::from_settings(settings, destination).map_err(|e| usage(e.to_string()))
}
