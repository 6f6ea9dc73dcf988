//! The one CSV writer of every download (a merchant's statement, the staff's exports): UTF-8
//! with a byte-order mark so spreadsheet tools read the Chinese correctly, CRLF line ends as
//! Excel writes them, and text that a spreadsheet would run as a formula written as text.

use std::borrow::Cow;

use chrono::NaiveDateTime;

use crate::error::{DomainError, DomainResult};
use crate::types::china_time;

/// One cell. Numbers are written as they are (a negative change is a number, not a formula);
/// everything else goes through [`spreadsheet_text`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A decimal figure such as service hours, written with one decimal.
    Tenths(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// A UTC instant as people in the district read it: China Standard Time, to the second.
pub fn china_cell(utc: NaiveDateTime) -> Cell {
    Cell::Text(china_time(utc).format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A sheet being written: a header row, then rows of cells.
pub struct Sheet {
    out: csv::Writer<Vec<u8>>,
}

impl Sheet {
    pub fn new(header: &[&str]) -> DomainResult<Self> {
        let mut sheet = Self {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(b"\xEF\xBB\xBF".to_vec()),
        };
        sheet.row(header.iter().map(|h| Cell::from(*h)))?;
        Ok(sheet)
    }

    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell>) -> DomainResult<()> {
        let record: Vec<String> = cells
            .into_iter()
            .map(|cell| match cell {
                Cell::Text(text) => spreadsheet_text(&text).into_owned(),
                Cell::Int(n) => n.to_string(),
                Cell::Tenths(x) => format!("{x:.1}"),
                Cell::Empty => String::new(),
            })
            .collect();
        self.out.write_record(&record).map_err(csv_failed)
    }

    /// The finished file's bytes.
    pub fn finish(self) -> DomainResult<Vec<u8>> {
        self.out
            .into_inner()
            .map_err(|e| csv_failed(e.into_error()))
    }
}

fn csv_failed(e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(format!("csv: {e}"))
}

/// Text a spreadsheet would run as a formula (starting with `= + - @`, a tab or a carriage
/// return) gets a leading apostrophe, so it is shown as text (OWASP, CSV injection).
pub fn spreadsheet_text(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_written_as_text() {
        assert_eq!(
            spreadsheet_text("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(spreadsheet_text("+1"), "'+1");
        assert_eq!(spreadsheet_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_text("\tx"), "'\tx");
        assert_eq!(spreadsheet_text("长者理发"), "长者理发");
    }

    #[test]
    fn a_sheet_starts_with_a_bom_ends_lines_with_crlf_and_keeps_numbers_numbers() {
        let mut sheet = Sheet::new(&["名称", "变动"]).unwrap();
        sheet.row([Cell::from("-5 积分"), Cell::Int(-5)]).unwrap();
        sheet.row([Cell::Empty, Cell::Tenths(2.5)]).unwrap();
        let bytes = sheet.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "\u{feff}名称,变动\r\n'-5 积分,-5\r\n,2.5\r\n"
        );
    }
}
