//! How commands print: aligned columns for people, JSON for scripts. Errors go to stderr in main.rs.

use serde::Serialize;

use super::CliError;

/// Prints `rows` under `headers` as aligned columns (two spaces apart; the last column unpadded).
pub(crate) fn table<const N: usize>(headers: [&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; N]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        println!("{}", text.trim_end());
    };
    line(&headers.map(String::from));
    for row in rows {
        line(row);
    }
}

/// Prints `value` as pretty JSON.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::other(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// An epoch-milliseconds time as a UTC date and time, or `-`.
pub(crate) fn millis(value: Option<i64>) -> String {
    value
        .map(|ms| {
            let secs = ms.div_euclid(1000);
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rest = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}",
                rest / 3600,
                rest / 60 % 60
            )
        })
        .unwrap_or_else(|| "-".into())
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn millis_are_utc_dates() {
        assert_eq!(super::millis(Some(1_641_081_600_000)), "2022-01-02 00:00");
        assert_eq!(super::millis(Some(951_782_400_000)), "2000-02-29 00:00");
        assert_eq!(super::millis(None), "-");
    }
}
