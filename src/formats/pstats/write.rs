//! Writing a binary pstats dump that Python's `pstats` loads.
//!
//! The output is one marshal'd dict `{(file, line, name): (cc, nc, tt, ct,
//! callers)}` (see docs/formats.md §1), written with only the type codes that
//! every marshal version from 2 (Python 2.7) on reads, so the same file
//! loads in Python 2.7 and 3.x:
//!
//! | code | for |
//! |---|---|
//! | `{` … `0` | the stats dict and every callers dict (NULL ends a dict) |
//! | `(` + int32 n | keys `(file, line, name)`, entries and caller tuples |
//! | `i` int32 / `l` | counts and lines; `l` (base-2¹⁵ digits) above 2³¹−1 |
//! | `g` | times, IEEE doubles |
//! | `u` + int32 length | strings, UTF-8 |
//!
//! No reference flags are written (they only save space), so the bytes depend
//! on the profile alone. Callers are cProfile tuples `(nc, cc, tt, ct)` when
//! the edge has times (missing numbers written as 0), else the `profile`
//! module's plain call count. An entry's `cc` is the primitive call count and
//! `nc` the total (a count the format lacks is written as 0).
//!
//! Functions are written in profile order, each under its raw identity.
//! Functions sharing one `(file, line, name)` (possible in profiles from
//! other formats) are summed first with [`crate::merge::merge`], because a
//! dict cannot hold a key twice. A function without a file is written the
//! way cProfile writes builtins, `("~", 0, name)`, or under its object when
//! it has one.

use std::io::{self, BufWriter, Write};

use crate::merge;
use crate::model::{Edge, Function, FunctionKind, Profile};

/// Writes `profile` as a pstats dump. Fails (`InvalidInput`) when its costs
/// are not seconds: pstats has no other unit, and instruction counts written
/// as seconds would be read as seconds.
pub fn write(profile: &Profile, out: &mut dyn Write) -> io::Result<()> {
    if !profile.meta.unit.is_time() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: a pstats dump holds seconds, but this profile counts {}",
                profile.meta.path, profile.meta.unit
            ),
        ));
    }
    let normalized;
    let profile = if has_duplicate_identities(profile) {
        // Each function under the key it is written with, then summed: two
        // functions written under one key (`fl=~` and `fl=???` both become
        // `~`) would make a dict Python reads as one of them.
        let mut keyed = profile.clone();
        for function in &mut keyed.functions {
            function.file = Some(written_file(function).to_string());
            function.line = Some(function.line.unwrap_or(0));
        }
        normalized = merge::merge(std::slice::from_ref(&keyed))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        &normalized
    } else {
        profile
    };

    let mut out = BufWriter::new(out);
    let by_callee = profile.edges_by_callee();
    out.write_all(b"{")?;
    for (id, function) in profile.functions.iter().enumerate() {
        write_key(&mut out, function)?;
        out.write_all(b"(")?;
        out.write_all(&5i32.to_le_bytes())?;
        write_int(
            &mut out,
            function.primitive_calls.or(function.calls).unwrap_or(0),
        )?;
        write_int(&mut out, function.calls.unwrap_or(0))?;
        write_float(&mut out, function.self_cost)?;
        write_float(&mut out, function.inclusive_cost)?;
        out.write_all(b"{")?;
        for &edge_index in &by_callee[id] {
            let edge = &profile.edges[edge_index];
            let Some(caller) = profile.functions.get(edge.caller) else {
                continue;
            };
            write_key(&mut out, caller)?;
            write_edge(&mut out, edge)?;
        }
        out.write_all(b"0")?;
    }
    out.write_all(b"0")?;
    out.flush()
}

fn has_duplicate_identities(profile: &Profile) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(profile.functions.len());
    let identities_repeat = !profile
        .functions
        .iter()
        .all(|f| seen.insert((written_file(f), f.line.unwrap_or(0), f.name.as_str())));
    let mut pairs = std::collections::HashSet::with_capacity(profile.edges.len());
    let edges_repeat = !profile
        .edges
        .iter()
        .all(|e| pairs.insert((e.caller, e.callee)));
    identities_repeat || edges_repeat
}

/// The file of a function's key: its file, else its object, else `~` (as
/// cProfile writes builtins).
fn written_file(function: &Function) -> &str {
    match (&function.file, &function.object) {
        (Some(file), _) => file.as_str(),
        (None, Some(object)) if function.kind != FunctionKind::Builtin => object.as_str(),
        _ => "~",
    }
}

/// `(file, line, name)`.
fn write_key(out: &mut impl Write, function: &Function) -> io::Result<()> {
    let file = written_file(function);
    out.write_all(b"(")?;
    out.write_all(&3i32.to_le_bytes())?;
    write_str(out, file)?;
    write_int(out, u64::from(function.line.unwrap_or(0)))?;
    write_str(out, &function.name)
}

