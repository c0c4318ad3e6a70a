//! What an export left on disk: every file with its bytes, and the values of one Parquet column.
//! Reach it as `crate::common::files`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::Array;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Every file under `dir` (recursively), by `/`-separated relative path, with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &str, found: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = format!("{base}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            if path.is_dir() {
                walk(&path, &format!("{name}/"), found);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.insert(name, bytes);
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(dir, "", &mut found);
    found
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
