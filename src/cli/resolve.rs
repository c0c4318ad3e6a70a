//! Objects named on the command line by id or by exact name.

use tsexport::api::{Client, ListObjectHeaders, ObjectHeader, ObjectType, SubType};

use super::CliError;

/// A GUID: 36 characters of hex digits and four dashes.
fn looks_like_id(text: &str) -> bool {
    text.len() == 36
        && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && text.matches('-').count() == 4
}

/// Finds the one object of `object_type` (and `subtypes`, if any) whose id or exact name is `given`.
pub async fn object(
    client: &Client,
    object_type: ObjectType,
    subtypes: &[SubType],
    given: &str,
) -> Result<ObjectHeader, CliError> {
    let mut request = ListObjectHeaders::default().subtypes(subtypes.iter().copied());
    request = if looks_like_id(given) {
        request.fetch_ids([given])
    } else {
        request.pattern(given)
    };
    let mut found: Vec<ObjectHeader> = client
        .list_object_headers(object_type, &request)
        .await?
        .into_iter()
        .filter(|h| h.id == given || h.name == given)
        .collect();
    if found.len() > 1 {
        return Err(CliError::usage(format!(
            "'{given}' names {} objects of type {}; give one of their ids: {}",
            found.len(),
            object_type.as_str(),
            found
                .iter()
                .map(|h| h.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    found.pop().ok_or_else(|| {
        CliError::usage(format!(
            "no {} with id or exact name '{given}'; `tsexport ls` lists what there is",
            object_type.as_str()
        ))
    })
}

/// The ids of the vizzes `given` by id or exact name on pinboard `id`.
pub async fn viz_ids(
    client: &Client,
    id: &str,
    name: &str,
    given: &[String],
) -> Result<Vec<String>, CliError> {
    if given.is_empty() {
        return Ok(Vec::new());
    }
    let vizzes = client.list_viz_headers(id).await?;
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
