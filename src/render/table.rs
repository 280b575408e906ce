//! A small column-aligned table shared by every text view. Colour is applied
//! after padding so ANSI codes never disturb the alignment.

use std::io::{self, Write};

use owo_colors::OwoColorize;

/// What a cell means, which decides its colour when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// No colour.
    #[default]
    Plain,
    /// Got worse (more time, more calls): red.
    Worse,
    /// Got better: green.
    Better,
    /// Secondary information: dimmed.
    Dim,
    /// Column headers: bold.
    Header,
}

/// One cell of a [`Table`].
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// What it says.
    pub text: String,
    /// What it means, for colour.
    pub tone: Tone,
}

impl Cell {
    /// A cell with a tone.
    pub fn new(text: impl Into<String>, tone: Tone) -> Self {
        Cell {
            // Cells hold names from the profile: never raw control
            // characters (see `escape`).
            text: super::escape::escaped(text),
            tone,
        }
    }

    /// A cell without colour.
    pub fn plain(text: impl Into<String>) -> Self {
        Cell::new(text, Tone::Plain)
    }
}

/// How a column lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text, padded on the right.
    Left,
    /// Numbers, padded on the left.
    Right,
}

/// Rows of cells; the last column holds names and is the one shortened to
/// fit the terminal.
#[derive(Debug, Clone)]
pub struct Table {
    /// One per column.
    pub aligns: Vec<Align>,
    /// The rows, header included.
    pub rows: Vec<Vec<Cell>>,
}

/// Output settings decided once at the edge (the terminal, `NO_COLOR`,
/// `--color`, `--width`); the default is plain and unshortened, for pipes,
/// files and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Colour the text with ANSI codes.
    pub color: bool,
    /// Terminal width; `None` never shortens names (pipes, files, tests).
    pub width: Option<usize>,
    /// Indent JSON (two spaces a level); compact, one line, otherwise.
    pub indent: bool,
}

const GAP: &str = "  ";

impl Table {
    /// An empty table with these columns.
    pub fn new(aligns: Vec<Align>) -> Self {
        Table {
            aligns,
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Writes the rows, padded to line up; names in the last column are
    /// shortened in the middle to fit [`Style::width`].
    pub fn write(&self, out: &mut dyn Write, style: Style) -> io::Result<()> {
        let columns = self.aligns.len();
        let mut widths = vec![0usize; columns];
        for row in &self.rows {
            for (index, cell) in row.iter().enumerate().take(columns) {
                widths[index] = widths[index].max(display_width(&cell.text));
            }
        }
        let fixed: usize = widths[..columns.saturating_sub(1)]
            .iter()
            .map(|w| w + GAP.len())
            .sum();
        // Names keep at least 24 columns even on a narrow terminal.
        let name_budget = style.width.map(|w| w.saturating_sub(fixed).max(24));
        for row in &self.rows {
            let mut line = String::new();
            for (index, cell) in row.iter().enumerate().take(columns) {
                let last = index + 1 == columns;
                let text = match (last, name_budget) {
                    (true, Some(budget)) => shorten_middle(&cell.text, budget),
                    _ => cell.text.clone(),
                };
                let pad = widths[index].saturating_sub(display_width(&text));
                let padded = match (self.aligns[index], last) {
                    (Align::Left, true) => text,
                    (Align::Left, false) => format!("{text}{}", " ".repeat(pad)),
                    (Align::Right, _) => format!("{}{text}", " ".repeat(pad)),
                };
                if index > 0 {
                    line.push_str(GAP);
                }
                line.push_str(&paint(&padded, cell.tone, style.color));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Applies a tone's colour, or nothing when colour is off.
pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    match tone {
        Tone::Plain => text.to_string(),
        Tone::Worse => text.red().to_string(),
        Tone::Better => text.green().to_string(),
        Tone::Dim => text.dimmed().to_string(),
        Tone::Header => text.bold().to_string(),
    }
}

/// Characters, which is what a terminal shows for the paths and names we print.
pub fn display_width(text: &str) -> usize {
    text.chars().count()
}

/// Keeps both ends of a long name (package and function) and drops the middle.
pub fn shorten_middle(text: &str, max: usize) -> String {
    let length = display_width(text);
    if length <= max || max < 5 {
        return text.to_string();
    }
    let keep = max - 1;
    let head = keep / 3;
    let tail = keep - head;
    let chars: Vec<char> = text.chars().collect();
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[length - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_both_ends() {
        let name = "very/long/package/path/to/some/module.py:123(function_name)";
        let short = shorten_middle(name, 30);
        assert_eq!(display_width(&short), 30);
        assert!(short.starts_with("very/long"));
        assert!(short.ends_with("(function_name)"));
        assert!(short.contains('…'));
        assert_eq!(shorten_middle("short", 30), "short");
    }

    #[test]
    fn columns_align_without_colour_codes() {
        let mut table = Table::new(vec![Align::Right, Align::Left]);
        table.push(vec![Cell::plain("1"), Cell::plain("a")]);
        table.push(vec![Cell::new("100", Tone::Worse), Cell::plain("b")]);
        let mut out = Vec::new();
        table.write(&mut out, Style::default()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "  1  a\n100  b\n");
    }
}