fn write_edge(out: &mut impl Write, edge: &Edge) -> io::Result<()> {
    let has_tuple = edge.primitive_calls().is_some()
        || edge.self_cost().is_some()
        || edge.inclusive_cost().is_some();
    if !has_tuple {
        return write_int(out, edge.calls().unwrap_or(0));
    }
    out.write_all(b"(")?;
    out.write_all(&4i32.to_le_bytes())?;
    write_int(out, edge.calls().unwrap_or(0))?;
    write_int(out, edge.primitive_calls().or(edge.calls()).unwrap_or(0))?;
    write_float(out, edge.self_cost().unwrap_or(0.0))?;
    write_float(out, edge.inclusive_cost().unwrap_or(0.0))
}

fn write_str(out: &mut impl Write, text: &str) -> io::Result<()> {
    let length = i32::try_from(text.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a name longer than 2 GiB cannot be marshalled",
        )
    })?;
    out.write_all(b"u")?;
    out.write_all(&length.to_le_bytes())?;
    out.write_all(text.as_bytes())
}

/// `i` for values that fit an int32, else `l`: a digit count, then base-2¹⁵
/// digits, least significant first (the top digit is never 0).
fn write_int(out: &mut impl Write, value: u64) -> io::Result<()> {
    if let Ok(small) = i32::try_from(value) {
        out.write_all(b"i")?;
        return out.write_all(&small.to_le_bytes());
    }
    let mut digits = Vec::with_capacity(5);
    let mut rest = value;
    while rest > 0 {
        digits.push((rest & 0x7fff) as u16);
        rest >>= 15;
    }
    out.write_all(b"l")?;
    out.write_all(&(digits.len() as i32).to_le_bytes())?;
    for digit in digits {
        out.write_all(&digit.to_le_bytes())?;
    }
    Ok(())
}

fn write_float(out: &mut impl Write, value: f64) -> io::Result<()> {
    out.write_all(b"g")?;
    out.write_all(&value.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::pstats;
    use crate::model::{Format, ProfileMeta, Unit};

    fn bytes_of(profile: &Profile) -> Vec<u8> {
        let mut out = Vec::new();
        write(profile, &mut out).unwrap();
        out
    }

    fn tiny() -> Profile {
        let mut p = Profile::new(ProfileMeta {
            path: "t.prof".into(),
            format: Format::Pstats,
            unit: Unit::Seconds,
            precision: None,
            producer: None,
            notes: Vec::new(),
        });
        let mut main = Function::new("main", FunctionKind::Source);
        main.file = Some("prog.py".into());
        main.line = Some(31);
        main.calls = Some(1);
        main.primitive_calls = Some(1);
        main.self_cost = 1e-5;
        main.inclusive_cost = 5e-5;
        let mut len = Function::new("<built-in method builtins.len>", FunctionKind::Builtin);
        len.file = Some("~".into());
        len.line = Some(0);
        len.calls = Some(1 << 33);
        len.primitive_calls = Some(1 << 33);
        len.self_cost = 4e-5;
        len.inclusive_cost = 4e-5;
        p.functions = vec![main, len];
        p.edges.push(
            Edge::new(0, 1)
                .with_calls(Some(1 << 33))
                .with_primitive_calls(Some(1 << 33))
                .with_self_cost(Some(4e-5))
                .with_inclusive_cost(Some(4e-5)),
        );
        p
    }

    #[test]
    fn round_trips_through_our_reader() {
        let p = tiny();
        let bytes = bytes_of(&p);
        let back = pstats::parse(&bytes, "t.prof").unwrap();
        assert_eq!(back.functions, p.functions);
        assert_eq!(back.edges, p.edges);
    }

    #[test]
    fn encodes_the_documented_bytes() {
        let mut p = tiny();
        p.functions.truncate(1);
        p.edges.clear();
        let bytes = bytes_of(&p);
        let mut want =
            b"{(\x03\x00\x00\x00u\x07\x00\x00\x00prog.pyi\x1f\x00\x00\x00u\x04\x00\x00\x00main"
                .to_vec();
        want.extend(b"(\x05\x00\x00\x00i\x01\x00\x00\x00i\x01\x00\x00\x00g");
        want.extend(1e-5f64.to_le_bytes());
        want.push(b'g');
        want.extend(5e-5f64.to_le_bytes());
        want.extend(b"{00");
        assert_eq!(bytes, want);
        // 2^33 + 123 as in docs/formats.md §1.3: digits 123, 0, 8.
        let mut long = Vec::new();
        write_int(&mut long, (1 << 33) + 123).unwrap();
        assert_eq!(long, b"l\x03\x00\x00\x00\x7b\x00\x00\x00\x08\x00");
    }

    #[test]
    fn refuses_non_time_units() {
        let mut p = tiny();
        p.meta.unit = Unit::Event("Ir".into());
        let error = write(&p, &mut Vec::new()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn duplicate_identities_are_summed() {
        let mut p = tiny();
        let copy = p.functions[0].clone();
        p.functions.push(copy);
        let back = pstats::parse(&bytes_of(&p), "t.prof").unwrap();
        assert_eq!(back.functions.len(), 2);
        assert_eq!(back.functions[0].calls, Some(2));
        assert_eq!(back.functions[0].self_cost, 2e-5);
    }
}
