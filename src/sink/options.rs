//! How an export is written: file format, compression, row-group and file sizes, and what to do
//! with data already at the destination. Every option parses from the text a user types
//! (the compression codec `zstd:9`, the write mode `append`), and a bad value says which values are allowed.

use std::fmt;
use std::str::FromStr;

/// A value that is not one of an option's allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a valid {option}: {expected}")]
pub struct InvalidOption {
    /// Which option: "file format", "codec", "write mode", ...
    pub option: &'static str,
    /// What the user gave.
    pub given: String,
    /// What would have been accepted.
    pub expected: String,
}

impl InvalidOption {
    pub(crate) fn new(option: &'static str, given: &str, expected: impl Into<String>) -> Self {
        InvalidOption {
            option,
            given: given.to_string(),
            expected: expected.into(),
        }
    }
}

/// The file format of the exported data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileFormat {
    /// Apache Parquet (`.parquet`), the data-lake default.
    #[default]
    Parquet,
    /// Arrow IPC: the file format (`.arrow`) on a destination, the stream format on stdout.
    ArrowIpc,
    /// Comma-separated values with a header line (`.csv`).
    Csv,
}

impl FileFormat {
    /// The file-name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::ArrowIpc => "arrow",
            FileFormat::Csv => "csv",
        }
    }

    /// The format a file name's extension stands for, if any.
    pub fn from_extension(file_name: &str) -> Option<FileFormat> {
        let (_, extension) = file_name.rsplit_once('.')?;
        [FileFormat::Parquet, FileFormat::ArrowIpc, FileFormat::Csv]
            .into_iter()
            .find(|format| extension.eq_ignore_ascii_case(format.extension()))
    }
}

impl FromStr for FileFormat {
    type Err = InvalidOption;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        match given.trim().to_ascii_lowercase().as_str() {
            "parquet" => Ok(FileFormat::Parquet),
            "arrow" | "ipc" => Ok(FileFormat::ArrowIpc),
            "csv" => Ok(FileFormat::Csv),
            _ => Err(InvalidOption::new(
                "file format",
                given,
                "use parquet, arrow (alias ipc) or csv",
            )),
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileFormat::Parquet => "parquet",
            FileFormat::ArrowIpc => "arrow",
            FileFormat::Csv => "csv",
        })
    }
}

/// The compression of Parquet pages. Other formats are written uncompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Zstandard at a level from 1 (fastest) to 22 (smallest); 3 by default.
    Zstd(i32),
    /// Snappy: fast, larger files.
    Snappy,
    /// LZ4 in the `LZ4_RAW` framing that current Parquet readers expect.
    Lz4,
    /// Gzip at a level from 0 (store) to 9 (smallest); 6 by default.
    Gzip(u32),
    /// No compression.
    None,
}

impl Codec {
    /// The zstd level of `zstd` without a level.
    pub const DEFAULT_ZSTD_LEVEL: i32 = 3;
    /// The gzip level of `gzip` without a level.
    pub const DEFAULT_GZIP_LEVEL: u32 = 6;
    const ZSTD_LEVELS: std::ops::RangeInclusive<i32> = 1..=22;
    const GZIP_LEVELS: std::ops::RangeInclusive<u32> = 0..=9;
    const EXPECTED: &'static str =
        "use zstd, zstd:LEVEL (1-22), snappy, lz4, gzip, gzip:LEVEL (0-9) or none";

    /// Checks the level, for a codec built in code rather than parsed.
    pub fn validate(self) -> Result<(), InvalidOption> {
        match self {
            Codec::Zstd(level) if !Self::ZSTD_LEVELS.contains(&level) => Err(InvalidOption::new(
                "codec",
                &self.to_string(),
                "the zstd level must be from 1 to 22",
            )),
            Codec::Gzip(level) if !Self::GZIP_LEVELS.contains(&level) => Err(InvalidOption::new(
                "codec",
                &self.to_string(),
                "the gzip level must be from 0 to 9",
            )),
            _ => Ok(()),
        }
    }
}

impl Default for Codec {
    fn default() -> Self {
        Codec::Zstd(Codec::DEFAULT_ZSTD_LEVEL)
    }
}

