//! Picking a pinboard's vizzes by id or by name: the one rule that exports, job files and the
//! command line share.
//!
//! The rule, for each viz asked for:
//! - a viz whose id is exactly the text is that viz (ids are unique, so an id never is ambiguous and
//!   wins over a viz that happens to be *named* like another's id);
//! - else the vizzes whose name is exactly the text (case-sensitive, no trimming): one is that viz;
//!   several is an error listing their ids ([`VizSelectionError::Ambiguous`]); none is an error
//!   naming the text and listing the pinboard's vizzes ([`VizSelectionError::Unknown`]).
//!
//! Nothing asked for means every viz with data. A viz asked for twice (by id and by name, say) is
//! taken once, where it was first asked for. Only vizzes that hold data can be picked (see
//! [`crate::read::pinboard_vizzes`]): a filter is not a viz one can export.

use crate::api::{Client, Error as ApiError};
use crate::failure::FailureKind;
use crate::read::{pinboard_vizzes, DataViz};

/// Why the vizzes asked for cannot be picked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VizSelectionError {
    /// No viz has this id or name.
    #[error(
        "pinboard '{pinboard}' has no viz with id or exact name '{wanted}'; its vizzes are: {}",
        list(available)
    )]
    Unknown {
        /// The pinboard, as given (id or name).
        pinboard: String,
        /// The text asked for: a viz id or exact name.
        wanted: String,
        /// The vizzes the pinboard has, as `(id, name)`.
        available: Vec<(String, String)>,
    },
    /// Several vizzes have this name; pick one by id.
    #[error("'{wanted}' names {} vizzes of pinboard '{pinboard}'; give one of their ids: {}", ids.len(), ids.join(", "))]
    Ambiguous {
        /// The pinboard, as given (id or name).
        pinboard: String,
        /// The name several vizzes share.
        wanted: String,
        /// The ids of the vizzes that have it.
        ids: Vec<String>,
    },
    /// Listing the pinboard's vizzes failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl VizSelectionError {
    /// The kind of this failure: asking for a viz that is not there (or not uniquely) is a usage
    /// error; a failed listing has the kind of its API error.
    pub fn kind(&self) -> FailureKind {
        match self {
            VizSelectionError::Api(error) => error.kind(),
            _ => FailureKind::Usage,
        }
    }
}

fn list(available: &[(String, String)]) -> String {
    if available.is_empty() {
        return "none with data".into();
    }
    available
        .iter()
        .map(|(id, name)| format!("'{name}' ({id})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The vizzes of `available` that `wanted` names, by the rule of this module, in the order asked
/// for; every viz of `available` when `wanted` is empty. `pinboard` only names the pinboard in
/// errors.
pub fn select_vizzes(
    pinboard: &str,
    available: &[DataViz],
    wanted: &[String],
) -> Result<Vec<DataViz>, VizSelectionError> {
    if wanted.is_empty() {
        return Ok(available.to_vec());
    }
    let mut chosen: Vec<DataViz> = Vec::with_capacity(wanted.len());
    for text in wanted {
        let viz = match available.iter().find(|v| v.id == *text) {
            Some(viz) => viz,
            None => {
                let named: Vec<&DataViz> = available.iter().filter(|v| v.name == *text).collect();
                match named[..] {
                    [one] => one,
                    [] => {
                        return Err(VizSelectionError::Unknown {
                            pinboard: pinboard.to_string(),
                            wanted: text.clone(),
                            available: available
                                .iter()
                                .map(|v| (v.id.clone(), v.name.clone()))
                                .collect(),
                        })
                    }
                    _ => {
                        return Err(VizSelectionError::Ambiguous {
                            pinboard: pinboard.to_string(),
                            wanted: text.clone(),
                            ids: named.iter().map(|v| v.id.clone()).collect(),
                        })
                    }
                }
            }
        };
        if !chosen.iter().any(|c| c.id == viz.id) {
            chosen.push(viz.clone());
        }
    }
    Ok(chosen)
}

/// Lists the vizzes with data of the pinboard with id `pinboard` and picks those `wanted` names
/// (see [`select_vizzes`]); `label` names the pinboard in errors (its name, or its id).
pub async fn pinboard_vizzes_named(
    client: &Client,
    pinboard: &str,
    label: &str,
    wanted: &[String],
) -> Result<Vec<DataViz>, VizSelectionError> {
    let available = pinboard_vizzes(client, pinboard).await?;
    select_vizzes(label, &available, wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viz(id: &str, name: &str) -> DataViz {
        DataViz {
            id: id.into(),
            name: name.into(),
        }
    }

    fn wanted(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn ids_win_names_match_exactly_and_each_viz_is_taken_once() {
        let available = [viz("a1", "Sales"), viz("b2", "a1"), viz("c3", "Costs")];
        let ids = |chosen: Vec<DataViz>| chosen.into_iter().map(|v| v.id).collect::<Vec<_>>();
        assert_eq!(
            ids(select_vizzes("p", &available, &[]).unwrap()),
            ["a1", "b2", "c3"]
        );
        assert_eq!(
            ids(select_vizzes("p", &available, &wanted(&["a1"])).unwrap()),
            ["a1"]
        );
        assert_eq!(
            ids(select_vizzes("p", &available, &wanted(&["Costs", "Sales", "a1"])).unwrap()),
            ["c3", "a1"]
        );
        let error = select_vizzes("p", &available, &wanted(&["sales"])).unwrap_err();
        assert!(
            matches!(error, VizSelectionError::Unknown { .. }),
            "{error}"
        );
    }
}
