//! `tsexport.Emulator`: the embedded ThoughtSpot emulator, started in this process on a free port,
//! so users test their own pipelines over real HTTP without a cluster.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use tsexport_emulator::{Endpoint, FaultPlan, Profile, V2Endpoint};

use crate::errors::usage;
use crate::wait::wait;

/// A ThoughtSpot emulator serving REST v1 and (with the `modern` profile) the v2 data calls on
/// `url`, from seeded data: the Retail Sales worksheet with `rows` rows, the Retail Overview
/// pinboard, and the users of the README (`tsadmin` / `admin`). `settings` overrides profile
/// settings (`{"max_page_size": 1000}`); `faults` is a fault plan as TOML text, or a path to one.
/// Use it as a context manager, or call `close()`.
#[pyclass(module = "tsexport", frozen)]
pub(crate) struct Emulator {
    running: Mutex<Option<tsexport_emulator::Emulator>>,
    url: String,
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (
        rows = 1_000_000, *, seed = 42, profile = "modern", settings = None, faults = None,
        time_zone = "America/Chicago",
    ))]
    fn new(
        py: Python<'_>,
        rows: u64,
        seed: u64,
        profile: &str,
        settings: Option<&Bound<'_, PyDict>>,
        faults: Option<&Bound<'_, PyAny>>,
        time_zone: &str,
    ) -> PyResult<Self> {
        let base = match profile {
            "v2021" => Profile::v2021(),
            "modern" => Profile::modern(),
            other => {
                return Err(usage(format!(
                    "profile={other:?}: use \"v2021\" (clusters of 2020-22, REST v1) or \"modern\""
                )))
            }
        };
        let overrides = match settings {
            Some(settings) => settings
                .iter()
                .map(|(key, value)| Ok(format!("{key}={}", setting_value(&value)?)))
                .collect::<PyResult<Vec<String>>>()?,
            None => Vec::new(),
        };
        let profile = base
            .with_overrides(overrides.iter().map(String::as_str))
            .map_err(|e| usage(format!("settings: {e}")))?;
        let faults = match faults {
            None => FaultPlan::default(),
            Some(given) if given.hasattr("__fspath__")? => {
                let path: std::path::PathBuf = given.extract()?;
                FaultPlan::from_file(&path).map_err(|e| usage(e.to_string()))?
            }
            Some(given) => FaultPlan::from_toml(&given.extract::<String>()?)
                .map_err(|e| usage(format!("faults: {e}")))?,
        };
        let builder = tsexport_emulator::Emulator::builder()
            .bind(([127, 0, 0, 1], 0).into())
            .profile(profile)
            .rows(rows)
            .seed(seed)
            .faults(faults)
            .timezone(time_zone.to_string());
        let emulator = wait(py, || builder.start())?.map_err(|e| {
            crate::errors::Error::new_err(format!("cannot start the emulator: {e}"))
        })?;
        Ok(Emulator {
            url: emulator.base_url(),
            running: Mutex::new(Some(emulator)),
        })
    }

    /// The address to give `tsexport.Client` (and any HTTP client).
    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// The default login's user name.
    #[getter]
    fn username(&self) -> &'static str {
        tsexport_emulator::DEFAULT_USERNAME
    }

    /// The default login's password.
    #[getter]
    fn password(&self) -> &'static str {
        tsexport_emulator::DEFAULT_PASSWORD
    }

    /// Requests received by an endpoint, named as in fault plans: a v1 path after
    /// `/tspublic/v1/` (`"searchdata"`, `"session/login"`) or a v2 one (`"v2/searchdata"`).
    fn request_count(&self, endpoint: &str) -> PyResult<u64> {
        let guard = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let emulator = guard
            .as_ref()
            .ok_or_else(|| usage("the emulator is closed"))?;
        if let Some(v1) = Endpoint::from_path(endpoint) {
            return Ok(emulator.request_count(v1));
        }
        if let Some(v2) = V2Endpoint::from_rule_name(endpoint) {
            return Ok(emulator.request_count(v2));
        }
        Err(usage(format!(
            "no endpoint {endpoint:?}: name a v1 path such as \"searchdata\" or a v2 one such as \"v2/searchdata\""
        )))
    }

    /// Stops serving. Closing twice does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(emulator) = running {
            wait(py, || emulator.shutdown())?;
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("tsexport.Emulator(url={:?})", self.url)
    }
}

/// A setting's value as `--set KEY=VALUE` takes it: `True` is `true`, anything else its `str()`.
fn setting_value(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(flag) = value.extract::<bool>() {
        return Ok(flag.to_string());
    }
    Ok(value.str()?.to_string())
}
