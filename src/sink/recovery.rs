//! The second half of a commit, and what the next run does about interrupted ones.
//!
//! A run is committed the moment its manifest exists in its staging folder. From then on it only
//! ever rolls forward: [`roll_forward`] removes `_SUCCESS`, deletes the files the new manifest
//! replaces (only files an earlier manifest lists: tsexport never deletes what it did not write),
//! moves the staged files to their final paths, writes the manifest and `_SUCCESS`, and deletes
//! the staging folder. Every step can be repeated, so a run killed anywhere in between is finished
//! by [`clear_leftovers`] at the start of the next run, which also deletes the staging folders of
//! runs that never reached their commit point.

use bytes::Bytes;

use super::error::SinkError;
use super::layout::{check_relative, is_run_id, Target};
use super::manifest::Manifest;
use super::options::WriteMode;
use super::storage::{join, Moved};

/// Makes the staged run described by `manifest` visible. Safe to repeat after an interruption.
pub(crate) async fn roll_forward(target: &Target, manifest: &Manifest) -> Result<(), SinkError> {
    let storage = &target.storage;
    let run_id = manifest.run_id.as_str();
    let run_dir = target.run_dir(run_id);
    if let Some(success) = target.success_path() {
        storage.delete(&success).await?;
    }
    if manifest.mode != WriteMode::Append.to_string() {
        delete_replaced_files(target, manifest).await?;
    }
    for file in manifest.files().filter(|file| file.run_id == run_id) {
        if let Err(reason) = check_relative(&file.path) {
            return Err(SinkError::RollForward {
                destination: target.shown.clone(),
                run_id: run_id.to_string(),
                staging: storage.describe(&run_dir),
                reason: format!("its manifest lists a file outside the destination: {reason}"),
            });
        }
        let staged = target.staged(run_id, &file.path);
        let moved = storage.rename(&staged, &file.path).await?;
        if moved == Moved::SourceMissing && !storage.exists(&file.path).await? {
            return Err(SinkError::RollForward {
                destination: target.shown.clone(),
                run_id: run_id.to_string(),
                staging: storage.describe(&run_dir),
                reason: format!(
                    "{} is neither staged nor at its final place",
                    storage.describe(&file.path)
                ),
            });
        }
    }
    storage
        .put(
            &target.manifest_path(),
            Bytes::from(manifest.to_json()),
            &join(&run_dir, "_manifest.json.tmp"),
        )
        .await?;
    if let Some(success) = target.success_path() {
        storage
            .put(&success, Bytes::new(), &join(&run_dir, "_SUCCESS.tmp"))
            .await?;
    }
    storage.delete_tree(&run_dir).await?;
    tracing::debug!(destination = %target.shown, run_id, "committed");
    Ok(())
}

/// Deletes the files of the manifest at the destination that the new manifest does not list,
/// unless that manifest is already the new one (an earlier attempt got that far).
async fn delete_replaced_files(target: &Target, manifest: &Manifest) -> Result<(), SinkError> {
    let Some(old) = target.read_manifest(&target.manifest_path()).await? else {
        return Ok(());
    };
    if old.run_id == manifest.run_id {
        return Ok(());
    }
    let kept: std::collections::HashSet<&str> =
        manifest.files().map(|file| file.path.as_str()).collect();
    for file in old
        .files()
        .filter(|file| !kept.contains(file.path.as_str()))
    {
        match check_relative(&file.path) {
            Ok(()) => target.storage.delete(&file.path).await?,
            Err(reason) => tracing::warn!(
                destination = %target.shown,
                %reason,
                "not deleting a file the old manifest lists"
            ),
        }
    }
    Ok(())
}

/// Finishes committed runs and deletes abandoned ones, oldest first; run before anything else.
pub(crate) async fn clear_leftovers(target: &Target) -> Result<(), SinkError> {
    let storage = &target.storage;
    let base = target.staging_base();
    for run_id in storage.children(&base).await? {
        if !is_run_id(&run_id) {
            continue;
        }
        let run_dir = target.run_dir(&run_id);
        let interrupted = |reason: String| SinkError::RollForward {
            destination: target.shown.clone(),
            run_id: run_id.clone(),
            staging: storage.describe(&run_dir),
            reason,
        };
        match target.read_manifest(&target.staged_manifest(&run_id)).await {
            Ok(Some(manifest)) if manifest.run_id == run_id => {
                tracing::info!(destination = %target.shown, %run_id, "finishing an interrupted commit");
                roll_forward(target, &manifest).await.map_err(|e| match e {
                    e @ SinkError::RollForward { .. } => e,
                    other => interrupted(other.to_string()),
                })?;
            }
            Ok(Some(manifest)) => {
                return Err(interrupted(format!(
                    "its manifest names run {} instead",
                    manifest.run_id
                )))
            }
            Ok(None) => {
                tracing::info!(destination = %target.shown, %run_id, "deleting an abandoned run");
                storage.delete_tree(&run_dir).await?;
            }
            Err(e) => return Err(interrupted(e.to_string())),
        }
    }
    Ok(())
}
