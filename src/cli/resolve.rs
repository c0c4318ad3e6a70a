//! Objects named on the command line by id or by exact name.

use tsexport::api::{Client, FindError, ObjectHeader, ObjectType, SubType};

use super::CliError;

/// Finds the one object of `object_type` (and `subtypes`, if any) whose id or exact name is `given`.
pub async fn object(
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

/// The ids of the vizzes `given` by id or exact name on pinboard `id` (among those with data).
pub async fn viz_ids(
    client: &Client,
    id: &str,
    name: &str,
    given: &[String],
) -> Result<Vec<String>, CliError> {
    if given.is_empty() {
        return Ok(Vec::new());
    }
    let vizzes = tsexport::read::pinboard_vizzes(client, id).await?;
    given
        .iter()
        .map(|wanted| {
            let found: Vec<&str> = vizzes
                .iter()
                .filter(|v| v.id == *wanted || v.name == *wanted)
                .map(|v| v.id.as_str())
                .collect();
            match found[..] {
                [one] => Ok(one.to_string()),
                [] => Err(CliError::usage(format!(
                    "pinboard '{name}' has no visualization with id or exact name '{wanted}'; \
                     `tsexport ls vizzes {id}` lists them"
                ))),
                _ => Err(CliError::usage(format!(
                    "'{wanted}' names {} visualizations of pinboard '{name}'; give one of their ids: {}",
                    found.len(),
                    found.join(", ")
                ))),
            }
        })
        .collect()
}