impl FromStr for Codec {
    type Err = InvalidOption;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let lower = given.trim().to_ascii_lowercase();
        let (name, level) = match lower.split_once(':') {
            Some((name, level)) => (name, Some(level)),
            None => (lower.as_str(), None),
        };
        let invalid = |expected: &str| InvalidOption::new("codec", given, expected);
        let codec = match (name, level) {
            ("zstd", None) => Codec::default(),
            ("zstd", Some(level)) => Codec::Zstd(
                level
                    .parse()
                    .map_err(|_| invalid("the zstd level must be a number from 1 to 22"))?,
            ),
            ("gzip", None) => Codec::Gzip(Codec::DEFAULT_GZIP_LEVEL),
            ("gzip", Some(level)) => Codec::Gzip(
                level
                    .parse()
                    .map_err(|_| invalid("the gzip level must be a number from 0 to 9"))?,
            ),
            ("snappy", None) => Codec::Snappy,
            ("lz4", None) => Codec::Lz4,
            ("none" | "uncompressed", None) => Codec::None,
            ("snappy" | "lz4" | "none" | "uncompressed", Some(_)) => {
                return Err(invalid(&format!(
                    "{name} takes no level; {}",
                    Self::EXPECTED
                )))
            }
            _ => return Err(invalid(Self::EXPECTED)),
        };
        codec.validate().map_err(|e| invalid(&e.expected))?;
        Ok(codec)
    }
}

/// Written the way it parses (`zstd:3`), so a manifest's codec can be given back on a command line.
impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Codec::Zstd(level) => write!(f, "zstd:{level}"),
            Codec::Snappy => f.write_str("snappy"),
            Codec::Lz4 => f.write_str("lz4"),
            Codec::Gzip(level) => write!(f, "gzip:{level}"),
            Codec::None => f.write_str("none"),
        }
    }
}

/// What happens to data already at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Replace what earlier tsexport runs wrote there (files listed in its `_manifest.json`);
    /// files tsexport did not write are left alone.
    #[default]
    Overwrite,
    /// Keep the files already there and add new ones; the schema must be the same.
    Append,
    /// Refuse to write into a destination that holds anything.
    ErrorIfExists,
}

impl FromStr for WriteMode {
    type Err = InvalidOption;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        match given.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "overwrite" => Ok(WriteMode::Overwrite),
            "append" => Ok(WriteMode::Append),
            "error-if-exists" | "errorifexists" => Ok(WriteMode::ErrorIfExists),
            _ => Err(InvalidOption::new(
                "write mode",
                given,
                "use overwrite, append or error-if-exists",
            )),
        }
    }
}

impl fmt::Display for WriteMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteMode::Overwrite => "overwrite",
            WriteMode::Append => "append",
            WriteMode::ErrorIfExists => "error-if-exists",
        })
    }
}

/// Everything about how an export is written, with defaults that suit a data lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkOptions {
    /// The file format.
    pub format: FileFormat,
    /// Parquet only.
    pub codec: Codec,
    /// Rows per Parquet row group. A writer holds one row group in memory per open file, so
    /// this bounds memory as well as setting the unit readers can skip.
    pub row_group_rows: usize,
    /// Start a new file once a file holds this many rows (batches are split to respect it).
    pub max_rows_per_file: Option<u64>,
    /// Start a new file once a file reached this many bytes; checked after each batch, so a file
    /// may exceed it by up to one batch.
    pub max_bytes_per_file: Option<u64>,
    /// What happens to data already at the destination.
    pub mode: WriteMode,
}

impl SinkOptions {
    /// The Parquet default, 1 Mi rows per row group.
    pub const DEFAULT_ROW_GROUP_ROWS: usize = 1_048_576;

    /// Rejects values no writer can honour (zero sizes, out-of-range codec levels).
    pub fn validate(&self) -> Result<(), InvalidOption> {
        self.codec.validate()?;
        if self.row_group_rows == 0 {
            return Err(InvalidOption::new(
                "row group size",
                "0",
                "give at least 1 row per row group",
            ));
        }
        if self.max_rows_per_file == Some(0) {
            return Err(InvalidOption::new(
                "maximum rows per file",
                "0",
                "give at least 1 row, or no limit",
            ));
        }
        if self.max_bytes_per_file == Some(0) {
            return Err(InvalidOption::new(
                "maximum bytes per file",
                "0",
                "give at least 1 byte, or no limit",
            ));
        }
        Ok(())
    }

