//! What an export left on disk: every file with its bytes, the batches of Parquet files, and the
//! values of one Parquet column. Reach it as `crate::common::files`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

/// Every file under `dir` (recursively), by `/`-separated relative path, with its bytes: what an
/// object store would list, so the same checks run on both.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir, false)
}

/// [`snapshot`] with every folder too (as `name/`, no bytes): two are equal only if nothing was
/// added, removed or changed, empty folders included.
pub fn snapshot_with_folders(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir, true)
}

fn walk(dir: &Path, folders: bool) -> BTreeMap<String, Vec<u8>> {
    fn visit(dir: &Path, base: &str, folders: bool, found: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("folder entry");
            let name = format!("{base}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            if path.is_dir() {
                if folders {
                    found.insert(format!("{name}/"), Vec::new());
                }
                visit(&path, &format!("{name}/"), folders, found);
            } else {
                found.insert(name, std::fs::read(&path).expect("file under the folder"));
            }
        }
    }
    let mut found = BTreeMap::new();
    visit(dir, "", folders, &mut found);
    found
}

/// Every batch of one Parquet file (a path, or its bytes).
pub fn parquet_batches<T: ChunkReader + 'static>(file: T) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("a Parquet reader")
        .map(|batch| batch.expect("a Parquet batch"))
        .collect()
}

/// Every batch of the Parquet file at `path`.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    parquet_batches(std::fs::File::open(path).expect("Parquet file opens"))
}

/// The `.parquet` files under `dir`, recursively, in path order.
pub fn parquet_paths(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every batch of the Parquet files directly in `dir` (not in its folders), in name order.
pub fn read_parquet_in(dir: &Path) -> Vec<RecordBatch> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "parquet"))
        .collect();
    paths.sort();
    paths.iter().flat_map(|path| read_parquet(path)).collect()
}

/// Every batch of every Parquet file under `dir`, in path order.
pub fn read_parquet_dir(dir: &Path) -> Vec<RecordBatch> {
    parquet_paths(dir)
        .iter()
        .flat_map(|path| read_parquet(path))
        .collect()
}

/// Rows in `batches`.
pub fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// The relative paths of [`snapshot`], one per line, for failure messages.
pub fn listing(files: &BTreeMap<String, Vec<u8>>) -> String {
    files.keys().cloned().collect::<Vec<_>>().join("\n")
}

/// The Parquet files of `files` (skipping tsexport's own `_` files), in name order.
pub fn parquet_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<(&String, &Vec<u8>)> {
    files
        .iter()
        .filter(|(name, _)| name.ends_with(".parquet"))
        .collect()
}

/// The Int64 column `column` of every Parquet file in `files`, in file order then row order; `Err`
/// names the file that cannot be read.
pub fn int_column(files: &BTreeMap<String, Vec<u8>>, column: &str) -> Result<Vec<i64>, String> {
    let mut values = Vec::new();
    for (name, bytes) in parquet_files(files) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone()))
            .and_then(|builder| builder.build())
            .map_err(|e| format!("{name}: {e}"))?;
        for batch in reader {
            let batch = batch.map_err(|e| format!("{name}: {e}"))?;
            let array = batch
                .column_by_name(column)
                .ok_or_else(|| format!("{name} has no column {column}"))?;
            let ints = array
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| format!("{name}: {column} is {}", array.data_type()))?;
            values.extend((0..ints.len()).map(|i| ints.value(i)));
        }
    }
    Ok(values)
}

/// Copies the tree at `from` into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
