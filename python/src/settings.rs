//! Keyword arguments as the library's [`Settings`]: the one place Python's arguments become
//! options, checked by the same [`ExportOptions::from_settings`] as job files and flags, so every
//! limit and message is theirs.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use tsexport::api::{ParamValue, SortBy};
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
    pub(crate) sort: Vec<SortBy>,
    pub(crate) params: Vec<(String, ParamValue)>,
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
            ..ReadArgs::default()
        })
    }

    /// The runtime sort (`"Sales:desc"` or a list of them) and parameter overrides (a dict of name
    /// to bool, int, float, str or `datetime.date`) Python gave; REST v2 only.
    pub(crate) fn runtime(
        mut self,
        sort: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        if let Some(sort) = sort {
            let given: Vec<String> = if sort.is_instance_of::<PyString>() {
                vec![sort.extract()?]
            } else {
                sort.extract()?
            };
            self.sort = given
                .iter()
                .map(|s| s.parse::<SortBy>().map_err(|e| usage(e.to_string())))
                .collect::<PyResult<_>>()?;
        }
        for (name, value) in params.into_iter().flat_map(|p| p.iter()) {
            let name: String = name.extract()?;
            self.params
                .push((name.clone(), param_value(&name, &value)?));
        }
        Ok(self)
    }

    /// The library settings these arguments stand for.
    pub(crate) fn settings(&self) -> PyResult<Settings> {
        Ok(Settings {
            types: self.types.clone(),
            page_size: self.page_size,
            in_flight: self.in_flight.map(tsexport::api::InFlight::Fixed),
            allow_sampled: Some(self.allow_sampled),
            allow_incomplete: Some(self.allow_incomplete),
            time_zone: self
                .time_zone
                .as_deref()
                .map(|zone| parse("time_zone", zone))
                .transpose()?,
            sort: self.sort.clone(),
            params: self.params.clone(),
            ..Settings::default()
        })
    }
}

/// A parameter's value as Python typed it; a `YYYY-MM-DD` string is a date, as in job files.
fn param_value(name: &str, value: &Bound<'_, PyAny>) -> PyResult<ParamValue> {
    // bool before int: Python's bool is an int.
    if value.is_instance_of::<PyBool>() {
        return Ok(ParamValue::Bool(value.extract()?));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(ParamValue::Int(value.extract()?));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(ParamValue::Float(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        let text: String = value.extract()?;
        return Ok(match ParamValue::from_text(&text) {
            date @ ParamValue::Date(_) => date,
            _ => ParamValue::Text(text),
        });
    }
    // A `datetime.date` (not a datetime, whose isoformat holds a time) by its ISO text.
    if let Ok(iso) = value.call_method0("isoformat") {
        if let Some(day) =
            iso.extract::<String>()
                .ok()
                .and_then(|t| match ParamValue::from_text(&t) {
                    ParamValue::Date(day) => Some(day),
                    _ => None,
                })
        {
            return Ok(ParamValue::Date(day));
        }
    }
    Err(usage(format!(
        "params[{name:?}]: give a bool, int, float, str or datetime.date"
    )))
}

/// A day given as `datetime.date` or `"YYYY-MM-DD"` (a `datetime` is refused: its time would be
/// dropped).
pub(crate) fn day(name: &str, value: &Bound<'_, PyAny>) -> PyResult<chrono::NaiveDate> {
    let text: Option<String> = if value.is_instance_of::<PyString>() {
        value.extract().ok()
    } else {
        value
            .call_method0("isoformat")
            .and_then(|iso| iso.extract())
            .ok()
    };
    text.as_deref()
        .and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .ok_or_else(|| usage(format!("{name}: give a datetime.date or \"YYYY-MM-DD\"")))
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
