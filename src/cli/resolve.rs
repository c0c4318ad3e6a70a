//! Objects named on the command line by id or by exact name.

use crate::api::{Client, FindError, ObjectHeader, ObjectType, SubType};

use super::CliError;

/// Finds the one object of `object_type` (and `subtypes`, if any) whose id or exact name is `given`.
pub(crate) async fn object(
    client: &Client,
    object_type: ObjectType,
    subtypes: &[SubType],
    given: &str,
) -> Result<ObjectHeader, CliError> {
    client
        .find_object(object_type, subtypes, given)
        .await
        .map_err(|e| match e {
            FindError::Api(e) => e.into(),
            other => CliError::usage(other.to_string()),
        })
}

/// The ids of the vizzes `given` by id or exact name on pinboard `id` (named `name` in errors), by
/// the rule of [`crate::select`].
pub(crate) async fn viz_ids(
    client: &Client,
    id: &str,
    name: &str,
    given: &[String],
) -> Result<Vec<String>, CliError> {
    if given.is_empty() {
        return Ok(Vec::new());
    }
    let vizzes = crate::select::pinboard_vizzes_named(client, id, name, given)
        .await
        .map_err(|e| CliError::of_kind(e.kind(), e.to_string()))?;
    Ok(vizzes.into_iter().map(|v| v.id).collect())
}
