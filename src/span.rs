//! Source positions: a small `Copy` span of byte offsets and the file it points into.

use std::fmt;

/// A half-open byte range `start..end` into one source text.
///
/// Invariant: `start <= end`, and both lie on `char` boundaries of the text
/// the span was made from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// This span moved right by `offset` bytes (used when a block is parsed
    /// on its own and its spans are made file-relative).
    pub fn shift(self, offset: usize) -> Span {
        Span::new(self.start as usize + offset, self.end as usize + offset)
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column; the column counts `char`s, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Where a notebook's cell starts in the text read from the notebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Byte offset of the cell's first character in the text.
    pub offset: usize,
    /// 1-based position of the cell in the notebook, counting every cell.
    pub number: usize,
}

/// A place in a file: line and column, inside a notebook cell or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The notebook cell (lines and columns then count from the cell's start).
    pub cell: Option<usize>,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell {
            Some(cell) => write!(f, "cell {cell}:{}:{}", self.line, self.col),
            None => write!(f, "{}:{}", self.line, self.col),
        }
    }
}

/// One source text with its name and a line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// For a notebook, where each Markdown cell starts in `text` (in order).
    pub cells: Vec<Cell>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            cells: Vec::new(),
        }
    }

    /// The text read from a notebook, and where its cells start.
    pub fn with_cells(name: impl Into<String>, text: impl Into<String>, cells: Vec<Cell>) -> Self {
        SourceFile {
            cells,
            ..SourceFile::new(name, text)
        }
    }

    /// The cell holding `offset`, if the text came from a notebook.
    /// Where each line starts (byte offsets, the first 0), computed once.
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    pub fn cell_at(&self, offset: usize) -> Option<Cell> {
        let k = self.cells.partition_point(|c| c.offset <= offset);
        k.checked_sub(1).map(|k| self.cells[k])
    }

    /// Line and column of a byte offset; in a notebook, counted inside its cell.
    pub fn locate(&self, offset: usize) -> Location {
        let at = self.line_col(offset);
        match self.cell_at(offset) {
            Some(cell) => {
                let first = self.line_col(cell.offset).line;
                Location {
                    cell: Some(cell.number),
                    line: at.line - first + 1,
                    col: at.col,
                }
            }
            None => Location {
                cell: None,
                line: at.line,
                col: at.col,
            },
        }
    }

    /// Line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count();
        LineCol {
            line: line + 1,
            col: col + 1,
        }
    }

    /// The text of 1-based line `line`, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map(|&e| e - 1)
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches('\r')
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        let end = floor_char_boundary(&self.text, span.end as usize);
        let start = floor_char_boundary(&self.text, (span.start as usize).min(end));
        &self.text[start..end]
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_from_one() {
        let f = SourceFile::new("t", "ab\nσ(x)\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, col: 1 });
        // 'σ' is two bytes: the '(' after it is column 2.
        assert_eq!(f.line_col(5), LineCol { line: 2, col: 2 });
        assert_eq!(f.line_text(2), "σ(x)");
        assert_eq!(f.line_text(9), "");
    }
}