    /// Whether the options can split a table into several files.
    pub fn rotates(&self) -> bool {
        self.max_rows_per_file.is_some() || self.max_bytes_per_file.is_some()
    }
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            format: FileFormat::Parquet,
            codec: Codec::default(),
            row_group_rows: Self::DEFAULT_ROW_GROUP_ROWS,
            max_rows_per_file: None,
            max_bytes_per_file: None,
            mode: WriteMode::Overwrite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_parse_with_and_without_levels() {
        assert_eq!("zstd".parse::<Codec>().unwrap(), Codec::Zstd(3));
        assert_eq!("zstd:9".parse::<Codec>().unwrap(), Codec::Zstd(9));
        assert_eq!("ZSTD:22".parse::<Codec>().unwrap(), Codec::Zstd(22));
        assert_eq!("snappy".parse::<Codec>().unwrap(), Codec::Snappy);
        assert_eq!("lz4".parse::<Codec>().unwrap(), Codec::Lz4);
        assert_eq!("gzip".parse::<Codec>().unwrap(), Codec::Gzip(6));
        assert_eq!("gzip:0".parse::<Codec>().unwrap(), Codec::Gzip(0));
        assert_eq!("none".parse::<Codec>().unwrap(), Codec::None);
        assert_eq!("uncompressed".parse::<Codec>().unwrap(), Codec::None);
    }

    #[test]
    fn codecs_display_as_they_parse() {
        for codec in [
            Codec::Zstd(7),
            Codec::Snappy,
            Codec::Lz4,
            Codec::Gzip(9),
            Codec::None,
        ] {
            assert_eq!(codec.to_string().parse::<Codec>().unwrap(), codec);
        }
    }

    #[test]
    fn bad_codecs_say_what_is_allowed() {
        let e = "brotli".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("'brotli' is not a valid codec"), "{e}");
        assert!(e.contains("zstd:LEVEL (1-22)"), "{e}");
        let e = "zstd:23".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("from 1 to 22"), "{e}");
        let e = "zstd:0".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("from 1 to 22"), "{e}");
        let e = "zstd:fast".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("must be a number"), "{e}");
        let e = "gzip:10".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("from 0 to 9"), "{e}");
        let e = "snappy:2".parse::<Codec>().unwrap_err().to_string();
        assert!(e.contains("snappy takes no level"), "{e}");
        assert!(Codec::Zstd(40).validate().is_err());
    }

    #[test]
    fn formats_and_modes_parse() {
        assert_eq!(
            "parquet".parse::<FileFormat>().unwrap(),
            FileFormat::Parquet
        );
        assert_eq!("arrow".parse::<FileFormat>().unwrap(), FileFormat::ArrowIpc);
        assert_eq!("IPC".parse::<FileFormat>().unwrap(), FileFormat::ArrowIpc);
        assert_eq!("csv".parse::<FileFormat>().unwrap(), FileFormat::Csv);
        let e = "json".parse::<FileFormat>().unwrap_err().to_string();
        assert!(e.contains("use parquet, arrow (alias ipc) or csv"), "{e}");

        assert_eq!(
            "overwrite".parse::<WriteMode>().unwrap(),
            WriteMode::Overwrite
        );
        assert_eq!("append".parse::<WriteMode>().unwrap(), WriteMode::Append);
        assert_eq!(
            "error-if-exists".parse::<WriteMode>().unwrap(),
            WriteMode::ErrorIfExists
        );
        assert_eq!(
            "error_if_exists".parse::<WriteMode>().unwrap(),
            WriteMode::ErrorIfExists
        );
        let e = "replace".parse::<WriteMode>().unwrap_err().to_string();
        assert!(
            e.contains("use overwrite, append or error-if-exists"),
            "{e}"
        );
    }

    #[test]
    fn extensions_name_formats() {
        assert_eq!(
            FileFormat::from_extension("a.parquet"),
            Some(FileFormat::Parquet)
        );
        assert_eq!(
            FileFormat::from_extension("a.ARROW"),
            Some(FileFormat::ArrowIpc)
        );
        assert_eq!(FileFormat::from_extension("a.csv"), Some(FileFormat::Csv));
        assert_eq!(FileFormat::from_extension("folder"), None);
        assert_eq!(FileFormat::from_extension("a.json"), None);
    }

    #[test]
    fn options_reject_zero_sizes() {
        assert!(SinkOptions::default().validate().is_ok());
        let zero_rows = SinkOptions {
            max_rows_per_file: Some(0),
            ..SinkOptions::default()
        };
        assert!(zero_rows.validate().is_err());
        let zero_group = SinkOptions {
            row_group_rows: 0,
            ..SinkOptions::default()
        };
        let e = zero_group.validate().unwrap_err().to_string();
        assert!(e.contains("row group size"), "{e}");
    }
}
